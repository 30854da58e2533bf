"""`sync`: the 12 source tables into the warehouse's raw layer with one dlt pipeline.

Every table is a dlt resource (`resource.py`) fed Arrow tables by `extract.read_batches`. Rows
merge on the catalog's primary key (`delete-insert`, newest `modifieddate` wins inside a batch).
The incremental cursor is the largest `modifieddate` loaded, kept in the resource's dlt state,
which dlt commits together with the load; the next sync reads `modifieddate >= cursor - lag`. The
bound is inclusive and no per-row hashes are kept: re-read rows are idempotent under the merge,
and `changes.RawComparer` drops the unchanged ones before they are written.

The sync opens its warehouse once (`Warehouse.open_to_load`) and passes that handle down: raw
columns, replaced-source checks, batch comparison, repairs and delete detection all go through
it; around dlt's own loading it is `released` (DuckDB lets one configuration hold a file).

Speed (see bench/RESULTS.md): a table whose raw table is still empty is appended, not merged
through a staging table (where reading raw is free); `_dlt_id` is made while extracting, so
dlt's normalizer passes the parquet files through instead of rewriting them.

All tables are read in one REPEATABLE READ transaction, so orders and their lines come from the
same snapshot of the source.
"""

from __future__ import annotations

import contextlib
import time
from datetime import timedelta
from typing import Any

import psycopg2.extensions
import pyarrow as pa

from adventure_elt import signals
from adventure_elt.catalog import SourceTable, select_tables
from adventure_elt.errors import ConfigError, ReplicationSetupError
from adventure_elt.oltp import server
from adventure_elt.progress import ProgressCallback, ProgressEvent, ignore
from adventure_elt.replicate.deletes import detect_deletes as delete_missing
from adventure_elt.replicate.dlt_setup import (
    SOURCE_NAME,
    STAGING_DATASET,
    import_dlt,
    make_pipeline,
    pipeline_dir,
)
from adventure_elt.replicate.drift import (
    SchemaChange,
    SchemaChangeError,
    raw_alterations,
    schema_changes,
)
from adventure_elt.replicate.extract import SourceColumn, prepare_session, source_columns
from adventure_elt.replicate.not_synced import TablesNotSyncedError
from adventure_elt.replicate.recovery import (
    drop_repeated_rows,
    finish_interrupted,
    pipeline_error,
    restore_state,
)
from adventure_elt.replicate.replaced import ReplacedSource, find_replaced
from adventure_elt.replicate.resource import parse_cursor, table_resource
from adventure_elt.replicate.summary import SyncSummary, TableSync
from adventure_elt.replicate.working_dir import one_sync_at_a_time
from adventure_elt.settings import Settings
from adventure_elt.warehouse import Warehouse, engine_of
from adventure_elt.warehouse.base import RAW_LAYER


