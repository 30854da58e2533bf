"""`sync`: the 12 source tables into the warehouse's raw layer with one dlt pipeline.

Every table is a dlt resource fed Arrow tables by `extract.read_batches`. Rows merge on the
catalog's primary key (`delete-insert`, newest `modifieddate` wins inside a batch). The
incremental cursor is the largest `modifieddate` loaded, kept in the resource's dlt state, which
dlt commits together with the load; the next sync reads `modifieddate >= cursor - lag`. The bound
is inclusive and no per-row hashes are kept: re-read rows are idempotent under the merge, and
`changes.RawComparer` drops the unchanged ones before they are written.

Speed (see bench/RESULTS.md): a table whose DuckDB raw table is still empty is appended, not
merged through a staging table; `_dlt_id` is made while extracting, so dlt's normalizer passes
the parquet files through instead of rewriting them.

All tables are read in one REPEATABLE READ transaction, so orders and their lines come from the
same snapshot of the source.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg2.extensions
import pyarrow as pa
import pyarrow.compute as pc

from adventure_elt.catalog import SourceTable, select_tables
from adventure_elt.errors import AdventureEltError, ConfigError, WarehouseError
from adventure_elt.oltp import server
from adventure_elt.progress import ProgressCallback, ProgressEvent, ignore
from adventure_elt.redact import redact
from adventure_elt.replicate.changes import RawComparer
from adventure_elt.replicate.drift import (
    SchemaChange,
    SchemaChangeError,
    duckdb_raw_columns,
    raw_alterations,
    schema_changes,
)
from adventure_elt.replicate.extract import (
    SourceColumn,
    estimated_rows,
    prepare_session,
    read_batches,
    source_columns,
)
from adventure_elt.replicate.not_synced import TablesNotSyncedError
from adventure_elt.replicate.replaced import ReplacedSource, find_replaced
from adventure_elt.replicate.working_dir import remove_kill_leftovers, set_aside_unreadable_state
from adventure_elt.settings import Settings
from adventure_elt.warehouse import (
    BigQueryWarehouse,
    Warehouse,
    connect_duckdb,
    is_duckdb_file,
    open_warehouse,
    wait_for_duckdb_lock,
)

PIPELINE_NAME = "adventure_elt"
SOURCE_NAME = "adventureworks"
DATASET = "raw"
STAGING_DATASET = "raw_staging"  # dlt's: merges and full refreshes load here first
EXTRACTED_AT = "_extracted_at"
DLT_ID = "_dlt_id"

_DLT_TYPES = {
    pa.int64(): "bigint",
    pa.bool_(): "bool",
    pa.binary(): "binary",
    pa.string(): "text",
    pa.date32(): "date",
    pa.float64(): "double",
}


@dataclass
class TableSync:
    """What one table's sync did.

    Args:
        table: `schema.table`.
        mode: `initial` (first load), `incremental` or `full refresh`.
        rows_read: rows read from the source (incremental: `modifieddate >= cursor - lag`).
        inserted: rows whose key was new to the raw table.
        updated: rows whose key existed with different content.
        unchanged: re-read rows identical to raw, not written again.
        deleted: rows removed or flagged by delete detection.
        seconds: time spent reading this table (the shared load is in `SyncSummary.seconds`).
        notes: remarks for people, e.g. a new column that old rows hold as NULL.
    """

    table: str
    mode: str = "incremental"
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass
class SyncSummary:
    """The result of one `sync`: per-table counts and the load that wrote them."""

    tables: list[TableSync]
    load_id: str | None
    seconds: float

    @property
    def rows_written(self) -> int:
        """Rows inserted or updated over all tables."""
        return sum(t.inserted + t.updated for t in self.tables)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the `sync --json` output)."""
        return {
            "load_id": self.load_id,
            "seconds": round(self.seconds, 3),
            "tables": [{**asdict(t), "seconds": round(t.seconds, 3)} for t in self.tables],
        }


