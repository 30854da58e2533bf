"""`sync`: the 12 source tables into the warehouse's raw layer with one dlt pipeline.

Every table is a dlt resource fed Arrow tables by `extract.read_batches`. Rows merge on the
catalog's primary key (`delete-insert`, newest `modifieddate` wins inside a batch). The
incremental cursor is the largest `modifieddate` loaded, kept in the resource's dlt state, which
dlt commits together with the load; the next sync reads `modifieddate >= cursor - lag`. The bound
is inclusive and no per-row hashes are kept: re-read rows are idempotent under the merge, and
`changes.RawComparer` drops the unchanged ones before they are written.

All tables are read in one REPEATABLE READ transaction, so orders and their lines come from the
same snapshot of the source.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
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
from adventure_elt.replicate.changes import RawComparer
from adventure_elt.replicate.extract import SourceColumn, read_batches, source_columns
from adventure_elt.settings import Settings, mask_dsn

PIPELINE_NAME = "adventure_elt"
SOURCE_NAME = "adventureworks"
DATASET = "raw"
EXTRACTED_AT = "_extracted_at"

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
    """
    started = time.perf_counter()
    report = progress or ignore
    chosen = select_tables(tables)
    if lag is not None and lag < timedelta(0):
        raise ConfigError("--lag must not be negative; use e.g. 5m")
    _check_destination(settings)
    dsn = server.source_dsn(settings)
    with server.connect_to(dsn) as conn:
        # One snapshot for all tables: an order and its lines are read from the same moment.
        conn.set_session(
            isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True
        )
        with conn.cursor() as cur:
            cur.execute("set datestyle = 'ISO, YMD'; set bytea_output = 'hex'")
        columns = {t: _columns_of(conn, t) for t in chosen}
        results = {t: TableSync(t.qualified_name) for t in chosen}
        dlt = _import_dlt(settings)
        pipeline = _pipeline(dlt, settings)
        resources = [
            _resource(dlt, settings, conn, t, columns[t], results[t], full_refresh, lag, report)
            for t in chosen
        ]
        source = dlt.source(name=SOURCE_NAME, max_table_nesting=0)(lambda: resources)()
        try:
            info = pipeline.run(source)
        except Exception as exc:
            raise _pipeline_error(exc, dsn) from None
        load_id = info.loads_ids[-1] if info.loads_ids else None
        if detect_deletes or settings.detect_deletes:
            _detect_deletes(settings, conn, chosen, results, report)
    return SyncSummary([results[t] for t in chosen], load_id, time.perf_counter() - started)


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


def _check_destination(settings: Settings) -> None:
    """Fail before reading anything when the DuckDB file cannot be created or written."""
    if settings.warehouse != "duckdb":
        return
    path = settings.duckdb_path
    if path.is_dir():
        raise WarehouseError(f"warehouse path {path} is a folder; give a file name, e.g. x.duckdb")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise WarehouseError(f"warehouse file {path} is not writable; check its permissions")
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
    dlt.config["normalize.parquet_normalizer.add_dlt_id"] = True
    return dlt


def _pipeline(dlt: Any, settings: Settings) -> Any:
    if settings.warehouse == "duckdb":
        destination = dlt.destinations.duckdb(credentials=str(settings.duckdb_path.absolute()))
    else:
        destination = dlt.destinations.bigquery()
    return dlt.pipeline(
        pipeline_name=PIPELINE_NAME,
        pipelines_dir=str((settings.home / "dlt").absolute()),
        destination=destination,
        dataset_name=DATASET,
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
    return hints


def _resource(
    dlt: Any,
    settings: Settings,
    conn: psycopg2.extensions.connection,
    table: SourceTable,
    columns: list[SourceColumn],
    result: TableSync,
    full_refresh: bool,
    lag: timedelta | None,
    report: ProgressCallback,
) -> Any:
    """The dlt resource of one table: Arrow batches since the stored cursor."""
    disposition: Any = (
        "replace" if full_refresh else {"disposition": "merge", "strategy": "delete-insert"}
    )

    def rows() -> Iterator[pa.Table]:
        state = dlt.current.resource_state()
        cursor = None if full_refresh else _parse_cursor(state.get("cursor"))
        since = cursor - lag if cursor is not None and lag else cursor
        result.mode = (
            "full refresh" if full_refresh else "initial" if cursor is None else result.mode
        )
        task = f"sync {table.qualified_name}"
        report(ProgressEvent(task, message=result.mode))
        started = time.perf_counter()
        comparer = RawComparer(settings.duckdb_path, table) if not full_refresh else None
        newest = cursor
        try:
            _note_columns(result, state, columns, comparer, full_refresh)
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
                report(ProgressEvent(task, done=result.rows_read, message=result.mode))
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
        columns=_hints(table, columns),
    )


def _note_columns(
    result: TableSync,
    state: dict[str, Any],
    columns: list[SourceColumn],
    comparer: RawComparer | None,
    full_refresh: bool,
) -> None:
    """Say when a new source column holds NULL for old rows, and when a full refresh fills it."""
    unfilled = list(state.get("unfilled_columns", []))
    if full_refresh:
        if unfilled:
            result.notes.append(f"filled new column(s) {', '.join(unfilled)} for all rows")
        state["unfilled_columns"] = []
        return
    if comparer is None or not comparer.exists:
        return
    new = [c.name for c in columns if c.name not in comparer.columns]
    if new:
        result.notes.append(
            f"new column(s) {', '.join(new)}: rows loaded earlier hold NULL until "
            f"`sync --full-refresh --tables {result.table}`"
        )
        state["unfilled_columns"] = sorted({*unfilled, *new})


def _stamp(batch: pa.Table, extracted_at: datetime, primary_key: tuple[str, ...]) -> pa.Table:
    """Add `_extracted_at` (when this table's extraction started, UTC); mark keys not null."""
    micros = np.full(batch.num_rows, int(extracted_at.timestamp() * 1_000_000), dtype=np.int64)
    stamps = pa.array(micros, type=pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    fields = [f.with_nullable(f.name not in primary_key) for f in batch.schema]
    schema = pa.schema([*fields, pa.field(EXTRACTED_AT, stamps.type)])
    return pa.Table.from_arrays([*batch.columns, stamps], schema=schema)


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
) -> None:
    from adventure_elt.replicate.deletes import detect_deletes
    from adventure_elt.warehouse import open_warehouse

    soft = settings.delete_mode == "soft"
    with open_warehouse(settings) as warehouse:
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
    text = (str(cause).strip() or type(cause).__name__).splitlines()[0]
    text = text.replace(dsn, mask_dsn(dsn))
    return WarehouseError(f"sync failed: {type(cause).__name__}: {text}")


def pipeline_state_size(settings: Settings) -> int:
    """Bytes of the pipeline's local state file (it must stay small: no per-row hashes)."""
    path = settings.home / "dlt" / PIPELINE_NAME / "state.json"
    return path.stat().st_size if path.is_file() else 0


def default_pipelines_dir(settings: Settings) -> Path:
    """Where dlt keeps the pipeline's state and pending load packages."""
    return settings.home / "dlt"
