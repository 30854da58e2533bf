"""dlt loads into DuckDB under `DLT_LOAD_MEMORY_LIMIT`, so a sync's memory no longer grows with
its largest table (bench/RESULTS.md, "Bounded memory"); loads bigger than the limit still finish.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from adventure_elt.replicate.dlt_setup import import_dlt
from adventure_elt.settings import Settings
from adventure_elt.warehouse import duckdb as duckdb_warehouse
from adventure_elt.warehouse.duckdb import DLT_LOAD_MEMORY_LIMIT, DuckDBWarehouse


def _pipeline(tmp_path: Path) -> Any:
    dlt = import_dlt(Settings(home=tmp_path))
    warehouse = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    destination, dataset = warehouse.dlt_destination(dlt)
    warehouse.close()
    return dlt.pipeline(
        pipeline_name="memory_limit",
        pipelines_dir=str(tmp_path / "dlt"),
        destination=destination,
        dataset_name=dataset,
    )


def _as_duckdb_shows(limit: str) -> str:
    """The limit as DuckDB itself reports it (e.g. '244.1 MiB' for '256MB')."""
    with duckdb.connect() as connection:
        connection.execute(f"set memory_limit = '{limit}'")
        row = connection.execute("select current_setting('memory_limit')").fetchone()
    assert row is not None
    return str(row[0])


def test_dlt_s_duckdb_connection_runs_under_the_load_memory_limit(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path)
    pipeline.run([{"id": 1}], table_name="one_row")

    with pipeline.sql_client() as client:
        [(limit,)] = client.execute_sql("select current_setting('memory_limit')")

    assert limit == _as_duckdb_shows(DLT_LOAD_MEMORY_LIMIT)
    with duckdb.connect() as default:
        row = default.execute("select current_setting('memory_limit')").fetchone()
    assert row is not None and limit != row[0]  # not DuckDB's default (80% of RAM)


def test_a_load_several_times_the_memory_limit_finishes_with_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2,000,000 rows of about 60 bytes each (~120 MB in Arrow) under a 32 MB limit: DuckDB
    # must write blocks out and drop them rather than fail with "Out of Memory".
    monkeypatch.setattr(duckdb_warehouse, "DLT_LOAD_MEMORY_LIMIT", "32MB")
    batches, rows = 40, 50_000

    def wide_rows() -> Iterator[pa.Table]:
        for batch in range(batches):
            ids = pa.array(range(batch * rows, (batch + 1) * rows), type=pa.int64())
            text = pa.array([f"row {i:>12} of the large load, padded" for i in ids.to_pylist()])
            yield pa.table({"id": ids, "text": text})

    pipeline = _pipeline(tmp_path)
    pipeline.run(wide_rows(), table_name="large")

    with pipeline.sql_client() as client:
        [(limit,)] = client.execute_sql("select current_setting('memory_limit')")
        [(count, lowest, highest, total)] = client.execute_sql(
            "select count(*), min(id), max(id), sum(id) from large"
        )
    assert limit == _as_duckdb_shows("32MB")
    loaded = batches * rows  # ids 0 … loaded - 1, each once
    assert (count, lowest, highest, total) == (loaded, 0, loaded - 1, loaded * (loaded - 1) // 2)
