"""`make demo` runs `adventure-elt demo`: it must work on a fresh folder, and twice in a row."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cli_run import cli_in

pytestmark = pytest.mark.postgres


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return cli_in(cwd, *args)


def test_demo_on_a_fresh_folder_twice(tmp_path: Path) -> None:
    try:
        for _ in range(2):
            # one second of events instead of five: they flow in real time
            result = run("demo", "--scale", "0.02", "--stream-seconds", "1", cwd=tmp_path)
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


@pytest.mark.e2e
def test_demo_shows_the_real_answers_and_more_data_continues_their_timeline(
    tmp_path: Path,
) -> None:
    """`make demo` on a clone with nothing beside it, then the README's "more data" step."""
    try:
        result = run("demo", "--stream-seconds", "0", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        # The capstone's own figures, as the README's "What you will see" shows them.
        for figure in ("19,119", "31,465", "109,846,381.40", "121,317"):
            assert figure in result.stdout, figure
        summary = json.loads(run("report", "--json", cwd=tmp_path).stdout)["customer_summary"]
        assert (summary["customers_with_orders"], summary["orders"]) == (19_119, 31_465)
        assert summary["revenue"] == 109_846_381.40

        activity = run("oltp", "activity", "--no-wait", "--json", cwd=tmp_path)
        assert activity.returncode == 0, activity.stderr
        counts = json.loads(activity.stdout)
        assert run("run", cwd=tmp_path).returncode == 0
        years = json.loads(
            run("query", "orders", "--by", "order_date.year", "--json", cwd=tmp_path).stdout
        )
        by_year = {str(row["order_date_year"])[:4]: row["orders"] for row in years}
        # A minute of activity continues from the last order date, 2014-06-30: no new year.
        grown = counts["orders_created"] - counts["orders_deleted"]
        assert by_year == {"2011": 1_607, "2012": 3_915, "2013": 14_182, "2014": 11_761 + grown}
        days = json.loads(
            run(
                "query", "orders", "--by", "order_date.day", "--where",
                "order_date > '2014-06-30'", "--json", cwd=tmp_path,
            ).stdout
        )  # fmt: skip
        assert days == [], "an order dated after the activity's clock (2014-06-30 00:00:59)"
    finally:
        run("oltp", "down", cwd=tmp_path)


def test_demo_takes_real_or_synthetic_data_not_both(tmp_path: Path) -> None:
    result = run("demo", "--scale", "0.1", "--data", "data/adventureworks", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        "give either --scale (synthetic data) or --data (real CSV files)"
    )
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # nothing started, nothing written
