"""Tell new, changed and unchanged rows of an extracted batch apart, against the raw table.

The incremental lower bound is inclusive (and a lag window widens it), so every sync re-reads
rows it already loaded. The merge would rewrite them harmlessly; dropping them here instead keeps
a sync with no source change from writing anything, and gives the summary honest insert and
update counts. Only a raw layer that is free to read (`Warehouse.reads_are_free`: a local
file) is compared; elsewhere every row read is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from adventure_elt.catalog import DELETED_COLUMN, SourceTable
from adventure_elt.replicate.arrays import row_numbers
from adventure_elt.warehouse import Warehouse
from adventure_elt.warehouse.base import RAW_LAYER


@dataclass
class BatchChanges:
    """One batch split by what the raw table already holds."""

    changed: pa.Table
    inserted: int
    updated: int
    unchanged: int


class RawComparer:
    """A look at one raw table through the sync's warehouse handle, while the table is being
    extracted."""

    def __init__(self, warehouse: Warehouse, table: SourceTable) -> None:
        self.warehouse = warehouse
        self.table = table
        try:
            self.columns = warehouse.column_types(RAW_LAYER, table.raw_name)
        except Exception:  # locked or unreadable: compare nothing, dlt reports the real problem
            self.columns = {}

    @property
    def exists(self) -> bool:
        """Whether the raw table exists (with its primary key)."""
        return all(k in self.columns for k in self.table.primary_key)

    def split(self, batch: pa.Table) -> BatchChanges:
        """Keep the rows that are new or differ from raw; count inserts, updates, re-reads."""
        if not self.exists or batch.num_rows == 0:
            return BatchChanges(batch, batch.num_rows, 0, 0)
        wh, q = self.warehouse, self.warehouse.quote
        pk = self.table.primary_key
        same = [
            f"b.{q(c)} is not distinct from r.{q(c)}"
            for c in batch.column_names
            if c in self.columns
        ]
        # A column raw does not have yet only matches when the source holds NULL there.
        same += [f"b.{q(c)} is null" for c in batch.column_names if c not in self.columns]
        if DELETED_COLUMN in self.columns:
            same.append(f"not coalesce(r.{q(DELETED_COLUMN)}, false)")
        on = " and ".join(f"b.{q(k)} = r.{q(k)}" for k in pk)
        numbered = batch.append_column("__row", row_numbers(batch.num_rows))
        raw = wh.relation(RAW_LAYER, self.table.raw_name)
        try:
            with wh.stage(numbered, RAW_LAYER, f"batch_{self.table.raw_name}") as staged:
                found = wh.fetch_arrow(
                    f"select b.__row, r.{q(pk[0])} is not null as existed,"
                    f" r.{q(pk[0])} is not null and coalesce({' and '.join(same)}, false)"
                    " as unchanged"
                    f" from {staged} as b left join {raw} as r on {on} order by b.__row"
                )
        except Exception:
            # A type the raw table cannot compare (schema drift): write everything, dlt decides.
            return BatchChanges(batch, batch.num_rows, 0, 0)
        # pyarrow.compute, not NumPy: `to_numpy` imports pandas (see `arrays`)
        unchanged = found.column("unchanged")  # only rows that existed can be unchanged
        existed_rows = int(pc.sum(found.column("existed")).as_py() or 0)
        unchanged_rows = int(pc.sum(unchanged).as_py() or 0)
        return BatchChanges(
            changed=batch.filter(pc.invert(unchanged)),
            inserted=batch.num_rows - existed_rows,
            updated=existed_rows - unchanged_rows,
            unchanged=unchanged_rows,
        )
