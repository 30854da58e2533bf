"""Build a compiled model in the warehouse as a view, a table, or an incremental table.

The statements are standard SQL that DuckDB and BigQuery both accept (`create or replace`,
`except distinct`, `delete … where exists`, `insert … select`); relations come from
`Warehouse.relation`. `BigQueryMaterializer` differs where BigQuery does: partitioned and
clustered tables are created through the API (so both sit in the table's metadata) and then
filled; incremental models merge with one `MERGE` statement (atomic: BigQuery runs no
multi-statement transaction outside a script). `materializer_for` picks the class by engine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adventure_elt.errors import ModelError
from adventure_elt.warehouse import BigQueryWarehouse, Warehouse


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

    def table(
        self,
        layer: str,
        name: str,
        sql: str,
        *,
        partition_by: Mapping[str, Any] | None = None,
        cluster_by: Sequence[str] = (),
    ) -> BuildResult:
        """`create or replace table … as` the query; a view of the same name is dropped first.

        `partition_by`/`cluster_by` (from `_models.yml`) apply on BigQuery only.
        """
        self._drop_other_kind(layer, name, "table")
        self.warehouse.execute(
            f"create or replace table {self.warehouse.relation(layer, name)} as\n{sql}"
        )
        return BuildResult(rows=self.count(layer, name), full_refresh=True)

    def incremental(
        self,
        layer: str,
        name: str,
        sql: str,
        unique_key: Sequence[str],
        *,
        full_refresh: bool = False,
        partition_by: Mapping[str, Any] | None = None,
        cluster_by: Sequence[str] = (),
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
        target = wh.relation(layer, name)
        if full_refresh or self.existing_kind(layer, name) != "table":
            return self.table(layer, name, sql, partition_by=partition_by, cluster_by=cluster_by)
        incoming_name, changed_name = f"{name}__incoming", f"{name}__changed"
        incoming, changed = wh.relation(layer, incoming_name), wh.relation(layer, changed_name)
        wh.execute(f"create or replace table {incoming} as\n{sql}")
        try:
            columns = self.columns(layer, incoming_name)
            self._check_key_columns(layer, name, columns, unique_key)
            if not set(columns) <= set(self.columns(layer, name)):
                wh.execute(f"create or replace table {target} as select * from {incoming}")
                return BuildResult(rows=self.count(layer, name), full_refresh=True)
            self._check_unique(layer, name, incoming, unique_key)
            return self._merge(target, incoming, changed, columns, unique_key)
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

    def _check_unique(self, layer: str, name: str, incoming: str, key: Sequence[str]) -> None:
        cols = ", ".join(_q(k) for k in key)
        dupes = self.warehouse.fetch_all(
            f"select {cols} from {incoming} group by {cols} having count(*) > 1 limit 1"
        )
        if dupes:
            raise ModelError(
                f"{layer}.{name}: unique_key ({', '.join(key)}) is not unique in the model's "
                f"output (e.g. {dupes[0]}); fix the model or its unique_key"
            )

    def _merge(
        self,
        target: str,
        incoming: str,
        changed: str,
        columns: Sequence[str],
        key: Sequence[str],
    ) -> BuildResult:
        wh = self.warehouse
        cols = ", ".join(_q(c) for c in columns)

        def match(a: str, b: str) -> str:
            return " and ".join(f"{a}.{_q(k)} is not distinct from {b}.{_q(k)}" for k in key)

        wh.execute("begin transaction")
        try:
            wh.execute(
                f"create or replace table {changed} as select {cols} from {incoming}"
                f" except distinct select {cols} from {target}"
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


def _q(identifier: str) -> str:
    # plain names need no quotes on either engine; anything else gets DuckDB's double quotes
    if re.fullmatch(r"[a-z_][a-z0-9_]*", identifier):
        return identifier
    return '"' + identifier.replace('"', '""') + '"'


class BigQueryMaterializer(Materializer):
    """BigQuery: partitioned/clustered tables through the API, incremental models by MERGE."""

    warehouse: BigQueryWarehouse

    def __init__(self, warehouse: BigQueryWarehouse) -> None:
        super().__init__(warehouse)

    def table(
        self,
        layer: str,
        name: str,
        sql: str,
        *,
        partition_by: Mapping[str, Any] | None = None,
        cluster_by: Sequence[str] = (),
    ) -> BuildResult:
        """Like the base class; with partitioning or clustering, create the table through the
        API (its metadata holds both) with the query's schema from a dry run, then fill it."""
        if not partition_by and not cluster_by:
            return super().table(layer, name, sql)
        wh = self.warehouse
        self._drop_other_kind(layer, name, "table")
        schema = wh.query_schema(sql)
        wh.create_table(layer, name, schema, partition_by, cluster_by)
        columns = ", ".join(_q(field.name) for field in schema)
        wh.execute(f"insert into {wh.relation(layer, name)} ({columns})\n{sql}")
        return BuildResult(rows=self.count(layer, name), full_refresh=True)

    def incremental(
        self,
        layer: str,
        name: str,
        sql: str,
        unique_key: Sequence[str],
        *,
        full_refresh: bool = False,
        partition_by: Mapping[str, Any] | None = None,
        cluster_by: Sequence[str] = (),
    ) -> BuildResult:
        """One `MERGE`: update rows whose values changed, insert new keys, delete keys gone
        from the model's output; rows that did not change are not written."""
        wh = self.warehouse
        existing = None if full_refresh else wh.describe(layer, name)
        if existing is None or existing[0] != "table":
            return self.table(layer, name, sql, partition_by=partition_by, cluster_by=cluster_by)
        target_columns = existing[1]
        columns = [field.name for field in wh.query_schema(sql)]
        self._check_key_columns(layer, name, columns, unique_key)
        if not set(columns) <= set(target_columns):
            return self.table(layer, name, sql, partition_by=partition_by, cluster_by=cluster_by)
        incoming = f"(\n{sql}\n)"
        self._check_unique(layer, name, incoming, unique_key)
        inserted, updated, deleted = wh.execute_dml(
            merge_statement(wh.relation(layer, name), sql, columns, unique_key)
        )
        return BuildResult(
            rows=self.count(layer, name), inserted=inserted, updated=updated, deleted=deleted
        )


