"""`make demo` runs `adventure-elt demo`: it must work on a fresh folder, and twice in a row."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.postgres


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVENTURE_ELT_")}
    return subprocess.run(
        [sys.executable, "-m", "adventure_elt", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_demo_on_a_fresh_folder_twice(tmp_path: Path) -> None:
    try:
        for _ in range(2):
            result = run("demo", "--scale", "0.02", cwd=tmp_path)
            assert result.returncode == 0, result.stderr
            assert "sales.salesorderdetail" in result.stdout
            assert "Product sales by category" in result.stdout
            assert "│ report    │ ok" in result.stdout
            assert "Traceback" not in result.stderr
            assert "Web events streamed" in result.stdout
            assert "adventure-elt dashboard" in result.stderr
        assert (tmp_path / ".adventure" / "pg" / "PG_VERSION").is_file()
        # The burst of events reached the fifth answer, on both runs.
        answer = json.loads(run("report", "--json", cwd=tmp_path).stdout)["web_traffic"]
        assert answer, "the demo's web traffic answer is empty"
        assert sum(row["visits"] for row in answer) > 0
    finally:
        run("oltp", "down", cwd=tmp_path)
