"""How often one `sync` opens the DuckDB file: the sync opens its warehouse once per phase.

Every open of the file is a `duckdb.connect` (ours and dlt's); counted on an incremental sync
with delete detection, the path every scheduled run takes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from adventure_elt.oltp import generator, server
from adventure_elt.replicate.sync import sync
from adventure_elt.settings import Settings


def test_an_incremental_sync_opens_the_warehouse_file_few_times(
    source_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = source_settings
    with server.connect(settings) as conn:
        generator.seed(conn, scale=0.01, seed=3)
    sync(settings)
    opened: list[str] = []
    connect = duckdb.connect

    def counting_connect(database: Any = ":memory:", *args: Any, **kwargs: Any) -> Any:
        if Path(str(database)).absolute() == settings.duckdb_path.absolute():
            opened.append(str(kwargs.get("read_only", False)))
        return connect(database, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", counting_connect)
    sync(settings, detect_deletes=True)

    print(f"DuckDB file opened {len(opened)} times: {opened}")
    assert len(opened) <= 7  # 21 before issue 13 (one read-only open per table compared)
