"""The DuckDB adapter: a file on disk; layers are schemas."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow as pa

from adventure_elt.errors import WarehouseError
from adventure_elt.warehouse.base import (
    NULL_MARK,
    PLAIN,
    SEPARATOR,
    Layout,
    MergeCounts,
    Warehouse,
    decimal_scale,
)

if TYPE_CHECKING:
    import duckdb

    from adventure_elt.settings import Settings

# DuckDB lets one process write a file, or several read it. Writers that stream (`stream
# ingest`) hold it only for a short transaction per micro-batch, and readers (report, query, the
# dashboard) for one query, so an open that meets a lock retries for a while with a growing,
# jittered pause instead of failing at once.
LOCK_WAIT_SECONDS = 10.0
LOCK_MAX_PAUSE_SECONDS = 0.2

# DuckDB's memory limit while dlt loads a sync. By default (80% of RAM) DuckDB keeps every block
# it writes cached, so a full sync's memory grew with the largest table (bench/RESULTS.md); under
# a limit it evicts written blocks and spills sorts and joins to `<file>.tmp`, so the load's
# memory depends on this, not on the table.
DLT_LOAD_MEMORY_LIMIT = "256MB"


class DuckDBWarehouse(Warehouse):
    """A DuckDB file; layers are schemas."""

    kind = "duckdb"
    dialect = "duckdb"
    transactional = True
    reads_are_free = True
    drift_compares_types = True
    pipeline_suffix = ""  # the first engine kept dlt's pipeline name

    def __init__(
        self,
        path: Path,
        *,
        read_only: bool = False,
        lock_wait: float = LOCK_WAIT_SECONDS,
        max_pause: float = LOCK_MAX_PAUSE_SECONDS,
        missing_reads_empty: bool = False,
    ) -> None:
        self.path = path
        self.read_only = read_only
        self._lock_wait, self._max_pause = lock_wait, max_pause
        # read-only on a file not created yet: read an empty in-memory database instead, so
        # nothing is written before the sync has something to write
        self._missing_reads_empty = missing_reads_empty
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._connect()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        import duckdb

        path = self.path
        if self.read_only and self._missing_reads_empty and not path.exists():
            self._connection = duckdb.connect(":memory:")
            return self._connection
        try:
            if not self.read_only:
                path.parent.mkdir(parents=True, exist_ok=True)
            elif not path.exists():
                # The absolute path: a notebook or a service may run in another folder.
                raise WarehouseError(
                    f"warehouse {path.absolute()} does not exist yet; run 'adventure-elt sync'"
                    " first, or set ADVENTURE_ELT_DUCKDB_PATH"
                )
            self._connection = connect_duckdb(
                path, read_only=self.read_only, wait=self._lock_wait, max_pause=self._max_pause
            )
        except (duckdb.Error, OSError) as exc:
            raise WarehouseError(f"cannot open the DuckDB warehouse {path}: {exc}") from None
        return self._connection

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The open connection (reopened after `released`)."""
        return self._connection if self._connection is not None else self._connect()

    @classmethod
    def open(cls, settings: Settings, *, read_only: bool = False) -> DuckDBWarehouse:
        return cls(settings.duckdb_path, read_only=read_only)

    @classmethod
    def not_built(cls, settings: Settings) -> str | None:
        path = settings.duckdb_path
        return None if path.is_file() else f"warehouse {path.absolute()} does not exist yet"

    @classmethod
    def open_to_load(cls, settings: Settings) -> DuckDBWarehouse:
        """Read-only, so other readers share the file while the sync reads the source (a file
        not created yet reads as empty); `writable` and `released` switch when the sync writes
        or dlt loads."""
        path = settings.duckdb_path
        check_writable(path)
        return cls(path, read_only=True, missing_reads_empty=True)

    @contextmanager
    def released(self) -> Iterator[None]:
        # DuckDB lets one process hold a file with one configuration: dlt's loader opens it
        # its own way, so this handle lets go and reopens on its next statement
        self.close()
        yield

    def writable(self) -> None:
        if self.read_only:
            self.close()
            self.read_only = False

    def drop_repeated_rows(self, layer: str, name: str, key: Sequence[str]) -> None:
        keys = ", ".join(self.quote(k) for k in key)
        relation = self.relation(layer, name)
        self.execute(
            f"delete from {relation} where rowid in (select rowid from"
            f" (select rowid, row_number() over (partition by {keys}) as n"
            f" from {relation}) where n > 1)"
        )

    def execute(self, sql: str, params: list[Any] | None = None) -> None:
        with _interrupts_kept():
            self.connection.execute(sql, params)

    def fetch_arrow(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        # A relation streams into Arrow; a DB-API result would copy the rows once more.
        with _interrupts_kept():
            table: pa.Table = self.connection.sql(sql, params=params).to_arrow_table()
        return table

    def fetch_all(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with _interrupts_kept():
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

    def dataset_tables(self, dataset: str) -> list[str]:
        rows = self.fetch_all(
            "select table_name from information_schema.tables where table_schema = ?", [dataset]
        )
        return [str(r[0]) for r in rows]

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
        # DuckDB's own catalog functions: information_schema (views over them) took twice as
        # long, and a sync asks about three times per table (bench/RESULTS.md)
        rows = self.fetch_all(
            "select t.kind, c.column_name, c.data_type from ("
            "select database_name, schema_name, table_name, 'table' as kind from duckdb_tables()"
            " union all select database_name, schema_name, view_name, 'view' from duckdb_views()"
            ") as t left join duckdb_columns() as c using (database_name, schema_name, table_name)"
            " where t.schema_name = ? and t.table_name = ? order by c.column_index",
            [layer, name],
        )
        if not rows:
            return None
        kind = str(rows[0][0])
        return kind, {str(column): str(type_) for _, column, type_ in rows if column is not None}

    @contextmanager
    def stage(self, rows: pa.Table, layer: str, hint: str) -> Iterator[str]:
        # a view over the Arrow table in this process: nothing is copied
        view = f"_{hint}_{uuid.uuid4().hex[:8]}"
        self.connection.register(view, rows)
        try:
            yield self.quote(view)
        finally:
            self.connection.unregister(view)

    def execute_dml(self, sql: str) -> int:
        # DuckDB answers a DML statement with one row: the rows it affected
        with _interrupts_kept():
            row = self.connection.execute(sql).fetchone()
        return int(row[0]) if row else 0

    def add_flag_column(self, layer: str, name: str, column: str) -> None:
        self.execute(
            f"alter table {self.relation(layer, name)} add column if not exists"
            f" {self.quote(column)} boolean default false"
        )

    def add_columns(self, layer: str, name: str, schema: pa.Schema) -> None:
        present = self.column_types(layer, name)
        missing = pa.schema([f for f in schema if f.name not in present])
        if not missing:
            return
        # DuckDB's own type for each Arrow type, as it reads an Arrow table
        types = self.connection.from_arrow(missing.empty_table()).types
        relation = self.relation(layer, name)
        for field, kind in zip(missing, types, strict=True):
            self.execute(
                f"alter table {relation} add column if not exists {self.quote(field.name)} {kind}"
            )

    def canonical_text(self, column: str, type_name: str) -> str:
        quoted = self.quote(column)
        kind = type_name.upper()
        if decimal_scale(kind):
            # DECIMAL(38,9) prints all 9 decimals; drop trailing zeros, then a bare point.
            return f"rtrim(rtrim(cast({quoted} as varchar), '0'), '.')"
        if kind == "BLOB":
            return f"lower(hex({quoted}))"
        if kind.startswith("TIMESTAMP WITH TIME ZONE"):
            return f"strftime(timezone('UTC', {quoted}), {_TIME})"
        if kind.startswith("TIMESTAMP"):
            return f"strftime({quoted}, {_TIME})"
        if kind == "DATE":
            return f"strftime({quoted}, '%Y-%m-%d')"
        if kind == "VARCHAR":
            return quoted
        return f"cast({quoted} as varchar)"

    def row_hash(self, texts: Sequence[str]) -> str:
        marked = ", ".join(f"coalesce({t}, chr({NULL_MARK}))" for t in texts)
        return f"md5(concat_ws(chr({SEPARATOR}), {marked}))"

    def hash_slice(self, hash_sql: str, start: int) -> str:
        return f"cast('0x' || substr({hash_sql}, {start}, 8) as bigint)"

    def merge(
        self, layer: str, name: str, sql: str, key: Sequence[str], layout: Layout = PLAIN
    ) -> MergeCounts | None:
        """Delete + insert in one transaction, from a work table `<name>__incoming` holding
        the query's rows (so the query runs once).

        A row is *changed* when its full set of column values is not already in the target
        (`incoming except distinct target`, which compares NULLs as equal). Target rows whose
        key is among the changed rows (old versions) or absent from the incoming rows are
        deleted; the changed rows are inserted.
        """
        if self.table_kind(layer, name) != "table":
            return None
        incoming_name, changed_name = f"{name}__incoming", f"{name}__changed"
        incoming = self.relation(layer, incoming_name)
        self.replace_table(layer, incoming_name, sql)
        try:
            columns = list(self.column_types(layer, incoming_name))
            self.check_merge_key(layer, name, columns, key)
            if not set(columns) <= set(self.column_types(layer, name)):
                return None
            self.check_unique(layer, name, incoming, key)
            return self._merge_from(layer, name, incoming_name, changed_name, columns, key)
        finally:
            self.execute(f"drop table if exists {incoming}")
            self.execute(f"drop table if exists {self.relation(layer, changed_name)}")

    def _merge_from(
        self,
        layer: str,
        name: str,
        incoming_name: str,
        changed_name: str,
        columns: Sequence[str],
        key: Sequence[str],
    ) -> MergeCounts:
        q = self.quote
        target, incoming = self.relation(layer, name), self.relation(layer, incoming_name)
        changed = self.relation(layer, changed_name)
        cols = ", ".join(q(c) for c in columns)

        def match(a: str, b: str) -> str:
            return " and ".join(f"{a}.{q(k)} is not distinct from {b}.{q(k)}" for k in key)

        with self.transaction():
            self.replace_table(
                layer,
                changed_name,
                f"select {cols} from {incoming} except distinct select {cols} from {target}",
            )
            (changed_rows,) = self.fetch_all(f"select count(*) from {changed}")[0]
            (updated,) = self.fetch_all(
                f"select count(*) from {changed} as c"
                f" where exists (select 1 from {target} as t where {match('t', 'c')})"
            )[0]
            (deleted,) = self.fetch_all(
                f"select count(*) from {target} as t"
                f" where not exists (select 1 from {incoming} as i where {match('i', 't')})"
            )[0]
            self.execute(
                f"delete from {target} as t"
                f" where exists (select 1 from {changed} as c where {match('c', 't')})"
                f" or not exists (select 1 from {incoming} as i where {match('i', 't')})"
            )
            self.execute(f"insert into {target} ({cols}) select {cols} from {changed}")
        return MergeCounts(int(changed_rows) - int(updated), int(updated), int(deleted))

    def dlt_destination(self, dlt: Any) -> tuple[Any, str]:
        # dlt leaves DuckDB's `supports_transactions` unset, so a full refresh's swap (DELETE
        # then INSERT … SELECT from staging) ran as two commits: a sync killed between them
        # left readers an empty table. DuckDB is transactional: say so, and dlt wraps each
        # SQL job in one transaction.
        destination = dlt.destinations.duckdb(
            credentials=_dlt_credentials(self.path), supports_transactions=True
        )
        return destination, "raw"

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


@contextmanager
def _interrupts_kept() -> Iterator[None]:
    """Let Ctrl-C during a query through as `KeyboardInterrupt`.

    DuckDB answers it with `RuntimeError("Query interrupted")`, which callers took for a failed
    statement: a model "failed" (exit 2), a check query fell back to running each check alone
    and the checks passed (exit 0).
    """
    try:
        yield
    except RuntimeError as exc:
        if type(exc) is RuntimeError and str(exc).startswith("Query interrupted"):
            raise KeyboardInterrupt from None
        raise


def _dlt_credentials(path: Path) -> Any:
    """dlt's credentials for the DuckDB file `path`, which print as `duckdb:///<path>`.

    An object, not a path string: dlt parses a string as a URL with SQLAlchemy, whose import
    alone costs about a second of every sync. dlt also names the destination by
    `str(credentials)` when the load is done, which would import SQLAlchemy only to render that
    URL; the class prints the path itself instead (dlt copies credentials into its own
    instances while resolving them, so the class is changed, not a subclass).

    The load runs under `DLT_LOAD_MEMORY_LIMIT`.
    """
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    setattr(DuckDbCredentials, "__str__", _dlt_url)  # noqa: B010
    credentials = DuckDbCredentials()
    credentials.database = str(path.absolute())
    credentials.global_config = {"memory_limit": DLT_LOAD_MEMORY_LIMIT}
    return credentials


def _dlt_url(credentials: Any) -> str:
    return f"duckdb:///{credentials.database}"


_TIME = "'%Y-%m-%d %H:%M:%S.%f'"


def check_writable(path: Path) -> None:
    """Fail in one line when the DuckDB file at `path` cannot be created or written."""
    import os

    if path.is_dir():
        raise WarehouseError(f"warehouse path {path} is a folder; give a file name, e.g. x.duckdb")
    if path.exists():
        if not os.access(path, os.W_OK | os.R_OK):
            raise WarehouseError(
                f"warehouse file {path} is not readable and writable; check its permissions"
            )
        if not is_duckdb_file(path):
            raise WarehouseError(
                f"warehouse file {path} is not a DuckDB database; choose another --duckdb-path"
                " (sync creates the file when it does not exist)"
            )
        return
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise WarehouseError(
            f"cannot create the warehouse file {path}: {parent} is not a writable folder; "
            "choose another --duckdb-path"
        )


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