def sync(
    settings: Settings,
    tables: str | list[str] | None = None,
    full_refresh: bool = False,
    lag: timedelta | None = None,
    detect_deletes: bool = False,
    progress: ProgressCallback | None = None,
    snapshot: str | None = None,
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
        snapshot: read in this exported snapshot (`cdc start`'s initial copy, in its new
            slot's snapshot); otherwise `sync` is refused while `cdc start` streams.

    Returns:
        Per-table rows read, inserted, updated, deleted and seconds.

    Raises:
        ConfigError: unknown table, negative lag, or a table missing in the source.
        ReplicationSetupError: `cdc start` is streaming into the same raw tables.
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
    with contextlib.ExitStack() as stack:
        # The warehouse first: one whose configuration is refused must not leave an embedded
        # source started behind the error.
        warehouse = stack.enter_context(engine_of(settings).open_to_load(settings))
        dsn = server.source_dsn(settings)
        conn = stack.enter_context(server.connect_to(dsn))
        # One snapshot for all tables: an order and its lines are read from the same moment.
        conn.set_session(
            isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True
        )
        if snapshot is None:
            _refuse_while_streaming(conn, settings.cdc_slot)
        else:
            from adventure_elt.replicate.cdc.snapshot import use_snapshot

            use_snapshot(conn, snapshot)
        prepare_session(conn)
        columns = {t: _columns_of(conn, t) for t in chosen}
        raw = _raw_columns(warehouse, chosen)
        results = {t: TableSync(t.qualified_name) for t in chosen}
        changes = _schema_changes(
            columns, raw, results, full_refresh, warehouse.drift_compares_types
        )
        synced = tuple(t for t in chosen if results[t].mode != "failed")
        dlt = import_dlt(settings)
        stack.enter_context(one_sync_at_a_time(pipeline_dir(settings, warehouse)))
        pipeline = make_pipeline(dlt, settings, warehouse, report)
        resuming = pipeline.has_pending_data
        with warehouse.released():
            finish_interrupted(pipeline, dsn, report)
            restore_state(pipeline, dsn)
        if resuming:
            drop_repeated_rows(warehouse)
        replaced: list[ReplacedSource] = []
        if full_refresh:
            _note_filled(pipeline, synced, results)
            if changes:
                _alter_raw_tables(warehouse, pipeline, changes)
        else:
            replaced = _replaced_sources(warehouse, conn, pipeline, synced, results, lag)
            synced = tuple(t for t in synced if results[t].mode != "failed")
        empty = _empty_raw_tables(warehouse, synced) if not full_refresh else set()
        resources = [
            table_resource(
                dlt,
                warehouse,
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
        load_id = _run(pipeline, source, warehouse, dsn) if synced else None
        if full_refresh and synced:
            _restart_stopped_cdc_tables(warehouse, synced)
        if detect_deletes or settings.detect_deletes:
            _detect_deletes(warehouse, settings, conn, synced, results, report)
    summary = SyncSummary([results[t] for t in chosen], load_id, time.perf_counter() - started)
    if replaced:
        raise TablesNotSyncedError([*changes, *replaced], summary)
    if changes and not full_refresh:
        raise SchemaChangeError(changes, summary)
    return summary


def _run(pipeline: Any, source: Any, warehouse: Warehouse, dsn: str) -> str | None:
    """Extract (comparing batches through `warehouse`), then let dlt normalize and load with
    the handle released; the load's id."""
    try:
        pipeline.extract(source)
        # The batches are in load files now: Arrow's allocator keeps the memory they used
        # (about 150 MiB at scale 10, bench/RESULTS.md) unless asked to hand it back.
        pa.default_memory_pool().release_unused()
        with warehouse.released():
            pipeline.normalize()
            info = pipeline.load()
    except Exception as exc:
        raise pipeline_error(exc, dsn) from None
    except KeyboardInterrupt as exc:
        # During normalize and load dlt takes the signal itself, lets the running jobs finish,
        # then raises its own: say which signal it was.
        code = getattr(exc, "signal_code", None)
        if code is not None:
            signals.interrupt(code)
        raise
    return info.loads_ids[-1] if info is not None and info.loads_ids else None


def _refuse_while_streaming(conn: psycopg2.extensions.connection, slot: str) -> None:
    """Refuse to sync while `cdc start` streams into the same raw tables: two writers would
    race on the same keys. (Ended in the first statement: the read snapshot starts after it.)"""
    from adventure_elt.replicate.cdc.slot import slot_status

    status = slot_status(conn, slot)
    conn.rollback()
    if status is not None and status.active_pid is not None:
        raise ReplicationSetupError(
            f"`adventure-elt cdc start` is streaming into the raw tables (slot {slot}, process"
            f" {status.active_pid}); it keeps them current — stop it before running sync"
        )


def _restart_stopped_cdc_tables(warehouse: Warehouse, tables: tuple[SourceTable, ...]) -> None:
    """Let `cdc start` apply these tables again: their full refresh is committed, so raw holds
    every change it skipped since it stopped them (a column changed type or was dropped)."""
    from adventure_elt.replicate.cdc.stopped import clear_stopped

    clear_stopped(warehouse, [t.qualified_name for t in tables])


def _raw_columns(
    warehouse: Warehouse, tables: tuple[SourceTable, ...]
) -> dict[SourceTable, dict[str, str]]:
    """Column → type of each existing raw table (type names as the engine spells them)."""
    found = {t: warehouse.column_types(RAW_LAYER, t.raw_name) for t in tables}
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


def _alter_raw_tables(warehouse: Warehouse, pipeline: Any, changes: list[SchemaChange]) -> None:
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
    warehouse.writable()
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
    warehouse: Warehouse,
    conn: psycopg2.extensions.connection,
    pipeline: Any,
    tables: tuple[SourceTable, ...],
    results: dict[SourceTable, TableSync],
    lag: timedelta | None,
) -> list[ReplacedSource]:
    """Tables whose source was replaced behind their stored cursor; they fail (they are not
    synced) and the sync says why. See `adventure_elt.replicate.replaced`."""
    states = _resource_states(pipeline)
    cursors = {t: parse_cursor(states.get(t.raw_name, {}).get("cursor")) for t in tables}
    found: list[ReplacedSource] = []
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


def _empty_raw_tables(warehouse: Warehouse, tables: tuple[SourceTable, ...]) -> set[SourceTable]:
    """Tables whose raw table is missing or holds no row, where reading raw is free (none
    elsewhere: every table is merged)."""
    if not warehouse.reads_are_free:
        return set()
    existing = set(warehouse.list_tables(RAW_LAYER))
    empty = set()
    for table in tables:
        if table.raw_name in existing:
            relation = warehouse.relation(RAW_LAYER, table.raw_name)
            if warehouse.fetch_all(f"select 1 from {relation} limit 1"):
                continue
        empty.add(table)
    return empty


def _detect_deletes(
    warehouse: Warehouse,
    settings: Settings,
    conn: psycopg2.extensions.connection,
    chosen: tuple[SourceTable, ...],
    results: dict[SourceTable, TableSync],
    report: ProgressCallback,
) -> None:
    """Run delete detection on the chosen tables through the sync's warehouse handle."""
    soft = settings.delete_mode == "soft"
    warehouse.writable()
    for table in chosen:
        task = f"deletes {table.qualified_name}"
        results[table].deleted = delete_missing(conn, warehouse, table, soft=soft)
        report(ProgressEvent(task, done=results[table].deleted, finished=True))
