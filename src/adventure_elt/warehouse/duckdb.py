"""The DuckDB adapter: a file on disk; layers are schemas."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow as pa

from adventure_elt.errors import WarehouseError
from adventure_elt.warehouse.base import PLAIN, Layout, Warehouse

if TYPE_CHECKING:
    import duckdb

    from adventure_elt.settings import Settings

# DuckDB lets one process write a file, or several read it. Writers that stream (`stream
# ingest`) hold it only for a short transaction per micro-batch, and readers (report, query, the
# dashboard) for one query, so an open that meets a lock retries for a while with a growing,
# jittered pause instead of failing at once.
LOCK_WAIT_SECONDS = 10.0
LOCK_MAX_PAUSE_SECONDS = 0.2


class DuckDBWarehouse(Warehouse):
    """A DuckDB file; layers are schemas."""

    kind = "duckdb"

    def __init__(
        self,
        path: Path,
        *,
        read_only: bool = False,
        lock_wait: float = LOCK_WAIT_SECONDS,
        max_pause: float = LOCK_MAX_PAUSE_SECONDS,
    ) -> None:
        import duckdb

        self.path = path
        try:
            if not read_only:
                path.parent.mkdir(parents=True, exist_ok=True)
            elif not path.exists():
                # The absolute path: a notebook or a service may run in another folder.
                raise WarehouseError(
                    f"warehouse {path.absolute()} does not exist yet; run 'adventure-elt sync'"
                    " first, or set ADVENTURE_ELT_DUCKDB_PATH"
                )
            self.connection = connect_duckdb(
                path, read_only=read_only, wait=lock_wait, max_pause=max_pause
            )
        except (duckdb.Error, OSError) as exc:
            raise WarehouseError(f"cannot open the DuckDB warehouse {path}: {exc}") from None

    @classmethod
    def open(cls, settings: Settings, *, read_only: bool = False) -> DuckDBWarehouse:
        return cls(settings.duckdb_path, read_only=read_only)

    def execute(self, sql: str, params: list[Any] | None = None) -> None:
        self.connection.execute(sql, params)

    def fetch_arrow(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        # A relation streams into Arrow; a DB-API result would copy the rows once more.
        table: pa.Table = self.connection.sql(sql, params=params).to_arrow_table()
        return table

    def fetch_all(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.connection.execute(sql, params).fetchall()

    def list_tables(self, layer: str) -> list[str]:
        rows = self.fetch_all(
            "select table_name from information_schema.tables"
            " where table_schema = ? order by table_name",
            [layer],
        )
        return [str(r[0]) for r in rows]

    def create_layer(self, layer: str) -> None:
        self.execute(f"create schema if not exists {self.quote(layer)}")

    def relation(self, layer: str, name: str) -> str:
        return f"{self.quote(layer)}.{self.quote(name)}"

    def quote(self, name: str) -> str:
        return duckdb_quote(name)

    def dataset_columns(self, dataset: str, name: str) -> list[str]:
        rows = self.fetch_all(
            "select column_name from information_schema.columns"
            " where table_schema = ? and table_name = ? order by ordinal_position",
            [dataset, name],
        )
        return [str(r[0]) for r in rows]

    def replace_table(self, layer: str, name: str, sql: str, layout: Layout = PLAIN) -> None:
        # one statement: readers see the old table or the new one, never none
        self.execute(f"create or replace table {self.relation(layer, name)} as\n{sql}")

    def ensure_table(
        self, layer: str, name: str, schema: pa.Schema, layout: Layout = PLAIN
    ) -> None:
        self.create_layer(layer)
        self._create_from(layer, name, schema.empty_table())

    def _create_from(self, layer: str, name: str, rows: pa.Table) -> None:
        """Create `layer.name` with the columns (and DuckDB types) of `rows` if it is missing."""
        self.connection.register("_schema_rows", rows)
        try:
            self.execute(
                f"create table if not exists {self.relation(layer, name)}"
                " as from _schema_rows limit 0"
            )
        finally:
            self.connection.unregister("_schema_rows")

    def append(self, layer: str, name: str, rows: pa.Table) -> None:
        self.create_layer(layer)
        self._create_from(layer, name, rows)
        self.connection.register("_appended_rows", rows)
        try:
            self.execute(f"insert into {self.relation(layer, name)} by name from _appended_rows")
        finally:
            self.connection.unregister("_appended_rows")

    def describe(self, layer: str, name: str) -> tuple[str, dict[str, str]] | None:
        rows = self.fetch_all(
            "select t.table_type, c.column_name, c.data_type from information_schema.tables as t"
            " left join information_schema.columns as c on c.table_catalog = t.table_catalog"
            " and c.table_schema = t.table_schema and c.table_name = t.table_name"
            " where t.table_schema = ? and t.table_name = ? order by c.ordinal_position",
            [layer, name],
        )
        if not rows:
            return None
        kind = "view" if "VIEW" in str(rows[0][0]).upper() else "table"
        return kind, {str(column): str(type_) for _, column, type_ in rows if column is not None}

    def close(self) -> None:
        self.connection.close()


def duckdb_quote(name: str) -> str:
    """A double-quoted DuckDB identifier.

    >>> print(duckdb_quote('odd"name'))
    "odd""name"
    """
    return '"' + name.replace('"', '""') + '"'


T = TypeVar("T")

# A DuckDB database file starts with an 8-byte checksum, then this magic.
_MAGIC, _MAGIC_AT = b"DUCK", 8


def is_duckdb_file(path: Path) -> bool:
    """Whether an existing file is a DuckDB database (by its header, without opening it).

    A file of another kind (a CSV, a text file, an empty file) would make every open fail.
    """
    with path.open("rb") as handle:
        head = handle.read(_MAGIC_AT + len(_MAGIC))
    return head[_MAGIC_AT:] == _MAGIC


def wait_for_duckdb_lock(
    open_: Callable[[], T],
    wait: float = LOCK_WAIT_SECONDS,
    max_pause: float = LOCK_MAX_PAUSE_SECONDS,
) -> T:
    """Call `open_` (something that opens a DuckDB file) until no other process holds the
    file's lock, for at most `wait` seconds, pausing at most `max_pause` between tries; other
    errors are raised at once."""
    import random
    import time

    import duckdb

    deadline = time.monotonic() + wait
    pause = min(0.005, max_pause)
    while True:
        try:
            return open_()
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause * random.uniform(0.5, 1.5))
            pause = min(pause * 1.5, max_pause)


def connect_duckdb(
    path: Path,
    *,
    read_only: bool,
    wait: float = LOCK_WAIT_SECONDS,
    max_pause: float = LOCK_MAX_PAUSE_SECONDS,
) -> duckdb.DuckDBPyConnection:
    """`duckdb.connect`, waiting up to `wait` seconds for a lock another process holds."""
    import duckdb

    return wait_for_duckdb_lock(
        lambda: duckdb.connect(str(path), read_only=read_only), wait, max_pause
    )
