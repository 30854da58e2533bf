"""The columns a sync stamps on every batch: built from buffers (`replicate.arrays`, the values
they hold) without importing pandas, and `_dlt_id` and `_dlt_load_id` declared as dlt declares
its own."""

from __future__ import annotations

import doctest
import subprocess
import sys

from dlt.common.schema.utils import dlt_id_column, dlt_load_id_column

from adventure_elt.catalog import TABLES
from adventure_elt.replicate import arrays
from adventure_elt.replicate.extract import SourceColumn, arrow_type
from adventure_elt.replicate.resource import DLT_ID, DLT_LOAD_ID, _hints


def test_the_examples_hold() -> None:
    result = doctest.testmod(arrays)
    assert result.attempted >= 3
    assert result.failed == 0


def test_stamping_a_batch_imports_no_pandas() -> None:
    code = """
import sys
from datetime import UTC, datetime
import pyarrow as pa
from adventure_elt.replicate.arrays import row_numbers
from adventure_elt.replicate.resource import stamp
batch = pa.Table.from_arrays([row_numbers(3)], names=["id"])
stamped = stamp(batch, datetime(2026, 12, 5, tzinfo=UTC), "1764892800.1", ("id",))
assert "pandas" not in sys.modules, "pandas imported"
print(stamped.column_names, stamped.column("_dlt_load_id").to_pylist())
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-1500:]
    assert done.stdout.strip() == (
        "['id', '_extracted_at', '_dlt_id', '_dlt_load_id']"
        " ['1764892800.1', '1764892800.1', '1764892800.1']"
    )


def test_the_stamped_dlt_columns_are_declared_as_dlt_declares_its_own() -> None:
    table = TABLES[0]
    columns = [
        SourceColumn(name, "integer", arrow_type("integer"), False) for name in table.primary_key
    ]
    columns.append(SourceColumn(table.cursor, "timestamp", arrow_type("timestamp"), False))

    hints = _hints(table, columns)

    assert hints[DLT_ID] == dlt_id_column()
    assert hints[DLT_LOAD_ID] == dlt_load_id_column()
