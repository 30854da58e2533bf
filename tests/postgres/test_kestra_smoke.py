"""Smoke-run the Kestra flows locally: every `Commands` task's commands, in order, for real.

A tiny stand-in for a Kestra worker: each task gets its own working directory with its
`inputFiles`, its `env` rendered, and its `beforeCommands` + `commands` run in one `bash` process
(`set -e`, as Kestra's `failFast`); the tasks inside a `WorkingDirectory` share that task's
directory instead. Nothing else carries over from one task to the next (no worker environment
with a DuckDB path: in Kestra each task is a fresh container), so a flow whose tasks rely on a
file another task left behind fails here as it would in production. Expressions are rendered by
a small subset of Pebble (`{{ secret('X') }}`, `{{ inputs.x }}`, `{{ vars.x }}`, `| join(',')`);
anything else fails the test so that it cannot slip through unrendered. Secrets map to local
values: the embedded PostgreSQL seeded at scale 0.02. Flows that only run on BigQuery get a DuckDB
file that persists across tasks as the stand-in for that warehouse (`warehouse_stand_in`). The
`pip install` of the package becomes a check that `adventure-elt` is on PATH (it is installed in
the test venv and there is no network). Tasks of other types (the Airbyte sync, the Slack alert
in `errors:`) do not run here; a test may give a local stand-in for one. So a flow that calls a
command or an option that does not exist, or whose steps do not chain, fails `make test`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from adventure_elt.oltp import generator, server
from adventure_elt.settings import Settings
from airbyte_shapes import airbyte_columns_sql

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]
FLOWS_DIR = REPO / "kestra"
COMMANDS = "io.kestra.plugin.scripts.python.Commands"
WORKING_DIRECTORY = "io.kestra.plugin.core.flow.WorkingDirectory"
AIRBYTE_SYNC = "io.kestra.plugin.airbyte.connections.Sync"
INSTALL_LINE = re.compile(r'pip install .*"\{\{ vars\.package \}\}"')
EXPRESSION = re.compile(r"\{\{(.*?)\}\}")
SECRET = re.compile(r"\s*secret\('([A-Z0-9_]+)'\)\s*")
VALUE = re.compile(r"\s*(inputs|vars)\.(\w+)\s*(?:\|\s*join\('([^']*)'\)\s*)?")
# Local stand-ins for the secrets the Commands tasks read (the source DSN comes from the fixture).
LOCAL_SECRETS = {
    "ADVENTURE_ELT_SOURCE_DSN": "",
    "ADVENTURE_ELT_BIGQUERY_PROJECT": "local-smoke-test",
    "GCP_SERVICE_ACCOUNT_JSON": "{}",
}
REPORT_KEYS = {
    "as_of",
    "warehouse",
    "product_sales",
    "new_customers",
    "customer_summary",
    "order_status",
    "geography",
    "web_traffic",
}


class FlowFailed(AssertionError):
    """A task of the flow exited non-zero: the execution would be FAILED in Kestra."""


@dataclass
class FlowRun:
    """What a smoke run did: tasks run, tasks skipped, and each task's output files."""

    workdir: Path
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    stdout: dict[str, str] = field(default_factory=dict)
    output_files: dict[str, dict[str, Path]] = field(default_factory=dict)


StandIn = Callable[[Mapping[str, Any]], None]


