"""Build a compiled model in the warehouse as a view, a table, or an incremental table.

The statements are standard SQL that DuckDB and BigQuery both accept (`create or replace`,
`except distinct`, `delete … where exists`, `insert … select`); relations, quoting and table
replacement (with BigQuery's partitioning and clustering) come from the `Warehouse` adapter.
`BigQueryMaterializer` differs where BigQuery does: incremental models merge with one `MERGE`
statement (atomic: BigQuery runs no multi-statement transaction outside a script), and a table
whose partitioning or clustering no longer matches `_models.yml` is rebuilt rather than merged
into. `materializer_for` picks the class by engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from adventure_elt.errors import ModelError
from adventure_elt.warehouse import PLAIN, BigQueryWarehouse, Layout, Warehouse


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

        How: the query runs into a work table `<name>__incoming`. A row is *changed* when its
        full set of column values is not already in the target (`incoming except distinct
        target`, which compares NULLs as equal). Target rows whose key is among the changed rows
        (old versions) or is absent from the incoming rows (deleted at the source) are deleted;
        the changed rows are inserted. Rows whose values did not change are never written, so
        their identity (and any column the target holds beyond the model's own) is kept.

        Why this design rather than "rows loaded since the last run": it needs no state, stays
        correct for late-arriving updates, hard deletes, corrections of a dimension that a fact
        joins, and upstream full reloads, and it costs one read of the query plus a set
        difference — cheap in columnar engines — while the writes (what BigQuery DML bills and
        what downstream readers see) are limited to the changed rows. The model must be
        deterministic (no `current_timestamp()` columns) or every row counts as changed.

        The first build, `full_refresh=True`, or a model whose columns are no longer all in the
        table rebuild the table from scratch.
        """
        wh = self.warehouse
        if full_refresh or self.existing_kind(layer, name) != "table":
            return self.table(layer, name, sql, layout=layout)
        incoming_name, changed_name = f"{name}__incoming", f"{name}__changed"
        incoming, changed = wh.relation(layer, incoming_name), wh.relation(layer, changed_name)
        wh.replace_table(layer, incoming_name, sql)
        try:
            columns = self.columns(layer, incoming_name)
            self._check_key_columns(layer, name, columns, unique_key)
            if not set(columns) <= set(self.columns(layer, name)):
                wh.replace_table(layer, name, f"select * from {incoming}", layout)
                return BuildResult(rows=self.count(layer, name), full_refresh=True)
            self._check_unique(layer, name, incoming, unique_key)
            return self._merge(layer, name, incoming_name, changed_name, columns, unique_key)
        finally:
            wh.execute(f"drop table if exists {incoming}")
            wh.execute(f"drop table if exists {changed}")

    @staticmethod
    def _check_key_columns(
        layer: str, name: str, columns: Sequence[str], key: Sequence[str]
    ) -> None:
        """Raise `ModelError` if a `unique_key` column is not in the model's output."""
        missing = [k for k in key if k not in columns]
        if missing:
            raise ModelError(
                f"{layer}.{name}: unique_key column(s) {', '.join(missing)} are not in the "
                "model's output; fix unique_key in _models.yml"
            )

    def unique_check_sql(self, incoming: str, key: Sequence[str]) -> str:
        """The query returning one `unique_key` value that `incoming` holds twice, if any."""
        cols = ", ".join(self.warehouse.quote(k) for k in key)
        return f"select {cols} from {incoming} group by {cols} having count(*) > 1 limit 1"

    def _check_unique(self, layer: str, name: str, incoming: str, key: Sequence[str]) -> None:
        dupes = self.warehouse.fetch_all(self.unique_check_sql(incoming, key))
        if dupes:
            raise ModelError(
                f"{layer}.{name}: unique_key ({', '.join(key)}) is not unique in the model's "
                f"output (e.g. {dupes[0]}); fix the model or its unique_key"
            )

    def _merge(
        self,
        layer: str,
        name: str,
        incoming_name: str,
        changed_name: str,
        columns: Sequence[str],
        key: Sequence[str],
    ) -> BuildResult:
        wh = self.warehouse
        q = wh.quote
        target, incoming = wh.relation(layer, name), wh.relation(layer, incoming_name)
        changed = wh.relation(layer, changed_name)
        cols = ", ".join(q(c) for c in columns)

        def match(a: str, b: str) -> str:
            return " and ".join(f"{a}.{q(k)} is not distinct from {b}.{q(k)}" for k in key)

        wh.execute("begin transaction")
        try:
            wh.replace_table(
                layer,
                changed_name,
                f"select {cols} from {incoming} except distinct select {cols} from {target}",
            )
            (changed_rows,) = wh.fetch_all(f"select count(*) from {changed}")[0]
            (updated,) = wh.fetch_all(
                f"select count(*) from {changed} as c"
                f" where exists (select 1 from {target} as t where {match('t', 'c')})"
            )[0]
            (deleted,) = wh.fetch_all(
                f"select count(*) from {target} as t"
                f" where not exists (select 1 from {incoming} as i where {match('i', 't')})"
            )[0]
            wh.execute(
                f"delete from {target} as t"
                f" where exists (select 1 from {changed} as c where {match('c', 't')})"
                f" or not exists (select 1 from {incoming} as i where {match('i', 't')})"
            )
            wh.execute(f"insert into {target} ({cols}) select {cols} from {changed}")
            wh.execute("commit")
        except BaseException:
            wh.execute("rollback")
            raise
        (rows,) = wh.fetch_all(f"select count(*) from {target}")[0]
        return BuildResult(
            rows=int(rows),
            inserted=int(changed_rows) - int(updated),
            updated=int(updated),
            deleted=int(deleted),
        )