def merge_statement(target: str, sql: str, columns: Sequence[str], key: Sequence[str]) -> str:
    """The BigQuery `MERGE` of an incremental model (keys compared with `=`: they are unique
    and not null in the model's output).

    >>> print(merge_statement("`p.d.t`", "select 1 as id, 2 as v", ["id", "v"], ["id"]))
    merge `p.d.t` as t
    using (
    select 1 as id, 2 as v
    ) as s
    on t.id = s.id
    when matched and not (t.v is not distinct from s.v) then update set v = s.v
    when not matched by target then insert (id, v) values (s.id, s.v)
    when not matched by source then delete
    """
    on = " and ".join(f"t.{_q(k)} = s.{_q(k)}" for k in key)
    values = [c for c in columns if c not in key]
    lines = [f"merge {target} as t", f"using (\n{sql.strip()}\n) as s", f"on {on}"]
    if values:
        same = " and ".join(f"t.{_q(c)} is not distinct from s.{_q(c)}" for c in values)
        assignments = ", ".join(f"{_q(c)} = s.{_q(c)}" for c in values)
        lines.append(f"when matched and not ({same}) then update set {assignments}")
    names = ", ".join(_q(c) for c in columns)
    lines.append(
        f"when not matched by target then insert ({names})"
        f" values ({', '.join(f's.{_q(c)}' for c in columns)})"
    )
    lines.append("when not matched by source then delete")
    return "\n".join(lines)


def materializer_for(warehouse: Warehouse) -> Materializer:
    """The materializer of the warehouse's engine."""
    if isinstance(warehouse, BigQueryWarehouse):
        return BigQueryMaterializer(warehouse)
    return Materializer(warehouse)
