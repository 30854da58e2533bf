"""dlt's configuration for `sync`: the import with our defaults, the pipeline, and the one
runtime patch of dlt (its DuckDB connection pool waits for a lock as our opens do).

The import also keeps a sync's fixed cost down: dlt's search for Streamlit secrets is hidden
while it sets up its configuration (see `_streamlit_hidden`).

Kept apart from the sync's orchestration so a change of how dlt is driven (fewer stages, another
extraction backend) touches this module only.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from adventure_elt.progress import ProgressCallback, ProgressEvent
from adventure_elt.replicate.working_dir import remove_kill_leftovers, set_aside_unreadable_state
from adventure_elt.settings import Settings
from adventure_elt.warehouse import Warehouse, wait_for_duckdb_lock

PIPELINE_NAME = "adventure_elt"

SOURCE_NAME = "adventureworks"

STAGING_DATASET = "raw_staging"  # dlt's: merges and full refreshes load here first


def import_dlt(settings: Settings) -> Any:
    """Import dlt with our defaults: no telemetry, data under `home` (not a system folder)."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("DLT_DATA_DIR", str((settings.home / "dlt-data").absolute()))
    import dlt

    # Tables are read one after another on one connection (dlt interleaves them by default).
    with _streamlit_hidden():  # the first look-up: dlt sets up its configuration providers
        dlt.config["extract.next_item_mode"] = "fifo"
    # `stamp` adds `_dlt_id` and `_dlt_load_id` while extracting: dlt's own `_dlt_id` would
    # rewrite every parquet file, its `_dlt_load_id` imports pandas (see `resource`).
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = False
    dlt.config["normalize.parquet_normalizer.add_dlt_id"] = False
    # The parquet files live for one load on a local disk: compressing them costs about half
    # of writing them (and again when the warehouse reads them) and saves nothing that matters.
    dlt.config["data_writer.compression"] = "none"
    # Loaded packages are of no further use; kept, they would grow by a copy of every sync.
    dlt.config["load.delete_completed_jobs"] = True
    # A full refresh loads the new rows beside the old ones (the staging dataset) and swaps them
    # in with one SQL job per table (DELETE + INSERT … SELECT); on DuckDB each job is one
    # transaction (see `DuckDBWarehouse.dlt_destination`), so readers, and a sync killed
    # half-way, see the old rows or the new ones. dlt's default truncates first.
    dlt.config["destination.replace_strategy"] = "insert-from-staging"
    return dlt


@contextmanager
def _streamlit_hidden() -> Iterator[None]:
    """Hide Streamlit from dlt while it sets up its configuration providers.

    Finding no `secrets.toml`, dlt imports Streamlit (the dashboard's dependency; 1.6–2.4 s
    measured on the busy 2-core machine of bench/RESULTS.md) to look for the secrets of a running
    Streamlit app, which a sync never is. Inside one (Streamlit already imported) nothing is
    hidden.
    """
    if "streamlit" in sys.modules:
        yield
        return
    sys.modules["streamlit"] = None  # type: ignore[assignment]  # makes `import streamlit` fail
    try:
        yield
    finally:
        if sys.modules.get("streamlit", ...) is None:
            del sys.modules["streamlit"]


def wait_for_duckdb_readers() -> None:
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


def pipeline_dir(settings: Settings, warehouse: Warehouse) -> Path:
    """dlt's working folder of the pipeline writing `warehouse`'s raw layer."""
    return settings.home / "dlt" / (PIPELINE_NAME + warehouse.pipeline_suffix)


def make_pipeline(
    dlt: Any, settings: Settings, warehouse: Warehouse, report: ProgressCallback
) -> Any:
    """The dlt pipeline writing the raw layer of `warehouse` (its `dlt_destination`), named
    per engine so each keeps its own cursors.

    Its working folder is cleared of what killed syncs left first (see `working_dir`).
    """
    wait_for_duckdb_readers()
    destination, dataset = warehouse.dlt_destination(dlt)
    working_dir = pipeline_dir(settings, warehouse)
    remove_kill_leftovers(working_dir)
    aside = set_aside_unreadable_state(working_dir)
    if aside is not None:
        message = (
            f"unreadable pipeline state in {working_dir}: set aside as {aside.name},"
            " cursors restored from the warehouse"
        )
        report(ProgressEvent("resume", message=message, finished=True))
    return dlt.pipeline(
        pipeline_name=working_dir.name,
        pipelines_dir=str((settings.home / "dlt").absolute()),
        destination=destination,
        dataset_name=dataset,
        progress=None,
    )


def pipeline_state_size(settings: Settings) -> int:
    """Bytes of the pipeline's local state file (it must stay small: no per-row hashes)."""
    path = settings.home / "dlt" / PIPELINE_NAME / "state.json"
    return path.stat().st_size if path.is_file() else 0


def default_pipelines_dir(settings: Settings) -> Path:
    """Where dlt keeps the pipeline's state and pending load packages."""
    return settings.home / "dlt"
