"""`bigquery-check` through the real Google client, against a canned BigQuery (see
`tests/canned_bigquery.py`): the dry runs it sends, how it reads refusals and bytes, and that
it writes nothing. The emulator side (every query really planned) is in
tests/bigquery/test_bigquery_check_bigquery.py.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlglot

pytest.importorskip("google.cloud.bigquery", reason="the bigquery extra is not installed")

from transform_helpers import BASE_FILES, write_file, write_project

from adventure_elt.bigquery_check import BigQueryCheck, check_bigquery
from adventure_elt.semantic.model import load_model
from adventure_elt.settings import Settings
from adventure_elt.transform.checks import declared_checks
from adventure_elt.transform.dag import build_dag
from adventure_elt.transform.project import load_project
from canned_bigquery import PROJECT, Canned, canned_bigquery
from cli_parse import run_cli

SQL = Path(__file__).resolve().parents[2] / "sql"
REFUSAL = "Function not found: no_such_function at [3:5]"


@pytest.fixture
def canned(monkeypatch: pytest.MonkeyPatch) -> Iterator[Canned]:
    answers = Canned(bytes_per_query=1_000_000, columns=[("x", "INTEGER")])
    monkeypatch.setenv("ADVENTURE_ELT_BIGQUERY_PROJECT", PROJECT)
    with canned_bigquery(monkeypatch, answers):
        yield answers


@dataclass
class Checked:
    answers: Canned
    check: BigQueryCheck


@pytest.fixture(scope="module")
def project_check() -> Iterator[Checked]:
    """The project's own models, checks and report queries, checked once (a few hundred jobs)."""
    answers = Canned(bytes_per_query=1_000_000, columns=[("x", "INTEGER")])
    with pytest.MonkeyPatch.context() as monkeypatch, canned_bigquery(monkeypatch, answers):
        settings = Settings(warehouse="bigquery", bigquery_project=PROJECT)
        yield Checked(answers, check_bigquery(settings))


def test_every_model_check_and_report_query_is_one_free_dry_run(project_check: Checked) -> None:
    check, canned = project_check.check, project_check.answers

    models = [q for q in check.queries if q.kind == "model"]
    assert [q.name for q in models] == build_dag(load_project()).order()
    # each model's checks in one query, as `test` counts them
    project = load_project()
    declared = {k: len(declared_checks(project, n)) for k, n in project.nodes.items()}
    assert [q.name for q in check.queries if q.kind == "check"] == [
        f"{key}: {declared[key]} checks" for key in build_dag(project).order() if declared[key]
    ]
    assert sum(declared.values()) > 200
    assert {"product_sales", "web_traffic", "sales: every measure"} <= {
        q.name for q in check.queries if q.kind == "semantic"
    }
    # free and harmless: dry runs without cache, nothing created, deleted or run
    assert len(canned.jobs) == len(check.queries)
    assert all(job["configuration"]["dryRun"] is True for job in canned.jobs)
    assert all(q["useQueryCache"] is False for q in canned.queries)
    assert canned.writes == []
    assert check.passed and check.refused == []
    # nothing is built in the canned project: the raw layer stands in, empty, everywhere
    staging = next(q for q in models if q.name == "staging.stg_sales__order_headers")
    assert staging.stand_ins == ("raw.sales_salesorderheader",)
    assert staging.bytes_processed == 0  # a view bills where it is read
    fact = next(q for q in models if q.name == "marts.fct_sales")
    assert fact.bytes_processed == 1_000_000
    assert "raw.sales_salesorderdetail" in fact.stand_ins


def test_every_dimension_of_every_view_is_planned_at_each_of_its_grains(
    project_check: Checked,
) -> None:
    """A dimension no report groups by (a mistyped expression, a grain BigQuery refuses for its
    type) is still dry-run: one query per view groups by all of them."""
    names = [q.name for q in project_check.check.queries]
    sent = dict(zip(names, project_check.answers.queries, strict=True))
    for view in load_model().views.values():
        if not view.dimensions:
            continue
        sql = sent[f"{view.name}: every dimension"]["query"]
        outputs = {e.alias_or_name for e in sqlglot.parse_one(sql, read="bigquery").selects}
        for dimension in view.dimensions.values():
            for grain in dimension.grains or (None,):
                expected = f"{view.name}_{dimension.name}" + (f"_{grain}" if grain else "")
                assert expected in outputs, (view.name, expected)


def test_the_model_text_is_sent_as_written_with_stand_ins_for_unbuilt_tables(
    project_check: Checked,
) -> None:
    model = (SQL / "staging" / "stg_sales__customers.sql").read_text()
    head = model[: model.index("raw.sales_customer")]
    stand_in = "(select cast(null as INT64) as `customerid`"
    (sent,) = [
        q["query"]
        for q in project_check.answers.queries
        if q["query"].startswith(head) and stand_in in q["query"]
    ]
    # the file's text, but for the raw table it reads: stood in for, aliased like it
    start, end = sent.index(stand_in), sent.index(" as sales_customer") + 18
    assert sent[:start] + "raw.sales_customer" + sent[end:] == model


