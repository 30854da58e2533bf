"""adventure_elt: AdventureWorks from PostgreSQL to an analytics warehouse."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

# Imported eagerly, unlike the others: a lazy wrapper function named like its own submodule is
# replaced by the module object as soon as anything imports `adventure_elt.report` (the import
# system sets the package attribute). report.py itself imports nothing heavy.
from adventure_elt.report import report as report

# Same reason: `adventure_elt.transform` is a package; its __init__ is light (lazy attributes).
from adventure_elt.transform import transform as transform

__version__ = "0.1.0"


def query(*args: Any, **kwargs: Any) -> pa.Table:
    """Measures by dimensions from the semantic layer; see `adventure_elt.semantic.query.query`.

    A lazy wrapper (there is no `adventure_elt.query` module), so `import adventure_elt` stays
    fast: `query(["revenue"], ["product.category"], where=["order_date >= '2013-01-01'"])`.
    """
    from adventure_elt.semantic.query import query as _query

    return _query(*args, **kwargs)


def sync(*args: object, **kwargs: object) -> object:
    """Replicate the source into the raw layer; see `adventure_elt.replicate.sync.sync`."""
    from adventure_elt.replicate.sync import sync as _sync

    return _sync(*args, **kwargs)  # type: ignore[arg-type]