def sync(
    settings: Settings,
    tables: str | list[str] | None = None,
    full_refresh: bool = False,
    lag: timedelta | None = None,
    detect_deletes: bool = False,
    progress: ProgressCallback | None = None,
) -> SyncSummary:
    """Replicate source tables into the raw layer (incrementally unless `full_refresh`).

    Args:
        settings: where the source and the warehouse are.
        tables: comma-separated names (or a list) to limit the run; None = all 12.
        full_refresh: reload the chosen tables completely and reset their cursors.
        lag: re-read rows this much older than the cursor, to catch late commits.
        detect_deletes: afterwards remove (or flag, per `settings.delete_mode`) raw rows whose
            key is gone from the source; `settings.detect_deletes` switches it on too.
        progress: receives one task per table.

    Returns:
        Per-table rows read, inserted, updated, deleted and seconds.

    Raises:
        ConfigError: unknown table, negative lag, or a table missing in the source.
        SourceUnreachableError: the source cannot be reached.
        WarehouseError: the warehouse cannot be written.
        TablesNotSyncedError: some tables were left out (the others synced): a column changed
            type or was dropped (`SchemaChangeError`), or the source was replaced behind the
            cursor. `sync --full-refresh --tables …` fixes both.
    """
    started = time.perf_counter()
    report = progress or ignore
    chosen = select_tables(tables)
    if lag is not None and lag < timedelta(0):
        raise ConfigError("--lag must not be negative; use e.g. 5m")
    with _destination(settings) as bigquery:
        dsn = server.source_dsn(settings)
        with server.connect_to(dsn) as conn:
            # One snapshot for all tables: an order and its lines are read from the same moment.
            conn.set_session(
                isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True
            )
            prepare_session(conn)
            columns = {t: _columns_of(conn, t) for t in chosen}
            raw = _raw_columns(settings, bigquery, chosen)
            results = {t: TableSync(t.qualified_name) for t in chosen}
            # column types are compared in DuckDB's names only; dropped columns everywhere
            changes = _schema_changes(columns, raw, results, full_refresh, bigquery is None)
            synced = tuple(t for t in chosen if results[t].mode != "failed")
            dlt = _import_dlt(settings)
            pipeline = _pipeline(dlt, settings, bigquery, report)
            resuming = pipeline.has_pending_data
            _finish_interrupted(pipeline, dsn, report)
            _restore_state(pipeline, dsn)
            if resuming:
                _drop_repeated_rows(settings)
            replaced: list[ReplacedSource] = []
            if full_refresh:
                _note_filled(pipeline, synced, results)
                if changes:
                    _alter_raw_tables(settings, bigquery, pipeline, changes)
            else:
                replaced = _replaced_sources(
                    settings, bigquery, conn, pipeline, synced, results, lag
                )
                synced = tuple(t for t in synced if results[t].mode != "failed")
            empty = _empty_raw_tables(settings, synced) if not full_refresh else set()
            resources = [
                _resource(
                    dlt,
                    settings,
                    conn,
                    t,
                    columns[t],
                    {} if t in empty else raw.get(t, {}),
                    results[t],
                    full_refresh,
                    lag,
                    report,
                    t in empty,
                )
                for t in synced
            ]
            source = dlt.source(name=SOURCE_NAME, max_table_nesting=0)(lambda: resources)()
            try:
                info = pipeline.run(source) if synced else None
            except Exception as exc:
                raise _pipeline_error(exc, dsn) from None
            load_id = info.loads_ids[-1] if info is not None and info.loads_ids else None
            if detect_deletes or settings.detect_deletes:
                _detect_deletes(settings, conn, synced, results, report, bigquery)
    summary = SyncSummary([results[t] for t in chosen], load_id, time.perf_counter() - started)
    if replaced:
        raise TablesNotSyncedError([*changes, *replaced], summary)
    if changes and not full_refresh:
        raise SchemaChangeError(changes, summary)
    return summary


def _raw_columns(
    settings: Settings, bigquery: BigQueryWarehouse | None, tables: tuple[SourceTable, ...]
) -> dict[SourceTable, dict[str, str]]:
    """Column → type of each existing raw table (type names as the engine spells them)."""
    if bigquery is None:
        return duckdb_raw_columns(settings.duckdb_path, tables)
    found = {t: bigquery.column_types(DATASET, t.raw_name) for t in tables}
    return {t: columns for t, columns in found.items() if columns}


