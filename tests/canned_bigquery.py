"""A canned BigQuery REST API, for tests of our side of the real Google client.

The emulator answers every dry run with 0 bytes, ignores `maximumBytesBilled` and accepts SQL
BigQuery refuses. This tiny HTTP server stands in for BigQuery's REST API instead: it records
every job the client sends and answers in the shapes BigQuery documents — a dry run with
`statistics.totalBytesProcessed` (a string), a refused query as HTTP 400 `invalidQuery`, and a
query whose bytes exceed its `maximumBytesBilled` as a job failed with `bytesBilledLimitExceeded`
(https://cloud.google.com/bigquery/docs/error-messages). What is tested is the job we ask for
and how we read the answer, never BigQuery itself.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

PROJECT = "canned-project"


@dataclass
class Canned:
    """What the canned BigQuery answers, and what it was sent.

    Args:
        bytes_per_query: the bytes every query (dry run or not) processes.
        refuse: query text fragment → message: such a query is refused as invalid.
        tables: `dataset.table` → the table resource `tables.get` answers (else 404).
        columns: the result columns every query has, as `(name, type)`.
        inserts_not_found: how many streaming inserts (`insertAll`) are answered 404 "not
            found" before the others are stored, as BigQuery answers for a while after a
            table is created.

    `jobs` records every job's body; `writes` every other change asked for (a table deleted,
    a dataset or table created: answered as done), `created` the bodies of what was created,
    `requests` every request in order (`GET path`, `POST path`, `DELETE path`), `inserts`
    the body of every `insertAll` request and `stored` those answered as stored.
    """

    bytes_per_query: int = 123_456_789
    refuse: dict[str, str] = field(default_factory=dict)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    columns: list[tuple[str, str]] = field(default_factory=list)
    inserts_not_found: int = 0
    jobs: list[dict[str, Any]] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    inserts: list[dict[str, Any]] = field(default_factory=list)
    stored: list[dict[str, Any]] = field(default_factory=list)

    @property
    def queries(self) -> list[dict[str, Any]]:
        """The `configuration.query` of every job sent, in order."""
        return [job["configuration"]["query"] for job in self.jobs]


class _Handler(BaseHTTPRequestHandler):
    canned: Canned

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        self.canned.requests.append(f"GET {path}")
        table = re.search(r"/datasets/([^/]+)/tables/([^/]+)$", path)
        if table:
            resource = self.canned.tables.get(f"{table[1]}.{table[2]}")
            if resource is None:
                self._error(404, "notFound", f"Not found: Table {PROJECT}:{table[1]}.{table[2]}")
            else:
                self._answer(resource)
        elif path.endswith("/datasets"):
            self._answer({"kind": "bigquery#datasetList", "datasets": []})
        elif "/queries/" in path:  # the results of a finished query: no rows
            job_id = path.rsplit("/", 1)[1]
            self._answer(
                {
                    "kind": "bigquery#getQueryResultsResponse",
                    "jobReference": {"projectId": PROJECT, "jobId": job_id},
                    "jobComplete": True,
                    "totalRows": "0",
                    "schema": self._schema(),
                }
            )
        else:
            self._error(404, "notFound", f"Not found: {path}")

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        path = self.path.split("?")[0]
        if path.endswith("/insertAll"):
            self._insert_all(path, body)
            return
        if not path.endswith("/jobs"):  # a dataset or table created: echoed as created
            self.canned.writes.append(f"POST {path}")
            self.canned.requests.append(f"POST {path}")
            self.canned.created.append(body)
            self._answer(body)
            return
        self.canned.requests.append(f"POST {path}")
        self.canned.jobs.append(body)
        query = body["configuration"]["query"]
        for fragment, message in self.canned.refuse.items():
            if fragment in query["query"]:
                self._error(400, "invalidQuery", message)
                return
        processed = str(self.canned.bytes_per_query)
        job: dict[str, Any] = {
            "kind": "bigquery#job",
            "jobReference": {**body.get("jobReference", {}), "projectId": PROJECT},
            "configuration": body["configuration"],
            "status": {"state": "DONE"},
            "statistics": {
                "totalBytesProcessed": processed,
                "query": {"totalBytesProcessed": processed, "schema": self._schema()},
            },
        }
        limit = query.get("maximumBytesBilled")
        dry_run = body["configuration"].get("dryRun")
        if not dry_run and limit is not None and int(limit) < self.canned.bytes_per_query:
            error = {
                "reason": "bytesBilledLimitExceeded",
                "message": f"Query exceeded limit for bytes billed: {limit}. "
                f"{self.canned.bytes_per_query} or higher required.",
            }
            job["status"] = {"state": "DONE", "errorResult": error, "errors": [error]}
        self._answer(job)

    def _insert_all(self, path: str, body: dict[str, Any]) -> None:
        self.canned.requests.append(f"POST {path}")
        self.canned.inserts.append(body)
        if self.canned.inserts_not_found > 0:
            self.canned.inserts_not_found -= 1
            table = path.split("/tables/")[1].removesuffix("/insertAll")
            self._error(404, "notFound", f"Not found: Table {PROJECT}:{table}")
            return
        self.canned.stored.append(body)
        self._answer({"kind": "bigquery#tableDataInsertAllResponse"})

    def do_DELETE(self) -> None:
        path = self.path.split("?")[0]
        self.canned.writes.append(f"DELETE {path}")
        self.canned.requests.append(f"DELETE {path}")
        self.send_response(204)
        self.end_headers()

    def _schema(self) -> dict[str, Any]:
        return {"fields": [{"name": n, "type": t} for n, t in self.canned.columns]}

    def _error(self, code: int, reason: str, message: str) -> None:
        errors = [{"reason": reason, "message": message}]
        self._answer({"error": {"code": code, "message": message, "errors": errors}}, code)

    def _answer(self, payload: dict[str, Any], code: int = 200) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:  # keep pytest's output clean
        pass


def table_resource(
    table: str,
    columns: list[tuple[str, str]],
    partition: tuple[str, str] | None = None,
    cluster_by: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A `tables.get` answer for `dataset.table`: its columns, partitioning and clustering."""
    dataset, name = table.split(".")
    resource: dict[str, Any] = {
        "kind": "bigquery#table",
        "tableReference": {"projectId": PROJECT, "datasetId": dataset, "tableId": name},
        "type": "TABLE",
        "schema": {"fields": [{"name": n, "type": t} for n, t in columns]},
    }
    if partition is not None:
        resource["timePartitioning"] = {"type": partition[1], "field": partition[0]}
    if cluster_by:
        resource["clustering"] = {"fields": list(cluster_by)}
    return resource


@contextlib.contextmanager
def canned_bigquery(monkeypatch: pytest.MonkeyPatch, canned: Canned) -> Iterator[str]:
    """Serve `canned` on a loopback port and point the Google client at it (anonymous
    credentials, `BIGQUERY_EMULATOR_HOST`); yields the endpoint."""
    import google.auth
    from google.auth.credentials import AnonymousCredentials

    handler = type("CannedHandler", (_Handler,), {"canned": canned})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", endpoint)
    monkeypatch.setattr(google.auth, "default", lambda *_, **__: (AnonymousCredentials(), None))
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()
