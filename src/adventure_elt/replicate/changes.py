"""Tell new, changed and unchanged rows of an extracted batch apart, against the raw table.

The incremental lower bound is inclusive (and a lag window widens it), so every sync re-reads
rows it already loaded. The merge would rewrite them harmlessly; dropping them here instead keeps
a sync with no source change from writing anything, and gives the summary honest insert and
update counts. Only DuckDB is compared; elsewhere every row read is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from adventure_elt.catalog import DELETED_COLUMN, SourceTable


@dataclass
class BatchChanges:
    """One batch split by what the raw table already holds."""

    changed: pa.Table
    inserted: int
    updated: int
    unchanged: int


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class RawComparer:
    """A read-only look at one DuckDB raw table, used while a table is being extracted.

    Close it before dlt loads: DuckDB refuses a second connection with another configuration.
    """

    def __init__(self, duckdb_path: Path, table: SourceTable) -> None:
        self.table = table
        self.columns: dict[str, str] = {}
        self._connection: Any = None
        if not duckdb_path.is_file():
            return
        import duckdb

        from adventure_elt.warehouse import connect_duckdb

        try:
            self._connection = connect_duckdb(duckdb_path, read_only=True)
            rows = self._connection.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = 'raw' and table_name = ? order by ordinal_position",
                [table.raw_name],
            ).fetchall()
        except duckdb.Error:
            # Locked or unreadable: compare nothing, dlt reports the real problem when it loads.
            self.close()
            return
        self.columns = {str(name): str(kind) for name, kind in rows}

    @property
    def exists(self) -> bool:
        """Whether the raw table exists (with its primary key)."""
        return all(k in self.columns for k in self.table.primary_key)

    def split(self, batch: pa.Table) -> BatchChanges:
        """Keep the rows that are new or differ from raw; count inserts, updates, re-reads."""
        if not self.exists or self._connection is None or batch.num_rows == 0:
            return BatchChanges(batch, batch.num_rows, 0, 0)
        import duckdb

        pk = self.table.primary_key
        same = [
            f"b.{_quote(c)} is not distinct from r.{_quote(c)}"
            for c in batch.column_names
            if c in self.columns
        ]
        # A column raw does not have yet only matches when the source holds NULL there.
        same += [f"b.{_quote(c)} is null" for c in batch.column_names if c not in self.columns]
        if DELETED_COLUMN in self.columns:
            same.append(f"not coalesce(r.{DELETED_COLUMN}, false)")
        on = " and ".join(f"b.{_quote(k)} = r.{_quote(k)}" for k in pk)
        view = f"_batch_{self.table.raw_name}"
        numbered = batch.append_column("__row", pa.array(np.arange(batch.num_rows)))
        self._connection.register(view, numbered)
        try:
            found = self._connection.execute(
                f"select b.__row, r.{_quote(pk[0])} is not null, ({' and '.join(same)})"
                f" from {view} as b left join raw.{_quote(self.table.raw_name)} as r on {on}"
                " order by b.__row"
            ).fetchnumpy()
        except duckdb.Error:
            # A type the raw table cannot compare (schema drift): write everything, dlt decides.
            return BatchChanges(batch, batch.num_rows, 0, 0)
        finally:
            self._connection.unregister(view)
        existed = np.asarray(found[list(found)[1]], dtype=bool)
        unchanged = np.asarray(found[list(found)[2]], dtype=bool) & existed
        keep = ~unchanged
        return BatchChanges(
            changed=batch.filter(pa.array(keep)),
            inserted=int((~existed).sum()),
            updated=int((existed & keep).sum()),
            unchanged=int(unchanged.sum()),
        )

    def close(self) -> None:
        """Release the DuckDB file."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