@dataclass
class SmokeRunner:
    """Runs a flow's `Commands` tasks in order, as a single Kestra worker would.

    Args:
        secrets: local value of every secret the Commands tasks read.
        workdir: parent of the tasks' working directories.
        worker_env: the environment every task starts from (PATH to `adventure-elt`); nothing
            in it may point tasks at a shared warehouse.
        stand_ins: local replacements for non-Commands task types, by type.
        warehouse_stand_in: env values that replace the BigQuery warehouse of a BigQuery-only
            flow with a DuckDB file every task reaches (a warehouse outlives its tasks).
    """

    secrets: Mapping[str, str]
    workdir: Path
    worker_env: Mapping[str, str]
    stand_ins: Mapping[str, StandIn] = field(default_factory=dict)
    warehouse_stand_in: Mapping[str, str] = field(default_factory=dict)

    def run(self, flow: Mapping[str, Any], inputs: Mapping[str, Any] | None = None) -> FlowRun:
        values = {i["id"]: i["defaults"] for i in flow.get("inputs", []) if "defaults" in i}
        values.update(inputs or {})
        missing = [i["id"] for i in flow.get("inputs", []) if i["id"] not in values]
        assert not missing, f"inputs without defaults need a value: {missing}"
        result = FlowRun(workdir=self.workdir / f"{flow['id']}-{len(list(self.workdir.glob('*')))}")
        self._run_tasks(flow["tasks"], values, flow.get("variables", {}), result, shared=None)
        return result

    def _run_tasks(
        self,
        tasks: list[Mapping[str, Any]],
        inputs: Mapping[str, Any],
        variables: Mapping[str, Any],
        result: FlowRun,
        shared: Path | None,
    ) -> None:
        """Run tasks in order; `shared` is the enclosing WorkingDirectory's folder, if any."""
        for task in tasks:
            if task["type"] == WORKING_DIRECTORY:
                assert shared is None, "a WorkingDirectory inside a WorkingDirectory"
                folder = self._prepare(task, inputs, variables, result.workdir / task["id"])
                self._run_tasks(task["tasks"], inputs, variables, result, shared=folder)
                result.ran.append(task["id"])
            elif task["type"] == COMMANDS:
                folder = shared or self._prepare(
                    task, inputs, variables, result.workdir / task["id"]
                )
                if shared is not None:
                    self._write_input_files(task, inputs, variables, folder)
                self._run_commands(task, inputs, variables, result, folder)
            elif (stand_in := self.stand_ins.get(task["type"])) is not None:
                stand_in(task)
                result.ran.append(task["id"])
            else:
                result.skipped.append(task["id"])

    def _prepare(
        self,
        task: Mapping[str, Any],
        inputs: Mapping[str, Any],
        variables: Mapping[str, Any],
        folder: Path,
    ) -> Path:
        folder.mkdir(parents=True)
        self._write_input_files(task, inputs, variables, folder)
        return folder

    def _write_input_files(
        self,
        task: Mapping[str, Any],
        inputs: Mapping[str, Any],
        variables: Mapping[str, Any],
        folder: Path,
    ) -> None:
        for name, content in (task.get("inputFiles") or {}).items():
            (folder / name).write_text(self.render(content, inputs, variables))

    def render(self, text: str, inputs: Mapping[str, Any], variables: Mapping[str, Any]) -> str:
        """Render the Pebble subset the flows' Commands tasks use; fail on anything else."""

        def one(match: re.Match[str]) -> str:
            body = match.group(1)
            if secret := SECRET.fullmatch(body):
                name = secret.group(1)
                assert name in self.secrets, f"secret {name} has no local value in the smoke test"
                return self.secrets[name]
            if value := VALUE.fullmatch(body):
                scope, name, join = value.groups()
                found = (inputs if scope == "inputs" else variables)[name]
                return join.join(found) if join is not None else str(found)
            raise AssertionError(f"expression {{{{{body}}}}} is outside the smoke runner's Pebble")

        return EXPRESSION.sub(one, text)

    def _run_commands(
        self,
        task: Mapping[str, Any],
        inputs: Mapping[str, Any],
        variables: Mapping[str, Any],
        result: FlowRun,
        workdir: Path,
    ) -> None:
        env = dict(self.worker_env)
        env.update({k: self.render(str(v), inputs, variables) for k, v in task["env"].items()})
        if env.get("ADVENTURE_ELT_WAREHOUSE") == "bigquery" and self.warehouse_stand_in:
            env.update(self.warehouse_stand_in)
        lines = []
        for line in task.get("beforeCommands", []):
            # No network and the package is already installed: prove it is on PATH instead.
            is_install = INSTALL_LINE.fullmatch(line)
            lines.append("command -v adventure-elt >/dev/null" if is_install else line)
        lines += task["commands"]
        script = "set -e\n" + "\n".join(self.render(c, inputs, variables) for c in lines)
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise FlowFailed(
                f"task {task['id']} exited {done.returncode}\n$ {script}\n{done.stderr[-3000:]}"
            )
        result.ran.append(task["id"])
        result.stdout[task["id"]] = done.stdout
        result.output_files[task["id"]] = {
            pattern: workdir / pattern
            for pattern in task.get("outputFiles", [])
            if (workdir / pattern).is_file()
        }


