"""Arrow arrays built straight from buffers, for the sync's hot path.

pyarrow's first conversion of a Python value (`pa.array`, `pa.scalar`, a `str` given to a compute
function) imports pandas, to tell a Series apart: 0.12–0.16 s of every sync process, a seventh
of an incremental sync's time (bench/RESULTS.md). Nothing else a sync does needs pandas.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def int64_array(values: np.ndarray) -> pa.Array:
    """NumPy integers as an Arrow int64 array (sharing the buffer when it already is one).

    >>> int64_array(np.arange(3, dtype=np.int64)).to_pylist()
    [0, 1, 2]
    >>> int64_array(np.arange(6, dtype=np.int32)[::-2]).to_pylist()
    [5, 3, 1]
    """
    native = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(native), [None, pa.py_buffer(native)])


def row_numbers(count: int) -> pa.Array:
    """0 … count-1."""
    return int64_array(np.arange(count, dtype=np.int64))


def string_array(*texts: str) -> pa.Array:
    """`texts` as an Arrow string array (its items are the scalars compute functions take).

    >>> string_array("a", "", "ü").to_pylist()
    ['a', '', 'ü']
    """
    data = [text.encode() for text in texts]
    offsets = np.cumsum([0, *map(len, data)], dtype=np.int32)
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))]
    return pa.Array.from_buffers(pa.string(), len(texts), buffers)


def repeated_string(text: str, count: int) -> pa.DictionaryArray:
    """`text` `count` times, as one dictionary entry (as dlt adds its `_dlt_load_id`).

    >>> repeated_string("x", 2).to_pylist()
    ['x', 'x']
    """
    zeros = pa.py_buffer(np.zeros(count, dtype=np.int8))
    indices = pa.Array.from_buffers(pa.int8(), count, [None, zeros])
    return pa.DictionaryArray.from_arrays(indices, string_array(text))