def _schema_changes(
    columns: dict[SourceTable, list[SourceColumn]],
    raw: dict[SourceTable, dict[str, str]],
    results: dict[SourceTable, TableSync],
    full_refresh: bool,
    compare_types: bool,
) -> list[SchemaChange]:
    """Source columns raw cannot follow (changed type, dropped); their tables fail (or, on a
    full refresh, are altered first)."""
    found: list[SchemaChange] = []
    for table, table_columns in columns.items():
        changed = schema_changes(
            table, table_columns, raw.get(table, {}), compare_types=compare_types
        )
        found += changed
        for change in changed:
            if full_refresh:
                results[table].notes.append(change.note())
            else:
                results[table].mode = "failed"
                results[table].notes.append(change.describe())
    return found


def _alter_raw_tables(
    settings: Settings,
    bigquery: BigQueryWarehouse | None,
    pipeline: Any,
    changes: list[SchemaChange],
) -> None:
    """Give raw tables their source's new shape before a full refresh reloads them.

    dlt's schema forgets the tables first (saved at once), so the reload declares them again
    from the source's columns; then the raw tables are altered in place, keeping their rows
    for readers until the swap, and dlt's staging copies, which have the old shape, dropped.
    Each step can be repeated: a sync killed in between finds the same changes next time.
    """
    names = sorted({c.table.raw_name for c in changes})
    if pipeline.default_schema_name:
        schema = pipeline.default_schema
        schema.drop_tables(names)
        pipeline.schemas.save_schema(schema)
    with ExitStack() as stack:
        warehouse = (
            bigquery if bigquery is not None else stack.enter_context(open_warehouse(settings))
        )
        for name in names:
            warehouse.execute(f"drop table if exists {warehouse.relation(STAGING_DATASET, name)}")
        for statement in raw_alterations(warehouse, changes):
            warehouse.execute(statement)


def _note_filled(
    pipeline: Any, tables: tuple[SourceTable, ...], results: dict[SourceTable, TableSync]
) -> None:
    """Say which new columns a full refresh fills for old rows.

    Read before the run: dlt wipes a resource's state when it extracts with `replace`.
    """
    resources = _resource_states(pipeline)
    for table in tables:
        unfilled = resources.get(table.raw_name, {}).get("unfilled_columns", [])
        if unfilled:
            results[table].notes.append(f"filled new column(s) {', '.join(unfilled)} for all rows")


def _resource_states(pipeline: Any) -> dict[str, dict[str, Any]]:
    """Each table's dlt resource state (its `cursor`, `unfilled_columns`), by raw name."""
    states: dict[str, dict[str, Any]] = (
        pipeline.state.get("sources", {}).get(SOURCE_NAME, {}).get("resources", {})
    )
    return states


def _replaced_sources(
    settings: Settings,
    bigquery: BigQueryWarehouse | None,
    conn: psycopg2.extensions.connection,
    pipeline: Any,
    tables: tuple[SourceTable, ...],
    results: dict[SourceTable, TableSync],
    lag: timedelta | None,
) -> list[ReplacedSource]:
    """Tables whose source was replaced behind their stored cursor; they fail (they are not
    synced) and the sync says why. See `adventure_elt.replicate.replaced`."""
    states = _resource_states(pipeline)
    cursors = {t: _parse_cursor(states.get(t.raw_name, {}).get("cursor")) for t in tables}
    found: list[ReplacedSource] = []
    with ExitStack() as stack:
        warehouse: Warehouse | None = bigquery
        if warehouse is None and settings.duckdb_path.is_file():
            # read-only and closed before dlt loads
            warehouse = stack.enter_context(open_warehouse(settings, read_only=True))
        for table, cursor in cursors.items():
            if cursor is None:
                continue
            since = cursor - lag if lag else cursor
            problem = find_replaced(conn, warehouse, table, cursor, since)
            if problem is not None:
                results[table].mode = "failed"
                results[table].notes.append(problem.describe())
                found.append(problem)
    return found


def _restore_state(pipeline: Any, dsn: str) -> None:
    """Take the warehouse's copy of the pipeline state when it is newer than the local one (a
    new machine, a Kestra task's fresh folder, a state set aside), so the checks before the run
    see the cursors the run will use. dlt's `run` would do it, but only once extracting."""
    try:
        pipeline.sync_destination()
    except Exception as exc:
        raise _pipeline_error(exc, dsn) from None


