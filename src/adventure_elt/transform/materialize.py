"""Build a compiled model in the warehouse as a view, a table, or an incremental table.

Relations, quoting, table replacement (with BigQuery's partitioning and clustering) and the
incremental merge come from the `Warehouse` adapter (`Warehouse.merge`: delete + insert in one
transaction on DuckDB, one `MERGE` on BigQuery); this module decides what to build.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adventure_elt.warehouse import PLAIN, Layout, Warehouse


@dataclass(frozen=True)
class BuildResult:
    """What one build did. `rows` is None for views (not counted: that would run them).

    For incremental builds `inserted`/`updated`/`deleted` count the rows written; a full build
    (first run, `--full-refresh`, or a changed column set) reports `full_refresh=True`.
    """

    rows: int | None
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    full_refresh: bool = False

    @property
    def changed(self) -> int:
        """Rows written by the build: every row for a full build, else the merged ones."""
        if self.full_refresh:
            return self.rows or 0
        return self.inserted + self.updated + self.deleted


class Materializer:
    """Creates views and tables in one warehouse."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse

    def existing_kind(self, layer: str, name: str) -> str | None:
        """`table`, `view`, or None when `layer.name` does not exist."""
        return self.warehouse.table_kind(layer, name)

    def columns(self, layer: str, name: str) -> list[str]:
        """Column names of `layer.name` in order."""
        return list(self.warehouse.column_types(layer, name))

    def _drop_other_kind(self, layer: str, name: str, wanted: str) -> None:
        kind = self.existing_kind(layer, name)
        if kind is not None and kind != wanted:
            keyword = "view" if kind == "view" else "table"
            self.warehouse.execute(f"drop {keyword} {self.warehouse.relation(layer, name)}")

    def count(self, layer: str, name: str) -> int:
        """Rows in `layer.name`."""
        rows = self.warehouse.fetch_all(
            f"select count(*) from {self.warehouse.relation(layer, name)}"
        )
        return int(rows[0][0])

    def view(self, layer: str, name: str, sql: str) -> BuildResult:
        """`create or replace view`; a table of the same name is dropped first."""
        self._drop_other_kind(layer, name, "view")
        self.warehouse.execute(
            f"create or replace view {self.warehouse.relation(layer, name)} as\n{sql}"
        )
        return BuildResult(rows=None, full_refresh=True)

    def table(self, layer: str, name: str, sql: str, *, layout: Layout = PLAIN) -> BuildResult:
        """Replace the table by the query's rows; a view of the same name is dropped first.

        `layout` (partitioning and clustering, from `_models.yml`) applies on BigQuery only.
        """
        self._drop_other_kind(layer, name, "table")
        self.warehouse.replace_table(layer, name, sql, layout)
        return BuildResult(rows=self.count(layer, name), full_refresh=True)

    def incremental(
        self,
        layer: str,
        name: str,
        sql: str,
        unique_key: Sequence[str],
        *,
        full_refresh: bool = False,
        layout: Layout = PLAIN,
    ) -> BuildResult:
        """Merge the model's current output into its table, writing only the rows that changed.

        A row is *changed* when its full set of column values is not already in the target.
        Target rows whose key is among the changed rows (old versions) or is absent from the
        model's output (deleted at the source) are replaced or deleted; rows whose values did
        not change are never written, so their identity (and any column the target holds
        beyond the model's own) is kept (`Warehouse.merge` does it in the engine's way).

        Why this design rather than "rows loaded since the last run": it needs no state, stays
        correct for late-arriving updates, hard deletes, corrections of a dimension that a fact
        joins, and upstream full reloads, and it costs one read of the query plus a set
        difference — cheap in columnar engines — while the writes (what BigQuery DML bills and
        what downstream readers see) are limited to the changed rows. The model must be
        deterministic (no `current_timestamp()` columns) or every row counts as changed.

        The first build, `full_refresh=True`, a model whose columns are no longer all in the
        table, or (BigQuery) a table laid out other than `layout` rebuild the table.
        """
        merged = None
        if not full_refresh:
            merged = self.warehouse.merge(layer, name, sql, unique_key, layout)
        if merged is None:
            return self.table(layer, name, sql, layout=layout)
        return BuildResult(
            rows=self.count(layer, name),
            inserted=merged.inserted,
            updated=merged.updated,
            deleted=merged.deleted,
        )

    def build_queries(
        self,
        layer: str,
        name: str,
        sql: str,
        materialized: str,
        unique_key: Sequence[str] = (),
        *,
        full_refresh: bool = False,
        layout: Layout = PLAIN,
    ) -> list[str]:
        """The queries a build of `layer.name` would run that read data (what BigQuery bills),
        for a cost estimate: none for a view, the model's query for a table or a rebuild, and
        the unique-key check and the `MERGE` (its source query and the target's scan) for an
        incremental merge. Not listed: dry runs and metadata calls (free), and the row count
        after the build, which BigQuery answers from the table's metadata."""
        if materialized == "view":
            return []
        queries = None
        if materialized == "incremental" and not full_refresh:
            queries = self.warehouse.merge_queries(layer, name, sql, unique_key, layout)
        return [sql] if queries is None else queries