class BigQueryMaterializer(Materializer):
    """BigQuery: incremental models by one MERGE, rebuilt when their layout changed."""

    warehouse: BigQueryWarehouse

    def __init__(self, warehouse: BigQueryWarehouse) -> None:
        super().__init__(warehouse)

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
        """One `MERGE`: update rows whose values changed, insert new keys, delete keys gone
        from the model's output; rows that did not change are not written.

        The table is rebuilt instead on the first run, with `full_refresh`, when the model has
        columns the table lacks, or when `_models.yml` now declares another partitioning or
        clustering (merging would keep the old one).
        """
        columns = self._merge_columns(layer, name, sql, unique_key, full_refresh, layout)
        if columns is None:
            return self.table(layer, name, sql, layout=layout)
        wh = self.warehouse
        self._check_unique(layer, name, f"(\n{sql}\n)", unique_key)
        inserted, updated, deleted = wh.execute_dml(
            merge_statement(wh.relation(layer, name), sql, columns, unique_key, wh.quote)
        )
        return BuildResult(
            rows=self.count(layer, name), inserted=inserted, updated=updated, deleted=deleted
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
        columns = None
        if materialized == "incremental":
            columns = self._merge_columns(layer, name, sql, unique_key, full_refresh, layout)
        if columns is None:
            return [sql]
        wh = self.warehouse
        return [
            self.unique_check_sql(f"(\n{sql}\n)", unique_key),
            merge_statement(wh.relation(layer, name), sql, columns, unique_key, wh.quote),
        ]

    def _merge_columns(
        self,
        layer: str,
        name: str,
        sql: str,
        unique_key: Sequence[str],
        full_refresh: bool,
        layout: Layout,
    ) -> list[str] | None:
        """The model's columns when its table can take a merge; None when it must be rebuilt."""
        wh = self.warehouse
        if full_refresh or wh.table_layout(layer, name) != layout:
            return None  # missing, a view, or laid out differently
        columns = [field.name for field in wh.query_schema(sql)]
        self._check_key_columns(layer, name, columns, unique_key)
        if not set(columns) <= set(wh.column_types(layer, name)):
            return None
        return columns


def merge_statement(
    target: str,
    sql: str,
    columns: Sequence[str],
    key: Sequence[str],
    quote: Callable[[str], str],
) -> str:
    """The BigQuery `MERGE` of an incremental model (keys compared with `=`: they are unique
    and not null in the model's output); `quote` quotes a column name (`Warehouse.quote`).

    >>> from adventure_elt.warehouse import bigquery_quote
    >>> print(merge_statement("`p.d.t`", "select 1 as id, 2 as v", ["id", "v"], ["id"],
    ...                       bigquery_quote))
    merge `p.d.t` as t
    using (
    select 1 as id, 2 as v
    ) as s
    on t.`id` = s.`id`
    when matched and not (t.`v` is not distinct from s.`v`) then update set `v` = s.`v`
    when not matched by target then insert (`id`, `v`) values (s.`id`, s.`v`)
    when not matched by source then delete
    """
    on = " and ".join(f"t.{quote(k)} = s.{quote(k)}" for k in key)
    values = [c for c in columns if c not in key]
    lines = [f"merge {target} as t", f"using (\n{sql.strip()}\n) as s", f"on {on}"]
    if values:
        same = " and ".join(f"t.{quote(c)} is not distinct from s.{quote(c)}" for c in values)
        assignments = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in values)
        lines.append(f"when matched and not ({same}) then update set {assignments}")
    names = ", ".join(quote(c) for c in columns)
    lines.append(
        f"when not matched by target then insert ({names})"
        f" values ({', '.join(f's.{quote(c)}' for c in columns)})"
    )
    lines.append("when not matched by source then delete")
    return "\n".join(lines)


def materializer_for(warehouse: Warehouse) -> Materializer:
    """The materializer of the warehouse's engine."""
    if isinstance(warehouse, BigQueryWarehouse):
        return BigQueryMaterializer(warehouse)
    return Materializer(warehouse)
