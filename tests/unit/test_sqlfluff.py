"""sqlfluff (dialect bigquery, the repo's .sqlfluff) passes on every model in sql/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_sqlfluff_passes_on_the_models() -> None:
    pytest.importorskip("sqlfluff")
    result = subprocess.run(
        [sys.executable, "-m", "sqlfluff", "lint", "sql", "--disable-progress-bar", "--nocolor"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