def _finish_interrupted(pipeline: Any, dsn: str, report: ProgressCallback) -> None:
    """Normalize and load what a killed sync left behind, before extracting anew.

    dlt's `run` would load such packages and then stop without extracting. Their cursors are
    already in the state, so they must land before anything else.
    """
    if not pipeline.has_pending_data:
        return
    try:
        if not pipeline.default_schema_name:
            # Killed between committing the first package and saving the pipeline's state: no
            # cursor was kept, so this run reads everything again. dlt cannot load the package
            # without the schema, and a pending one would make every later `run` stop early.
            pipeline.abort_packages()
            message = "load package(s) of an interrupted first sync dropped; reading again"
            loads = 0
        else:
            if pipeline.list_extracted_load_packages():
                pipeline.normalize()
            info = pipeline.load()
            message = "load package(s) of an interrupted sync finished"
            loads = len(info.loads_ids) if info is not None else 0
    except Exception as exc:
        raise _pipeline_error(exc, dsn) from None
    report(ProgressEvent("resume", done=loads, message=message, finished=True))


def _columns_of(conn: psycopg2.extensions.connection, table: SourceTable) -> list[SourceColumn]:
    columns = source_columns(conn, table)
    if not columns:
        raise ConfigError(
            f"the source has no table {table.qualified_name} (or this login cannot read it); "
            "run `adventure-elt oltp init` or check ADVENTURE_ELT_SOURCE_DSN"
        )
    missing = [c for c in (*table.primary_key, table.cursor) if c not in {x.name for x in columns}]
    if missing:
        raise ConfigError(
            f"source table {table.qualified_name} has no column {missing[0]!r}; "
            "the source schema does not match the catalog"
        )
    return columns


@contextmanager
def _destination(settings: Settings) -> Iterator[BigQueryWarehouse | None]:
    """Check the warehouse before anything is read; on BigQuery, the sync's one open warehouse.

    BigQuery is opened once per sync (credentials read, project checked) and its raw dataset
    created; it then hands dlt its destination and runs delete detection. A DuckDB file is
    only checked here: dlt opens it itself, so None is yielded.
    """
    if settings.warehouse == "bigquery":
        # one line for a missing project, bad credentials or an unreachable endpoint
        warehouse = BigQueryWarehouse(settings)
        with warehouse:
            warehouse.create_layer(DATASET)
            yield warehouse
        return
    _check_duckdb_path(settings)
    yield None


def _check_duckdb_path(settings: Settings) -> None:
    """Fail before reading anything when the DuckDB file cannot be created or written."""
    path = settings.duckdb_path
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


