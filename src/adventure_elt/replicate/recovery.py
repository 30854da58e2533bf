"""What a killed sync leaves behind, put right before the next one reads: pending load packages
loaded, the warehouse's newer state taken, rows a resumed append wrote twice removed; and dlt's
failures turned into one line."""

from __future__ import annotations

from typing import Any

import psycopg2

from adventure_elt.catalog import TABLES
from adventure_elt.errors import AdventureEltError, WarehouseError
from adventure_elt.oltp import server
from adventure_elt.progress import ProgressCallback, ProgressEvent
from adventure_elt.redact import redact
from adventure_elt.warehouse import Warehouse
from adventure_elt.warehouse.base import RAW_LAYER


def restore_state(pipeline: Any, dsn: str) -> None:
    """Take the warehouse's copy of the pipeline state when it is newer than the local one (a
    new machine, a Kestra task's fresh folder, a state set aside), so the checks before the run
    see the cursors the run will use. dlt's `run` would do it, but only once extracting."""
    try:
        pipeline.sync_destination()
    except Exception as exc:
        raise pipeline_error(exc, dsn) from None


def finish_interrupted(pipeline: Any, dsn: str, report: ProgressCallback) -> None:
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
            extracted = pipeline.list_extracted_load_packages()
            for load_id in extracted:
                _adopt_package_schema(pipeline, load_id)
            if extracted:
                pipeline.normalize()
            info = pipeline.load()
            message = "load package(s) of an interrupted sync finished"
            loads = len(info.loads_ids) if info is not None else 0
    except Exception as exc:
        raise pipeline_error(exc, dsn) from None
    report(ProgressEvent("resume", done=loads, message=message, finished=True))


def _adopt_package_schema(pipeline: Any, load_id: str) -> None:
    """Make the schema an extracted package was written with the pipeline's own.

    dlt commits the package before it saves the pipeline's schema, and its normalize prefers the
    saved one. Killed in between, the next run would normalize the package with the schema of
    the run before: after a full refresh, `replace` for tables the package merges (raw would keep
    only the package's rows of them); after an incremental, a killed full refresh's package
    merged (rows gone from the source would stay in raw).
    """
    schema = pipeline.get_load_package_info(load_id).schema
    try:
        saved = pipeline.schemas[schema.name].stored_version_hash
    except FileNotFoundError:  # the saved schema is gone: dlt would take the package's
        saved = None
    if schema.stored_version_hash != saved:
        pipeline.schemas.save_schema(schema)


def drop_repeated_rows(warehouse: Warehouse) -> None:
    """Remove rows a resumed load appended twice.

    A sync killed after the warehouse committed an `append` job but before dlt marked it done
    runs that job again when resumed. The copies are identical, so one per key is kept (only
    engines that append during a sync can have any, see `Warehouse.drop_repeated_rows`).
    """
    if not warehouse.reads_are_free:
        return
    warehouse.writable()
    present = set(warehouse.list_tables(RAW_LAYER))
    for table in TABLES:
        if table.raw_name in present:
            warehouse.drop_repeated_rows(RAW_LAYER, table.raw_name, table.primary_key)


def pipeline_error(exc: Exception, dsn: str) -> BaseException:
    """A dlt failure as one line, with the DSN masked; our own errors and a Ctrl-C (which dlt
    wraps in its step error) pass through."""
    cause: BaseException = exc
    while not isinstance(cause, AdventureEltError | KeyboardInterrupt):
        deeper = cause.__cause__ or cause.__context__
        if deeper is None:
            break
        cause = deeper
    if isinstance(cause, AdventureEltError | KeyboardInterrupt):
        return cause
    if isinstance(cause, psycopg2.OperationalError | psycopg2.InterfaceError):
        return server.connection_lost(dsn, cause)
    text = (str(cause).strip() or type(cause).__name__).splitlines()[0]
    text = text.replace(dsn, redact(dsn))
    return WarehouseError(f"sync failed: {type(cause).__name__}: {text}")
