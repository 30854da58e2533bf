"""`bigquery-check` on the emulator: every model, check and report query really planned, on a
project where nothing is built yet (the stand-ins), and what it reports when one is refused.

The emulator plans SQL on DuckDB and accepts some of what BigQuery refuses, so a pass here says
the stand-ins and the queries fit together; what BigQuery itself refuses is read through the
real client in tests/unit/test_bigquery_check.py. After a build, the same check reads every
table as built: tests/bigquery/test_transform_bigquery.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from bq_helpers import PROJECT, emulator_environment, unique_prefix

from adventure_elt.settings import Settings
from adventure_elt.warehouse import BigQueryWarehouse
from cli_parse import run_cli

pytestmark = pytest.mark.bigquery

SQL = Path(__file__).resolve().parents[2] / "sql"


@pytest.fixture
def fresh_project(bq_emulator: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """A project on the emulator where nothing was ever synced or built."""
    prefix = unique_prefix()
    emulator_environment(monkeypatch, bq_emulator, prefix)
    monkeypatch.setenv("ADVENTURE_ELT_HOME", str(tmp_path / "home"))
    return Settings(warehouse="bigquery", bigquery_project=PROJECT, bigquery_dataset_prefix=prefix)


def test_a_fresh_project_is_checked_whole_a_refused_model_named_and_nothing_written(
    fresh_project: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One run for all of it: the emulator plans the ~320 queries one by one (about 1.5 min).
    The project's own SQL, plus one report the engine refuses."""
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL, sql_dir)
    (sql_dir / "reports" / "rpt_refused.sql").write_text(
        "select\n    country,\n    no_such_function(visits) as y\nfrom reports.rpt_web_traffic\n"
    )

    code, out, err = run_cli(["bigquery-check", "--sql-dir", str(sql_dir), "--json"], capsys)

    assert code == 1, err
    document = json.loads(out)
    # the refused report is named, and it alone: every query of the project itself passes
    refused = [q for q in document["queries"] if q["refused"]]
    assert [q["name"] for q in refused] == ["reports.rpt_refused"]
    assert "no_such_function" in refused[0]["refused"]
    # the rest was still checked, every kind
    assert sum(q["kind"] == "model" for q in document["queries"]) > 30
    kinds = {q["kind"] for q in document["queries"]}
    assert kinds == {"model", "check", "semantic"}
    # every dimension at every grain was planned by the engine, not only the reports' ones
    names = {q["name"] for q in document["queries"]}
    assert {"orders: every dimension", "web_events: every dimension"} <= names
    # nothing was built: whatever reads data read it through empty stand-ins
    fact = next(q for q in document["queries"] if q["name"] == "marts.fct_sales")
    assert "raw.sales_salesorderheader" in fact["stand_ins"]
    with BigQueryWarehouse(fresh_project) as wh:
        prefix = fresh_project.bigquery_dataset_prefix
        datasets = [d.dataset_id for d in wh.client.list_datasets()]
    assert [d for d in datasets if d.startswith(prefix)] == []  # a check writes nothing
