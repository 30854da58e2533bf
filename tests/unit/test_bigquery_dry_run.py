"""The cost guard's dry run, through the real Google client, against a canned BigQuery answer.

The emulator answers every dry run with 0 bytes, so these tests stand a tiny HTTP server in for
BigQuery's REST API: it records the job the client sends and answers with a dry-run job in the
shape BigQuery documents (`statistics.totalBytesProcessed` as a string). What is tested is our
side: the job we ask for (dry run, no cache) and how we read and add up the answer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

pytest.importorskip("google.cloud.bigquery", reason="the bigquery extra is not installed")

from adventure_elt.settings import Settings
from adventure_elt.transform.cost import (
    CostLimitError,
    CostPlan,
    ModelCost,
    check_budget,
    estimate,
)
from adventure_elt.warehouse import BigQueryWarehouse

PROJECT = "canned-project"
BYTES_PER_QUERY = 123_456_789


class CannedBigQuery(BaseHTTPRequestHandler):
    """Answers `datasets.list` with nothing and every `jobs.insert` with a finished dry run."""

    jobs: ClassVar[list[dict[str, Any]]] = []

    def do_GET(self) -> None:
        self._answer({"kind": "bigquery#datasetList", "datasets": []})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.jobs.append(body)
        reference = {**body.get("jobReference", {}), "projectId": PROJECT}
        self._answer(
            {
                "kind": "bigquery#job",
                "jobReference": reference,
                "configuration": body["configuration"],
                "status": {"state": "DONE"},
                "statistics": {
                    "totalBytesProcessed": str(BYTES_PER_QUERY),
                    "query": {"totalBytesProcessed": str(BYTES_PER_QUERY), "schema": {}},
                },
            }
        )

    def _answer(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:  # keep pytest's output clean
        pass


@pytest.fixture
def canned_bigquery(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    import google.auth
    from google.auth.credentials import AnonymousCredentials

    CannedBigQuery.jobs = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), CannedBigQuery)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setattr(google.auth, "default", lambda *_, **__: (AnonymousCredentials(), None))
    try:
        yield Settings(warehouse="bigquery", bigquery_project=PROJECT)
    finally:
        server.shutdown()
        server.server_close()


def test_a_dry_run_asks_for_an_uncached_dry_run_and_reads_the_bytes(
    canned_bigquery: Settings,
) -> None:
    with BigQueryWarehouse(canned_bigquery) as wh:
        result = wh.dry_run("select 1")

    assert result.bytes_processed == BYTES_PER_QUERY
    configuration = CannedBigQuery.jobs[-1]["configuration"]
    assert configuration["dryRun"] is True
    assert configuration["query"]["useQueryCache"] is False
    assert configuration["query"]["query"] == "select 1"


def test_the_plan_adds_up_every_model_and_the_budget_refuses_above_it(
    canned_bigquery: Settings,
) -> None:
    plan = estimate(canned_bigquery)

    built = [m for m in plan.models if m.materialized != "view"]
    assert built, "the project has no table or incremental models"
    assert {m.bytes_processed for m in built} == {BYTES_PER_QUERY}
    assert plan.total_bytes == BYTES_PER_QUERY * len(built)
    assert all(job["configuration"]["dryRun"] is True for job in CannedBigQuery.jobs)
    check_budget(plan, plan.total_bytes)
    with pytest.raises(CostLimitError, match="above --max-bytes"):
        check_budget(plan, plan.total_bytes - 1)


def test_max_bytes_refuses_a_plan_above_the_limit() -> None:
    plan = CostPlan(
        [
            ModelCost("marts.fct_sales", "incremental", 7_000_000),
            ModelCost("staging.stg_sales__customers", "view", 0),
            ModelCost("reports.rpt_geography", "table", 4_000_000),
        ]
    )
    check_budget(plan, 11_000_000)
    with pytest.raises(CostLimitError, match=r"11,000,000 bytes\), above --max-bytes 10,000,000"):
        check_budget(plan, 10_000_000)
    unknown = CostPlan([ModelCost("marts.fct_sales", "incremental", None, "Not found: table")])
    with pytest.raises(CostLimitError, match="cannot estimate 1 model"):
        check_budget(unknown, 10**12)
