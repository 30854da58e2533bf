"""A sync's fixed cost: it imports neither Streamlit nor SQLAlchemy, which dlt would import for
nothing (Streamlit's secrets outside Streamlit, a URL only to print the destination), nor
pandas, which pyarrow imports on a first `pa.array`, `pa.scalar` or `to_numpy` (and dlt's own
`_dlt_load_id` column would), whether the sync writes every row, a few or none."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest

from adventure_elt.oltp import activity, generator, server
from adventure_elt.settings import Settings

pytestmark = pytest.mark.postgres

# A fresh interpreter runs the sync, so nothing the test process imported counts.
SYNC_AND_LIST_IMPORTS = """
import json, sys
from pathlib import Path
from adventure_elt.replicate.sync import sync
from adventure_elt.settings import Settings
dsn, home = sys.argv[1], Path(sys.argv[2])
summary = sync(Settings(source_dsn=dsn, home=home, duckdb_path=home / "warehouse.duckdb"))
heavy = [m for m in ("streamlit", "sqlalchemy", "pandas") if m in sys.modules]
print(json.dumps({"written": summary.rows_written, "heavy": heavy}))
"""


def test_a_sync_imports_neither_streamlit_nor_sqlalchemy_nor_pandas(
    source_settings: Settings,
) -> None:
    with server.connect(source_settings) as conn:
        generator.seed(conn, scale=0.005, seed=3)

    full = _sync_in_a_fresh_interpreter(source_settings)
    activity.run_activity(
        source_settings,
        orders_per_minute=60,
        duration=timedelta(minutes=1),
        seed=4,
        wait=False,
    )
    changes = _sync_in_a_fresh_interpreter(source_settings)
    again = _sync_in_a_fresh_interpreter(source_settings)

    assert full["written"] > 0  # it really synced
    assert 0 < changes["written"] < full["written"]  # the new orders and what they touched
    # the last compares the rows it re-reads at the cursors with raw, and writes none
    assert again["written"] == 0
    assert full["heavy"] == changes["heavy"] == again["heavy"] == []


def _sync_in_a_fresh_interpreter(settings: Settings) -> dict[str, Any]:
    assert settings.source_dsn is not None
    done = subprocess.run(
        [sys.executable, "-c", SYNC_AND_LIST_IMPORTS, settings.source_dsn, str(settings.home)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
