"""The dlt resource of one source table: Arrow batches since the stored cursor, compared with raw
where that is free, stamped with `_extracted_at`, `_dlt_id` and `_dlt_load_id`, with the column
hints that keep raw's types to the contract. The stamps are built from buffers (`arrays`)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import psycopg2.extensions
import pyarrow as pa
import pyarrow.compute as pc

from adventure_elt.catalog import SourceTable
from adventure_elt.progress import ProgressCallback, ProgressEvent
from adventure_elt.replicate.arrays import int64_array, repeated_string, row_numbers, string_array
from adventure_elt.replicate.changes import RawComparer
from adventure_elt.replicate.extract import SourceColumn, estimated_rows, read_batches
from adventure_elt.replicate.summary import TableSync
from adventure_elt.warehouse import Warehouse

EXTRACTED_AT = "_extracted_at"

DLT_ID = "_dlt_id"

DLT_LOAD_ID = "_dlt_load_id"


_DLT_TYPES = {
    pa.int64(): "bigint",
    pa.bool_(): "bool",
    pa.binary(): "binary",
    pa.string(): "text",
    pa.date32(): "date",
    pa.float64(): "double",
}


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
    # `stamp` adds both (dlt's own are off), declared as dlt declares its own: `text(64)`
    from dlt.common.schema.utils import dlt_id_column, dlt_load_id_column

    hints[DLT_ID] = dict(dlt_id_column())
    hints[DLT_LOAD_ID] = dict(dlt_load_id_column())
    return hints


def table_resource(
    dlt: Any,
    warehouse: Warehouse,
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

    `warehouse`: the sync's handle; where reading raw is free, each batch is compared with it.
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
        cursor = None if full_refresh else parse_cursor(state.get("cursor"))
        since = cursor - lag if cursor is not None and lag else cursor
        result.mode = (
            "full refresh" if full_refresh else "initial" if cursor is None else result.mode
        )
        task = f"sync {table.qualified_name}"
        # a whole table has a total to show; the rows past a cursor have none worth a count
        estimate = estimated_rows(conn, table) if since is None else None
        report(ProgressEvent(task, total=estimate, message=result.mode))
        started = time.perf_counter()
        # only a raw layer that is free to read is compared; elsewhere the merge rewrites
        # re-read rows (nor an empty one: every row is new)
        compare = not full_refresh and not append and warehouse.reads_are_free
        comparer = RawComparer(warehouse, table) if compare else None
        newest = cursor
        _note_columns(result, state, columns, raw_columns, full_refresh)
        extracted_at = datetime.now(UTC)
        load_id = dlt.current.load_package_state()["load_id"]
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
                yield stamp(changed, extracted_at, load_id, table.primary_key)
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


def stamp(
    batch: pa.Table, extracted_at: datetime, load_id: str, primary_key: tuple[str, ...]
) -> pa.Table:
    """Add `_extracted_at` (when this table's extraction started, UTC), `_dlt_id` and
    `_dlt_load_id` (dlt's would be added the same way, last); mark keys not null."""
    rows = batch.num_rows
    micros = np.full(rows, int(extracted_at.timestamp() * 1_000_000), dtype=np.int64)
    stamps = int64_array(micros).cast(pa.timestamp("us", tz="UTC"))
    load_ids = repeated_string(load_id, rows)
    fields = [f.with_nullable(f.name not in primary_key) for f in batch.schema]
    schema = pa.schema(
        [
            *fields,
            pa.field(EXTRACTED_AT, stamps.type),
            pa.field(DLT_ID, pa.string(), False),
            pa.field(DLT_LOAD_ID, load_ids.type, False),
        ]
    )
    columns = [*batch.columns, stamps, _row_ids(rows), load_ids]
    return pa.Table.from_arrays(columns, schema=schema)


def _row_ids(rows: int) -> pa.Array:
    """Unique `_dlt_id`s, built in one vectorised call: a random prefix per batch + row number.

    >>> ids = _row_ids(3).to_pylist()
    >>> len(set(ids)), ids[0][-2:], ids[2][-2:]
    (3, '-0', '-2')
    """
    numbers = pc.cast(row_numbers(rows), pa.string())
    prefix, nothing = string_array(secrets.token_urlsafe(12) + "-", "")
    return pc.binary_join_element_wise(prefix, numbers, nothing)


def _max_cursor(current: datetime | None, values: pa.ChunkedArray) -> datetime | None:
    newest = pc.max(values).as_py()
    if newest is None:
        return current
    return newest if current is None or newest > current else current


def parse_cursor(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None