def load_flow(flow_id: str) -> dict[str, Any]:
    flow: dict[str, Any] = yaml.safe_load((FLOWS_DIR / f"{flow_id}.yml").read_text())
    return flow


@pytest.fixture
def shop(source_settings: Settings) -> Settings:
    """The embedded source seeded with a small synthetic shop."""
    with server.connect(source_settings) as conn:
        generator.seed(conn, scale=0.02, seed=1)
    return source_settings


@pytest.fixture
def runner(shop: Settings, tmp_path: Path) -> SmokeRunner:
    assert shop.source_dsn is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVENTURE_ELT_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return SmokeRunner(
        secrets={**LOCAL_SECRETS, "ADVENTURE_ELT_SOURCE_DSN": shop.source_dsn},
        workdir=tmp_path / "kestra-worker",
        worker_env=env,
    )


def source_count(settings: Settings, table: str) -> int:
    with server.connect(settings) as conn, conn.cursor() as cur:
        cur.execute(f"select count(*) from {table}")
        count: int = cur.fetchone()[0]
        return count


def stand_in_warehouse(duckdb_path: Path) -> dict[str, str]:
    """BigQuery replaced by one DuckDB file (and sync state) that every task reaches."""
    return {
        "ADVENTURE_ELT_WAREHOUSE": "duckdb",
        "ADVENTURE_ELT_DUCKDB_PATH": str(duckdb_path),
        "ADVENTURE_ELT_HOME": str(duckdb_path.parent / ".adventure"),
    }


def test_daily_flow_on_duckdb_then_backfill_flow(runner: SmokeRunner, shop: Settings) -> None:
    daily = runner.run(load_flow("adventure_elt_daily"), {"warehouse": "duckdb"})

    # The four tasks ran in the WorkingDirectory's folder, so transform found what sync wrote.
    assert daily.ran == ["sync", "transform", "test", "report", "pipeline"]
    warehouse = daily.workdir / "pipeline" / "adventure.duckdb"
    assert warehouse.is_file()
    report = json.loads(daily.output_files["report"]["report.json"].read_text())
    assert set(report) == REPORT_KEYS
    assert report["warehouse"] == "duckdb"
    assert report["customer_summary"]["orders"] == source_count(shop, "sales.salesorderheader")

    # Someone deleted order lines in raw by mistake; the backfill (BigQuery-only, here the
    # daily run's DuckDB file stands in for that warehouse) reloads the two order tables.
    order_lines = source_count(shop, "sales.salesorderdetail")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from raw.sales_salesorderdetail where salesorderid % 2 = 0")
    tables = ["sales.salesorderheader", "sales.salesorderdetail"]
    runner.warehouse_stand_in = stand_in_warehouse(warehouse)
    backfill = runner.run(load_flow("adventure_elt_backfill"), {"tables": tables})

    assert backfill.ran == ["full_refresh", "reconcile", "transform", "test"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        raw = con.execute("select count(*) from raw.sales_salesorderdetail").fetchall()
    assert raw == [(order_lines,)]


def test_daily_flow_tasks_without_their_working_directory_do_not_chain(
    runner: SmokeRunner,
) -> None:
    flow = load_flow("adventure_elt_daily")
    flow["tasks"] = flow["tasks"][0]["tasks"]  # the Kestra 1 layout: one directory per task

    with pytest.raises(FlowFailed, match="task transform exited"):
        runner.run(flow, {"warehouse": "duckdb"})


def airbyte_like_output(warehouse: Path, dataset: str) -> None:
    """Turn the raw tables `sync` wrote into the tables Airbyte writes: stream-named, in
    Airbyte's own dataset, with `_airbyte_*` columns instead of the loader's."""
    from adventure_elt.catalog import TABLES

    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"create schema {dataset}")
        for table in TABLES:
            con.execute(
                f"create table {dataset}.{table.name} as select"
                " * exclude (_extracted_at, _dlt_load_id, _dlt_id),"
                f" {airbyte_columns_sql()}"
                f" from raw.{table.raw_name}"
            )
            con.execute(f"drop table raw.{table.raw_name}")