def _import_dlt(settings: Settings) -> Any:
    """Import dlt with our defaults: no telemetry, data under `home` (not a system folder)."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("DLT_DATA_DIR", str((settings.home / "dlt-data").absolute()))
    import dlt

    # Tables are read one after another on one connection (dlt interleaves them by default).
    dlt.config["extract.next_item_mode"] = "fifo"
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    # `_stamp` adds `_dlt_id` while extracting; dlt's own would rewrite every parquet file.
    dlt.config["normalize.parquet_normalizer.add_dlt_id"] = False
    # The parquet files live for one load on a local disk: compressing them costs about half
    # of writing them (and again when the warehouse reads them) and saves nothing that matters.
    dlt.config["data_writer.compression"] = "none"
    # Loaded packages are of no further use; kept, they would grow by a copy of every sync.
    dlt.config["load.delete_completed_jobs"] = True
    # A full refresh loads the new rows beside the old ones (the staging dataset) and swaps them
    # in with one transaction per table (TRUNCATE + INSERT … SELECT), so readers, and a sync
    # killed half-way, see the old rows or the new ones. dlt's default truncates first.
    dlt.config["destination.replace_strategy"] = "insert-from-staging"
    return dlt


def _wait_for_duckdb_readers() -> None:
    """Make dlt's DuckDB opens wait for a lock as ours do.

    dlt opens the file at each step and fails at once when another process holds it, and a
    reader (report, query, the dashboard) or the stream ingester may, for a moment. The open
    is the first thing `borrow_conn` does, so retrying the call changes no pool state.
    """
    from dlt.destinations.impl.duckdb.configuration import DuckDbConnectionPool

    borrow = DuckDbConnectionPool.borrow_conn
    if getattr(borrow, "waits_for_locks", False):
        return

    def borrow_waiting(self: Any, *args: Any, **kwargs: Any) -> Any:
        return wait_for_duckdb_lock(lambda: borrow(self, *args, **kwargs))

    borrow_waiting.waits_for_locks = True  # type: ignore[attr-defined]
    setattr(DuckDbConnectionPool, "borrow_conn", borrow_waiting)  # noqa: B010


def _pipeline(
    dlt: Any, settings: Settings, bigquery: BigQueryWarehouse | None, report: ProgressCallback
) -> Any:
    """The dlt pipeline writing the raw layer: to `bigquery` when given, else to DuckDB.

    Its working folder is cleared of what killed syncs left first (see `working_dir`).
    """
    if bigquery is None:
        from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

        _wait_for_duckdb_readers()

        # A credentials object, not a path string: dlt parses a string as a URL with
        # SQLAlchemy, whose import alone costs about a second of every sync.
        credentials = DuckDbCredentials()
        credentials.database = str(settings.duckdb_path.absolute())
        destination = dlt.destinations.duckdb(credentials=credentials)
        name, dataset = PIPELINE_NAME, DATASET
    else:
        destination, dataset = bigquery.dlt_destination(dlt)
        # its own state: cursors of the DuckDB pipeline say nothing about BigQuery's raw layer
        name = f"{PIPELINE_NAME}_bigquery"
    working_dir = settings.home / "dlt" / name
    remove_kill_leftovers(working_dir)
    aside = set_aside_unreadable_state(working_dir)
    if aside is not None:
        message = (
            f"unreadable pipeline state in {working_dir}: set aside as {aside.name},"
            " cursors restored from the warehouse"
        )
        report(ProgressEvent("resume", message=message, finished=True))
    return dlt.pipeline(
        pipeline_name=name,
        pipelines_dir=str((settings.home / "dlt").absolute()),
        destination=destination,
        dataset_name=dataset,
        progress=None,
    )


def _hints(table: SourceTable, columns: list[SourceColumn]) -> dict[str, dict[str, Any]]:
    """dlt column hints so the raw types follow the contract whatever the batch looks like."""
    hints: dict[str, dict[str, Any]] = {}
    for column in columns:
        hint: dict[str, Any] = {
            "name": column.name,
            "nullable": column.name not in table.primary_key,
        }
        kind = column.arrow_type
        if pa.types.is_decimal(kind):
            hint.update(data_type="decimal", precision=38, scale=9)
        elif pa.types.is_timestamp(kind):
            hint.update(data_type="timestamp", timezone=kind.tz is not None, precision=6)
        else:
            hint["data_type"] = _DLT_TYPES.get(kind, "text")
        hints[column.name] = hint
    hints[table.cursor]["dedup_sort"] = "desc"
    hints[EXTRACTED_AT] = {
        "name": EXTRACTED_AT,
        "data_type": "timestamp",
        "timezone": True,
        "precision": 6,
        "nullable": True,
    }
    # As dlt declares the `_dlt_id` it would add itself.
    hints[DLT_ID] = {
        "name": DLT_ID,
        "data_type": "text",
        "nullable": False,
        "unique": True,
        "row_key": True,
    }
    return hints


def _resource(
    dlt: Any,
    settings: Settings,
    conn: psycopg2.extensions.connection,
    table: SourceTable,
    columns: list[SourceColumn],
    raw_columns: dict[str, str],
    result: TableSync,
    full_refresh: bool,
    lag: timedelta | None,
    report: ProgressCallback,
    append: bool = False,
) -> Any:
    """The dlt resource of one table: Arrow batches since the stored cursor.

    `raw_columns`: the raw table's columns now (empty: no rows yet), to note new columns.
    `append`: raw holds no row of it yet, so the rows go straight in; a merge would first copy
    them into a staging table and then delete nothing and copy them again.
    """
    disposition: Any = (
        "replace"
        if full_refresh
        else "append"
        if append
        else {"disposition": "merge", "strategy": "delete-insert"}
    )

    hints = _hints(table, columns)
    if full_refresh or append:
        # Only a merge dedups (dlt warns otherwise); one snapshot has each key once anyway.
        del hints[table.cursor]["dedup_sort"]

    def rows() -> Iterator[pa.Table]:
        state = dlt.current.resource_state()
        cursor = None if full_refresh else _parse_cursor(state.get("cursor"))
        since = cursor - lag if cursor is not None and lag else cursor
        result.mode = (
            "full refresh" if full_refresh else "initial" if cursor is None else result.mode
        )
        task = f"sync {table.qualified_name}"
        # a whole table has a total to show; the rows past a cursor have none worth a count
        estimate = estimated_rows(conn, table) if since is None else None
        report(ProgressEvent(task, total=estimate, message=result.mode))
        started = time.perf_counter()
        # only a DuckDB raw layer is compared; on BigQuery the merge rewrites re-read rows
        # (nor an empty one: every row is new)
        compare = not full_refresh and not append and settings.warehouse == "duckdb"
        comparer = RawComparer(settings.duckdb_path, table) if compare else None
        newest = cursor
        try:
            _note_columns(result, state, columns, raw_columns, full_refresh)
            extracted_at = datetime.now(UTC)
            for batch in read_batches(conn, table, columns, since):
                result.rows_read += batch.num_rows
                newest = _max_cursor(newest, batch.column(table.cursor))
                if comparer is None:
                    changed, result.inserted = batch, result.inserted + batch.num_rows
                else:
                    split = comparer.split(batch)
                    changed = split.changed
                    result.inserted += split.inserted
                    result.updated += split.updated
                    result.unchanged += split.unchanged
                total = None if estimate is None else max(estimate, result.rows_read)
                report(ProgressEvent(task, result.rows_read, total, message=result.mode))
                if changed.num_rows:
                    yield _stamp(changed, extracted_at, table.primary_key)
        finally:
            if comparer is not None:
                comparer.close()
        if newest is not None:
            state["cursor"] = newest.isoformat()
        result.seconds = time.perf_counter() - started
        report(
            ProgressEvent(
                task,
                done=result.rows_read,
                message=f"{result.inserted:,} new, {result.updated:,} changed",
                finished=True,
            )
        )

    return dlt.resource(
        rows,
        name=table.raw_name,
        table_name=table.raw_name,
        primary_key=list(table.primary_key),
        write_disposition=disposition,
        columns=hints,
    )


def _empty_raw_tables(settings: Settings, tables: tuple[SourceTable, ...]) -> set[SourceTable]:
    """Tables whose DuckDB raw table is missing or holds no row (none on other warehouses)."""
    if settings.warehouse != "duckdb":
        return set()
    if not settings.duckdb_path.is_file():
        return set(tables)
    import duckdb

    try:
        # Read-only and closed before dlt loads (DuckDB allows one configuration per file).
        with connect_duckdb(settings.duckdb_path, read_only=True) as con:
            existing = {
                str(name)
                for (name,) in con.execute(
                    "select table_name from duckdb_tables() where schema_name = ?", [DATASET]
                ).fetchall()
            }
            empty = set()
            for table in tables:
                if table.raw_name in existing:
                    found = con.execute(f'select 1 from {DATASET}."{table.raw_name}" limit 1')
                    if found.fetchone() is not None:
                        continue
                empty.add(table)
            return empty
    except duckdb.Error:
        return set()  # unreadable now: merge everything, dlt reports the real problem


def _drop_repeated_rows(settings: Settings) -> None:
    """Remove rows a resumed load appended twice (DuckDB raw tables only).

    A sync killed after the warehouse committed an `append` job but before dlt marked it done
    runs that job again when resumed. The copies are identical, so one per key is kept.
    """
    if settings.warehouse != "duckdb" or not settings.duckdb_path.is_file():
        return
    from adventure_elt.catalog import TABLES

    with open_warehouse(settings) as warehouse:
        present = set(warehouse.list_tables(DATASET))
        for table in TABLES:
            if table.raw_name not in present:
                continue
            keys = ", ".join(f'"{k}"' for k in table.primary_key)
            warehouse.execute(
                f'delete from {DATASET}."{table.raw_name}" where rowid in (select rowid from'
                f" (select rowid, row_number() over (partition by {keys}) as n"
                f' from {DATASET}."{table.raw_name}") where n > 1)'
            )


def _note_columns(
    result: TableSync,
    state: dict[str, Any],
    columns: list[SourceColumn],
    raw_columns: dict[str, str],
    full_refresh: bool,
) -> None:
    """Say when new source columns hold NULL for rows loaded before they appeared — on every
    sync until a full refresh fills them — and when a full refresh does."""
    unfilled = list(state.get("unfilled_columns", []))
    if full_refresh:
        if unfilled:
            result.notes.append(f"filled new column(s) {', '.join(unfilled)} for all rows")
        state["unfilled_columns"] = []
        return
    if not raw_columns:
        return  # nothing loaded yet: every row gets every column
    names = [c.name for c in columns]
    unfilled = [n for n in names if n in unfilled or n not in raw_columns]
    if unfilled:
        result.notes.append(
            f"new column(s) {', '.join(unfilled)}: only rows changed since they appeared have"
            f" them, older rows hold NULL; back-fill with"
            f" `adventure-elt sync --full-refresh --tables {result.table}`"
        )
    state["unfilled_columns"] = unfilled


def _stamp(batch: pa.Table, extracted_at: datetime, primary_key: tuple[str, ...]) -> pa.Table:
    """Add `_extracted_at` (when this table's extraction started, UTC) and `_dlt_id`; mark keys
    not null."""
    micros = np.full(batch.num_rows, int(extracted_at.timestamp() * 1_000_000), dtype=np.int64)
    stamps = pa.array(micros, type=pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    fields = [f.with_nullable(f.name not in primary_key) for f in batch.schema]
    schema = pa.schema(
        [*fields, pa.field(EXTRACTED_AT, stamps.type), pa.field(DLT_ID, pa.string(), False)]
    )
    return pa.Table.from_arrays([*batch.columns, stamps, _row_ids(batch.num_rows)], schema=schema)


def _row_ids(rows: int) -> pa.Array:
    """Unique `_dlt_id`s, built in one vectorised call: a random prefix per batch + row number.

    >>> ids = _row_ids(3).to_pylist()
    >>> len(set(ids)), ids[0][-2:], ids[2][-2:]
    (3, '-0', '-2')
    """
    numbers = pc.cast(pa.array(np.arange(rows, dtype=np.int64)), pa.string())
    prefix = secrets.token_urlsafe(12) + "-"
    return pc.binary_join_element_wise(prefix, numbers, "")


def _max_cursor(current: datetime | None, values: pa.ChunkedArray) -> datetime | None:
    newest = pc.max(values).as_py()
    if newest is None:
        return current
    return newest if current is None or newest > current else current


def _parse_cursor(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _detect_deletes(
    settings: Settings,
    conn: psycopg2.extensions.connection,
    chosen: tuple[SourceTable, ...],
    results: dict[SourceTable, TableSync],
    report: ProgressCallback,
    bigquery: BigQueryWarehouse | None,
) -> None:
    """Run delete detection on the chosen tables, on `bigquery` when given, else on DuckDB."""
    from adventure_elt.replicate.deletes import detect_deletes

    soft = settings.delete_mode == "soft"
    with ExitStack() as stack:
        warehouse = (
            bigquery if bigquery is not None else stack.enter_context(open_warehouse(settings))
        )
        for table in chosen:
            task = f"deletes {table.qualified_name}"
            results[table].deleted = detect_deletes(conn, warehouse, table, soft=soft)
            report(ProgressEvent(task, done=results[table].deleted, finished=True))


def _pipeline_error(exc: Exception, dsn: str) -> Exception:
    """A dlt failure as one line, with the DSN masked; our own errors pass through."""
    cause: BaseException = exc
    while cause.__cause__ is not None or cause.__context__ is not None:
        if isinstance(cause, AdventureEltError):
            return cause
        cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
    if isinstance(cause, AdventureEltError):
        return cause
    if isinstance(cause, psycopg2.OperationalError | psycopg2.InterfaceError):
        return server.connection_lost(dsn, cause)
    text = (str(cause).strip() or type(cause).__name__).splitlines()[0]
    text = text.replace(dsn, redact(dsn))
    return WarehouseError(f"sync failed: {type(cause).__name__}: {text}")


def pipeline_state_size(settings: Settings) -> int:
    """Bytes of the pipeline's local state file (it must stay small: no per-row hashes)."""
    path = settings.home / "dlt" / PIPELINE_NAME / "state.json"
    return path.stat().st_size if path.is_file() else 0


def default_pipelines_dir(settings: Settings) -> Path:
    """Where dlt keeps the pipeline's state and pending load packages."""
    return settings.home / "dlt"
