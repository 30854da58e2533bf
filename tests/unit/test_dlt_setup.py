"""How dlt is set up for DuckDB: its connection pool waits for a lock as our opens do (the one
runtime patch), and its SQL jobs run in transactions.

The patch relies on dlt's `DuckDbConnectionPool.borrow_conn` opening the file with
`duckdb.connect` before it changes any pool state; the first test fails when a dlt release
stops doing so.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from adventure_elt.replicate.dlt_setup import import_dlt, wait_for_duckdb_readers
from adventure_elt.settings import Settings
from adventure_elt.warehouse.duckdb import DuckDBWarehouse

HOLD = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); input()"


def test_dlt_s_duckdb_pool_waits_for_a_file_another_process_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_dlt(Settings(home=tmp_path))
    from dlt.destinations.impl.duckdb.configuration import DuckDbConnectionPool, DuckDbCredentials

    path = tmp_path / "w.duckdb"
    duckdb.connect(str(path)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    refused: list[str] = []
    connect = duckdb.connect

    def recording_connect(*args: Any, **kwargs: Any) -> Any:
        try:
            return connect(*args, **kwargs)
        except duckdb.IOException as exc:
            refused.append(str(exc))
            raise

    monkeypatch.setattr(duckdb, "connect", recording_connect)
    wait_for_duckdb_readers()
    wait_for_duckdb_readers()  # patching twice wraps once
    credentials = DuckDbCredentials()
    credentials.database = str(path)
    pool = DuckDbConnectionPool(credentials)
    borrowed: dict[str, Any] = {}
    borrower = threading.Thread(target=lambda: borrowed.setdefault("conn", pool.borrow_conn()))
    try:
        borrower.start()
        deadline = time.monotonic() + 60
        while not refused and borrower.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)  # polls for dlt's first, refused open; not a timing assumption
        assert refused, "dlt's pool no longer opens the file through duckdb.connect"
    finally:
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait()
    borrower.join()

    assert "conn" in borrowed, "dlt's pool gave up instead of waiting for the lock"
    assert borrowed["conn"].execute("select 42").fetchone() == (42,)
    pool.return_conn(borrowed["conn"])


def test_a_full_refresh_swap_on_duckdb_is_one_transaction(tmp_path: Path) -> None:
    """The swap of a full refresh deletes raw's rows, then copies the new ones from staging.
    When the copy fails (here: raw's column was narrowed behind dlt's back), the delete must
    roll back with it; dlt leaves DuckDB out of transactions unless told otherwise."""
    dlt = import_dlt(Settings(home=tmp_path))
    from dlt.pipeline.exceptions import PipelineStepFailed

    path = tmp_path / "w.duckdb"
    destination, dataset = DuckDBWarehouse(path).dlt_destination(dlt)
    pipeline = dlt.pipeline(
        "swap", destination=destination, dataset_name=dataset, pipelines_dir=str(tmp_path)
    )
    pipeline.run(
        [{"id": 1, "x": 1}, {"id": 2, "x": 2}], table_name="t", write_disposition="replace"
    )
    with duckdb.connect(str(path)) as con:
        con.execute("alter table raw.t alter x type utinyint")

    with pytest.raises(PipelineStepFailed):
        pipeline.run([{"id": 3, "x": 1000}], table_name="t", write_disposition="replace")

    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("select id from raw.t order by id").fetchall() == [(1,), (2,)]
