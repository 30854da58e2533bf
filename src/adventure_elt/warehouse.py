"""The only module that knows warehouse clients: run SQL, fetch Arrow, list tables.

A small class per engine, chosen once by `open_warehouse`. Layers (`raw`, `staging`, `marts`,
`reports`, `ops`) are DuckDB schemas locally and BigQuery datasets in production.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from adventure_elt.errors import WarehouseError
from adventure_elt.settings import Settings

if TYPE_CHECKING:
    import duckdb

LAYERS: tuple[str, ...] = ("raw", "staging", "marts", "reports", "ops")


class Warehouse(ABC):
    """What every engine offers. Use it as a context manager to close it."""

    kind: str

    @abstractmethod
    def execute(self, sql: str, params: list[Any] | None = None) -> None:
        """Run a statement that returns nothing."""

    @abstractmethod
    def fetch_arrow(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        """Run a query and return its result as an Arrow table."""

    @abstractmethod
    def fetch_all(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples."""

    @abstractmethod
    def list_tables(self, layer: str) -> list[str]:
        """Names of the tables and views in a layer, sorted; empty when the layer is missing."""

    @abstractmethod
    def create_layer(self, layer: str) -> None:
        """Create the layer's schema/dataset if it does not exist."""

    @abstractmethod
    def relation(self, layer: str, name: str) -> str:
        """The quoted, fully qualified name to use in SQL for `layer.name`."""

    @abstractmethod
    def append(self, layer: str, name: str, rows: pa.Table) -> None:
        """Append Arrow rows to `layer.name`, creating the table from their schema if needed."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DuckDBWarehouse(Warehouse):
    """A DuckDB file; layers are schemas."""

    kind = "duckdb"

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        import duckdb

        self.path = path
        try:
            if not read_only:
                path.parent.mkdir(parents=True, exist_ok=True)
            elif not path.exists():
                raise WarehouseError(
                    f"warehouse {path} does not exist yet; run 'adventure-elt sync' first"
                )
            self.connection = _connect_duckdb(path, read_only=read_only)
        except (duckdb.Error, OSError) as exc:
            raise WarehouseError(f"cannot open the DuckDB warehouse {path}: {exc}") from None

    def execute(self, sql: str, params: list[Any] | None = None) -> None:
        self.connection.execute(sql, params)

    def fetch_arrow(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        result = self.connection.execute(sql, params)
        table: pa.Table = result.to_arrow_table()
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
        self.execute(f'create schema if not exists "{layer}"')

    def relation(self, layer: str, name: str) -> str:
        return f'"{layer}"."{name}"'

    def append(self, layer: str, name: str, rows: pa.Table) -> None:
        self.create_layer(layer)
        target = self.relation(layer, name)
        self.connection.register("_appended_rows", rows)
        try:
            self.execute(f"create table if not exists {target} as from _appended_rows limit 0")
            self.execute(f"insert into {target} by name from _appended_rows")
        finally:
            self.connection.unregister("_appended_rows")

    def close(self) -> None:
        self.connection.close()


# DuckDB lets one process write a file, or several read it. Writers that stream (`stream
# ingest`) hold it only for a short transaction per micro-batch, so an open that meets a lock
# retries for a while with a growing, jittered pause instead of failing at once.
LOCK_WAIT_SECONDS = 10.0


def _connect_duckdb(
    path: Path, *, read_only: bool, wait: float = LOCK_WAIT_SECONDS
) -> duckdb.DuckDBPyConnection:
    import random
    import time

    import duckdb

    deadline = time.monotonic() + wait
    pause = 0.005
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause * random.uniform(0.5, 1.5))
            pause = min(pause * 1.5, 0.2)


def open_warehouse(settings: Settings, *, read_only: bool = False) -> Warehouse:
    """Open the configured warehouse."""
    if settings.warehouse == "duckdb":
        return DuckDBWarehouse(settings.duckdb_path, read_only=read_only)
    raise WarehouseError(
        f"warehouse {settings.warehouse!r} is not supported yet; use ADVENTURE_ELT_WAREHOUSE=duckdb"
    )
