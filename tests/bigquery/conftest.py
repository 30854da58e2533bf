"""The BigQuery emulator for the `bigquery` tests: one `bqemulator` process per session.

bqemulator (a DuckDB-backed BigQuery REST API) lives in its own virtualenv `.bqvenv`
(`make bqvenv`): its pins conflict with ours. The emulator's quirks are handled here, never in
`src/`: anonymous credentials (it checks none), lower-case dataset names, dlt's load files
uncompressed, and BigQuery's NUMERIC precision (`run_emulator.py`). The code under test only sees
the standard `BIGQUERY_EMULATOR_HOST`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bq_helpers import ENGINE_CASES, PROJECT, emulator_environment, unique_prefix

from adventure_elt.settings import Settings
from adventure_elt.warehouse import BigQueryWarehouse

REPO = Path(__file__).resolve().parents[2]
BQVENV = REPO / ".bqvenv"
EMULATOR = BQVENV / "bin" / "bqemulator"
LAUNCHER = Path(__file__).with_name("run_emulator.py")
START_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="session")
def bq_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running emulator on a free loopback port; yields its `http://127.0.0.1:PORT`."""
    if not EMULATOR.is_file():
        pytest.skip(f"BigQuery emulator not installed at {EMULATOR}; run `make bqvenv`")
    folder = tmp_path_factory.mktemp("bqemulator")
    rest, grpc = _free_port(), _free_port()
    endpoint = f"http://127.0.0.1:{rest}"
    log = (folder / "emulator.log").open("wb")
    env = {**os.environ, "HOME": str(BQVENV / "duckdb-home")}  # the pre-installed extensions
    process = subprocess.Popen(
        [str(BQVENV / "bin" / "python"), str(LAUNCHER), "start",
         "--rest-host", "127.0.0.1", "--rest-port", str(rest),
         "--grpc-host", "127.0.0.1", "--grpc-port", str(grpc),
         "--project", PROJECT, "--log-level", "warning"],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT
        probe = f"{endpoint}/bigquery/v2/projects/{PROJECT}/datasets"
        while not _answers(probe):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (folder / "emulator.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"bqemulator did not start (exit {process.poll()}):\n{tail}")
            time.sleep(0.1)  # readiness poll of a starting server, not a timing assumption
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def bigquery_settings(
    bq_emulator: str, source_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """`source_settings` (an empty source database) with the warehouse on the emulator."""
    prefix = unique_prefix()
    emulator_environment(monkeypatch, bq_emulator, prefix)
    return dataclasses.replace(
        source_settings,
        warehouse="bigquery",
        bigquery_project=PROJECT,
        bigquery_dataset_prefix=prefix,
    )


@pytest.fixture(params=ENGINE_CASES)
def engine_settings(
    request: pytest.FixtureRequest, source_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """`source_settings` (an empty source database) with the warehouse of each engine: DuckDB
    in tmp_path, then the emulator (`bigquery_settings`); the environment lets the CLI find
    both. Scenarios that must hold on both engines take this fixture and are written once."""
    settings = source_settings
    if request.param == "bigquery":
        settings = request.getfixturevalue("bigquery_settings")
    monkeypatch.setenv("ADVENTURE_ELT_WAREHOUSE", settings.warehouse)
    monkeypatch.setenv("ADVENTURE_ELT_SOURCE_DSN", str(settings.source_dsn))
    monkeypatch.setenv("ADVENTURE_ELT_HOME", str(settings.home))
    monkeypatch.setenv("ADVENTURE_ELT_DUCKDB_PATH", str(settings.duckdb_path))
    return settings


_ALTER = re.compile(
    r"alter table `(?P<table>[^`]+)` (?:add column if not exists `(?P<added>\w+)` (?P<type>\w+)"
    r"|drop column `(?P<dropped>\w+)`)",
    re.IGNORECASE,
)


@pytest.fixture
def emulator_alter_table_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    """Quirk: the emulator runs `ALTER TABLE … ADD COLUMN` / `DROP COLUMN` on its storage but
    leaves the table's metadata (`tables.get`) as it was; real BigQuery updates both. Patch the
    metadata after such a statement, as BigQuery would have. (Touches only the BigQuery
    adapter, so DuckDB cases may use it too.)"""
    from google.cloud import bigquery

    original = BigQueryWarehouse.execute

    def execute(self: BigQueryWarehouse, sql: str, params: list[Any] | None = None) -> None:
        original(self, sql, params)
        alter = _ALTER.match(sql.strip())
        if alter is None:
            return
        table = self.client.get_table(alter["table"])
        names = {f.name for f in table.schema}
        if alter["added"] is not None and alter["added"] not in names:
            field = bigquery.SchemaField(alter["added"], alter["type"].upper())
            table.schema = [*table.schema, field]
        elif alter["dropped"] is not None and alter["dropped"] in names:
            table.schema = [f for f in table.schema if f.name != alter["dropped"]]
        else:
            return
        self.client.update_table(table, ["schema"])

    monkeypatch.setattr(BigQueryWarehouse, "execute", execute)
