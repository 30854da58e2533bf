"""A sync's fixed cost: it imports neither Streamlit nor SQLAlchemy, which dlt would import for
nothing (Streamlit's secrets outside Streamlit, a URL only to print the destination)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from adventure_elt.oltp import generator, server
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
heavy = [m for m in ("streamlit", "sqlalchemy") if m in sys.modules]
print(json.dumps({"written": summary.rows_written, "heavy": heavy}))
"""


def test_a_sync_imports_neither_streamlit_nor_sqlalchemy(source_settings: Settings) -> None:
    with server.connect(source_settings) as conn:
        generator.seed(conn, scale=0.005, seed=3)
    assert source_settings.source_dsn is not None
    done = subprocess.run(
        [sys.executable, "-c", SYNC_AND_LIST_IMPORTS, source_settings.source_dsn,
         str(source_settings.home)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["written"] > 0  # it really synced
    assert result["heavy"] == []