def test_airbyte_flow_runs_after_a_local_stand_in_for_airbyte(
    runner: SmokeRunner, shop: Settings, tmp_path: Path
) -> None:
    flow = load_flow("adventure_elt_airbyte")
    warehouse = tmp_path / "bigquery-stand-in" / "warehouse.duckdb"
    runner.warehouse_stand_in = stand_in_warehouse(warehouse)

    def replicate_like_airbyte(task: Mapping[str, Any]) -> None:
        # No Airbyte here: fill the warehouse with `sync`, then reshape it like Airbyte's output.
        env = {
            **runner.worker_env,
            **runner.warehouse_stand_in,
            "ADVENTURE_ELT_SOURCE_DSN": str(shop.source_dsn),
        }
        subprocess.run(["adventure-elt", "sync"], env=env, check=True, capture_output=True)
        airbyte_like_output(warehouse, flow["variables"]["airbyte_dataset"])

    runner.stand_ins = {AIRBYTE_SYNC: replicate_like_airbyte}
    run = runner.run(flow)

    assert run.ran == ["airbyte_sync", "airbyte_views", "transform", "test", "report"]
    views = json.loads(run.stdout["airbyte_views"])
    assert len(views) == 12
    report = json.loads(run.output_files["report"]["report.json"].read_text())
    assert set(report) == REPORT_KEYS
    assert report["customer_summary"]["orders"] == source_count(shop, "sales.salesorderheader")


def test_web_events_stream_flow_loads_events(runner: SmokeRunner, shop: Settings) -> None:
    inputs = {"rate": 200, "duration": "1s", "warehouse": "duckdb"}
    run = runner.run(load_flow("web_events_stream"), inputs)

    assert run.ran == ["stream"]
    counts = json.loads(run.stdout["stream"])
    # On duckdb the events land in the task's own directory, gone with it in Kestra.
    with duckdb.connect(str(run.workdir / "stream" / "adventure.duckdb"), read_only=True) as con:
        loaded = con.execute("select count(*) from raw.web_events").fetchall()[0][0]
    assert loaded > 0
    assert loaded == counts["loaded"]


def test_a_flow_calling_an_option_that_does_not_exist_fails(runner: SmokeRunner) -> None:
    flow = load_flow("adventure_elt_daily")
    flow["tasks"][0]["tasks"][0]["commands"] = ["adventure-elt sync --since-yesterday"]

    with pytest.raises(FlowFailed, match="task sync exited 2"):
        runner.run(flow, {"warehouse": "duckdb"})


def test_every_secret_of_the_commands_tasks_has_a_local_value() -> None:
    used = set()
    for path in FLOWS_DIR.glob("*.yml"):
        for task in yaml.safe_load(path.read_text())["tasks"]:
            if task["type"] in (COMMANDS, WORKING_DIRECTORY):
                used |= set(re.findall(r"secret\('([A-Z0-9_]+)'\)", json.dumps(task)))
    assert used == set(LOCAL_SECRETS)