def test_a_query_over_the_limit_is_named(project_check: Checked) -> None:
    check = dataclasses.replace(project_check.check, max_bytes_billed=999_999)
    assert not check.passed
    assert {q.name for q in check.over_limit} >= {"marts.fct_sales", "product_sales"}
    assert "staging.stg_sales__customers" not in {q.name for q in check.over_limit}  # a view


def test_a_refused_query_is_listed_with_bigquery_s_reason_and_fails_the_check(
    canned: Canned, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sql_dir = write_project(tmp_path)
    refused = "select\n    1 as x,\n    no_such_function(2) as y\nfrom reports.rpt_revenue\n"
    write_file(sql_dir, "reports/rpt_refused.sql", refused)
    canned.refuse["no_such_function("] = REFUSAL

    code, out, err = run_cli(["bigquery-check", "--sql-dir", str(sql_dir), "--json"], capsys)

    assert code == 1, err
    document = json.loads(out)
    assert document["passed"] is False
    refused = [q for q in document["queries"] if q["refused"]]
    assert [(q["kind"], q["name"], q["refused"]) for q in refused] == [
        ("model", "reports.rpt_refused", REFUSAL)
    ]
    assert "1 refused" in err


def test_a_refused_check_is_named_alone_and_the_other_checks_of_its_model_pass(
    canned: Canned, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models = BASE_FILES["marts/_models.yml"].replace(
        "      - name: amounts_are_positive\n",
        "      - name: refused\n"
        "        sql: select * from marts.fct_orders where no_such_function(order_id)\n"
        "      - name: amounts_are_positive\n",
    )
    sql_dir = write_project(tmp_path, **{"marts___models.yml": models})
    canned.refuse["no_such_function("] = REFUSAL

    code, out, err = run_cli(["bigquery-check", "--sql-dir", str(sql_dir), "--json"], capsys)

    assert code == 1, err
    checks = [q for q in json.loads(out)["queries"] if q["kind"] == "check"]
    assert [(q["name"], q["refused"]) for q in checks] == [
        ("marts.dim_customer: 2 checks", None),
        ("marts.fct_orders: not_null(order_id)", None),
        ("marts.fct_orders: unique(order_id)", None),
        ("marts.fct_orders: relationships(customer_key → marts.dim_customer.customer_key)", None),
        ("marts.fct_orders: accepted_values(status_name)", None),
        ("marts.fct_orders: refused", REFUSAL),
        ("marts.fct_orders: amounts_are_positive", None),
    ]


def test_a_query_above_the_bytes_billed_limit_fails_the_check(
    canned: Canned,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    canned.bytes_per_query = 30_000_000
    monkeypatch.setenv("ADVENTURE_ELT_BIGQUERY_MAX_BYTES_BILLED", "20000000")

    code, out, _ = run_cli(["bigquery-check", "--sql-dir", str(write_project(tmp_path))], capsys)

    assert code == 1
    assert "maximum bytes billed per query: 20,000,000 bytes" in out
    assert "above the limit (BigQuery would refuse it): marts.fct_orders" in out
    # a model's checks above the limit together are counted one by one by `test`: so named
    assert "above the limit (BigQuery would refuse it): marts.fct_orders: unique(order_id)" in out
    assert "marts.fct_orders: 5 checks" not in out


def test_checks_refused_only_together_are_listed_as_such(
    canned: Canned, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # e.g. BigQuery finding the one query too complex, when each check alone passes
    canned.refuse["union all"] = "Resources exceeded during query execution"

    code, out, err = run_cli(
        ["bigquery-check", "--sql-dir", str(write_project(tmp_path)), "--json"], capsys
    )

    assert code == 1, err
    checks = [q for q in json.loads(out)["queries"] if q["kind"] == "check"]
    assert [(q["name"], q["refused"]) for q in checks if q["refused"]] == [
        (
            "marts.dim_customer: its checks in one query",
            "Resources exceeded during query execution",
        ),
        ("marts.fct_orders: its checks in one query", "Resources exceeded during query execution"),
    ]


def test_the_check_is_bigquery_s_whatever_the_default_warehouse(
    canned: Canned, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--warehouse", "duckdb", "bigquery-check", "--sql-dir", str(write_project(tmp_path))]
    code, out, err = run_cli(args, capsys)

    assert code == 0, err
    assert f"Dry runs on {PROJECT} (US)" in out
    assert "a transform: " in out and "bytes processed" in out
