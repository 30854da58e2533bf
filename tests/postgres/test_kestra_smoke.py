"""Smoke-run the Kestra flows locally: every script task's code, in order, for real.

A tiny stand-in for a Kestra worker: each task gets its own working directory with its
`inputFiles`, its `env` rendered, and its `beforeCommands` + `commands` (a `Commands` task) or
`python <script>` (a `Script` task) run in one `bash` process (`set -e`, as Kestra's
`failFast`); the tasks inside a `WorkingDirectory` share that task's directory instead. Nothing
else carries over from one task to the next (no worker environment with a DuckDB path: in
Kestra each task is a fresh container), so a flow whose tasks rely on a file another task left
behind fails here as it would in production. The `::{...}::` lines a task prints on stdout or
stderr are read as Kestra reads them (`kestra_lines`): its outputs become
`{{ outputs.<task>.vars.<name> }}` for later tasks, its metrics are kept for the test.
Expressions are rendered by a small subset of Pebble (`{{ secret('X') }}`, `{{ inputs.x }}`,
`{{ vars.x }}`, `{{ outputs.t.vars.x }}`, `| join(', ')`, a comparison with a number, and the
flow's and execution's ids); anything else fails the test so that it cannot slip through
unrendered. `runIf` skips a task that renders falsy; a `Fail` task fails the flow when its
`condition` renders truthy, and the flow's `errors` tasks then run. Secrets map to local values:
the embedded PostgreSQL seeded at scale 0.02. Flows that only run on BigQuery get a DuckDB file
that persists across tasks as the stand-in for that warehouse (`warehouse_stand_in`). The `pip
install` of the package becomes a check that `adventure-elt` is on PATH (it is installed in the
test venv and there is no network). Tasks of other types (the Airbyte sync, Slack messages) do
not run here; a test may give a local stand-in for one. So a flow that calls a command, an
option or a function that does not exist, whose steps do not chain, or that reads an output no
task published, fails `make test`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from adventure_elt.oltp import server
from adventure_elt.replicate.cdc.stream import cdc_drop
from adventure_elt.settings import Settings
from airbyte_shapes import airbyte_columns_sql
from kestra_lines import Published, read_published
from real_data import README_ROWS

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]
FLOWS_DIR = REPO / "kestra"
COMMANDS = "io.kestra.plugin.scripts.python.Commands"
SCRIPT = "io.kestra.plugin.scripts.python.Script"
WORKING_DIRECTORY = "io.kestra.plugin.core.flow.WorkingDirectory"
FAIL = "io.kestra.plugin.core.execution.Fail"
AIRBYTE_SYNC = "io.kestra.plugin.airbyte.connections.Sync"
SLACK = "io.kestra.plugin.slack.notifications.SlackIncomingWebhook"
INSTALL_LINE = re.compile(r'pip install .*"\{\{ vars\.package \}\}"')
EXPRESSION = re.compile(r"\{\{(.*?)\}\}")
SECRET = re.compile(r"\s*secret\('([A-Z0-9_]+)'\)\s*")
VALUE = re.compile(
    r"\s*(inputs|vars|outputs)\.(\w+)(?:\.vars\.(\w+))?\s*"
    r"(?:\|\s*join\('([^']*)'\)|(==|!=|>=|<=|>|<)\s*(-?\d+))?\s*"
)
CONTEXT = re.compile(r"\s*(flow\.id|flow\.namespace|execution\.id)\s*")
COMPARE: dict[str, Callable[[float, float], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}
# Local stand-ins for the secrets the script tasks read (the source DSN comes from the fixture).
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
SYNC_COUNTERS = ("rows_read", "rows_inserted", "rows_updated", "rows_unchanged", "rows_deleted")


class FlowFailed(AssertionError):
    """A task of the flow failed: the execution would be FAILED in Kestra."""

    run: FlowRun | None = None


@dataclass
class FlowRun:
    """What a smoke run did: tasks run and skipped, each task's output files and what it
    published (`::{...}::` outputs and metrics)."""

    workdir: Path
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    stdout: dict[str, str] = field(default_factory=dict)
    output_files: dict[str, dict[str, Path]] = field(default_factory=dict)
    published: dict[str, Published] = field(default_factory=dict)

    def outputs(self, task_id: str) -> dict[str, Any]:
        """The task's `outputs.<task>.vars`."""
        return self.published[task_id].outputs


Render = Callable[[str], str]
StandIn = Callable[[Mapping[str, Any], Render], None]


@dataclass
class SmokeRunner:
    """Runs a flow's script tasks in order, as a single Kestra worker would.

    Args:
        secrets: local value of every secret the script tasks read.
        workdir: parent of the tasks' working directories.
        worker_env: the environment every task starts from (PATH to `adventure-elt`); nothing
            in it may point tasks at a shared warehouse.
        stand_ins: local replacements for other task types, by type; each gets the task and a
            function rendering its expressions.
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
        scope = _Scope(flow, values, result)
        try:
            self._run_tasks(flow["tasks"], scope, shared=None)
        except FlowFailed as failure:
            self._run_tasks(flow.get("errors", []), scope, shared=None)
            failure.run = result
            raise
        return result

    def _run_tasks(
        self, tasks: list[Mapping[str, Any]], scope: _Scope, shared: Path | None
    ) -> None:
        """Run tasks in order; `shared` is the enclosing WorkingDirectory's folder, if any."""
        result = scope.result
        for task in tasks:
            if "runIf" in task and not _truthy(self.render(task["runIf"], scope)):
                result.skipped.append(task["id"])
            elif task["type"] == WORKING_DIRECTORY:
                assert shared is None, "a WorkingDirectory inside a WorkingDirectory"
                folder = self._prepare(task, scope, result.workdir / task["id"])
                self._run_tasks(task["tasks"], scope, shared=folder)
                result.ran.append(task["id"])
            elif task["type"] in (COMMANDS, SCRIPT):
                folder = shared or self._prepare(task, scope, result.workdir / task["id"])
                if shared is not None:
                    self._write_input_files(task, scope, folder)
                self._run_script_task(task, scope, folder)
            elif task["type"] == FAIL:
                result.ran.append(task["id"])
                if "condition" not in task or _truthy(self.render(task["condition"], scope)):
                    raise FlowFailed(
                        f"task {task['id']} failed the flow: "
                        + self.render(task.get("errorMessage", ""), scope)
                    )
            elif (stand_in := self.stand_ins.get(task["type"])) is not None:
                stand_in(task, lambda text: self.render(text, scope))
                result.ran.append(task["id"])
            else:
                result.skipped.append(task["id"])

    def _prepare(self, task: Mapping[str, Any], scope: _Scope, folder: Path) -> Path:
        folder.mkdir(parents=True)
        self._write_input_files(task, scope, folder)
        return folder

    def _write_input_files(self, task: Mapping[str, Any], scope: _Scope, folder: Path) -> None:
        for name, content in (task.get("inputFiles") or {}).items():
            (folder / name).write_text(self.render(content, scope))

    def render(self, text: str, scope: _Scope) -> str:
        """Render the Pebble subset the flows use; fail on anything else."""

        def one(match: re.Match[str]) -> str:
            body = match.group(1)
            if secret := SECRET.fullmatch(body):
                name = secret.group(1)
                assert name in self.secrets, f"secret {name} has no local value in the smoke test"
                return self.secrets[name]
            if context := CONTEXT.fullmatch(body):
                return scope.context[context.group(1)]
            if value := VALUE.fullmatch(body):
                return scope.value(*value.groups())
            raise AssertionError(f"expression {{{{{body}}}}} is outside the smoke runner's Pebble")

        return EXPRESSION.sub(one, text)

    def _run_script_task(self, task: Mapping[str, Any], scope: _Scope, workdir: Path) -> None:
        env = dict(self.worker_env)
        env.update({k: self.render(str(v), scope) for k, v in task["env"].items()})
        if env.get("ADVENTURE_ELT_WAREHOUSE") == "bigquery" and self.warehouse_stand_in:
            env.update(self.warehouse_stand_in)
        lines = []
        for line in task.get("beforeCommands", []):
            # No network and the package is already installed: prove it is on PATH instead.
            is_install = INSTALL_LINE.fullmatch(line)
            lines.append("command -v adventure-elt >/dev/null" if is_install else line)
        lines = [self.render(line, scope) for line in lines]
        if task["type"] == SCRIPT:
            # Kestra writes the rendered script to a file in the working directory and runs it.
            script = workdir / f".{task['id']}.py"
            script.write_text(self.render(task["script"], scope))
            lines.append(f"python {script.name}")
        else:
            lines += [self.render(c, scope) for c in task["commands"]]
        script_text = "set -e\n" + "\n".join(lines)
        done = subprocess.run(
            ["bash", "-c", script_text],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        result = scope.result
        result.published[task["id"]] = read_published(done.stdout, done.stderr)
        if done.returncode != 0:
            raise FlowFailed(
                f"task {task['id']} exited {done.returncode}\n$ {script_text}\n"
                f"{done.stderr[-3000:]}"
            )
        result.ran.append(task["id"])
        result.stdout[task["id"]] = done.stdout
        result.output_files[task["id"]] = {
            pattern: workdir / pattern
            for pattern in task.get("outputFiles", [])
            if (workdir / pattern).is_file()
        }


@dataclass
class _Scope:
    """What expressions of one execution can read: inputs, variables, published outputs."""

    flow: Mapping[str, Any]
    inputs: Mapping[str, Any]
    result: FlowRun

    @property
    def context(self) -> dict[str, str]:
        return {
            "flow.id": self.flow["id"],
            "flow.namespace": self.flow["namespace"],
            "execution.id": self.result.workdir.name,
        }

    def value(
        self,
        scope: str,
        name: str,
        output: str | None,
        join: str | None,
        operator: str | None,
        number: str | None,
    ) -> str:
        if scope == "outputs":
            assert output is not None, f"outputs.{name} without .vars.<name>"
            published = self.result.published.get(name)
            assert published is not None, f"outputs.{name}: task {name} published nothing"
            assert output in published.outputs, f"task {name} published no output {output}"
            found = published.outputs[output]
        else:
            found = (self.inputs if scope == "inputs" else self.flow.get("variables", {}))[name]
        if join is not None:
            return join.join(str(item) for item in found)
        if operator is not None:
            return str(COMPARE[operator](found, float(str(number)))).lower()
        return _pebble_text(found)


def _pebble_text(value: Any) -> str:
    """A value as Pebble prints it: Java's `toString`, so a double from 10^7 up is scientific
    (`1.098463814E8`), which is why messages use the report's preformatted `headline`."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value != 0 and not 1e-3 <= abs(value) < 1e7:
        sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
        text = "".join(map(str, digits))
        mantissa = f"{text[0]}.{text[1:] or '0'}"
        return f"{'-' if sign else ''}{mantissa}E{len(digits) - 1 + int(exponent)}"
    return str(value)


def _truthy(rendered: str) -> bool:
    """Kestra's coercion of a rendered condition: empty, `0`, `false` and `null` are false."""
    return rendered.strip().lower() not in ("", "0", "false", "null")


def load_flow(flow_id: str) -> dict[str, Any]:
    flow: dict[str, Any] = yaml.safe_load((FLOWS_DIR / f"{flow_id}.yml").read_text())
    return flow


@pytest.fixture
def shop(seeded_source: Callable[[float, int], Settings]) -> Settings:
    """The embedded source seeded with a small synthetic shop."""
    return seeded_source(0.02, 1)


@pytest.fixture
def runner(shop: Settings, tmp_path: Path) -> SmokeRunner:
    return worker_for(shop, tmp_path)


def worker_for(source: Settings, tmp_path: Path) -> SmokeRunner:
    """A smoke runner whose secrets point at this source."""
    assert source.source_dsn is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVENTURE_ELT_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return SmokeRunner(
        secrets={**LOCAL_SECRETS, "ADVENTURE_ELT_SOURCE_DSN": source.source_dsn},
        workdir=tmp_path / "kestra-worker",
        worker_env=env,
    )


def collect_slack_messages(runner: SmokeRunner) -> list[str]:
    """Slack's stand-in: the rendered text of every message the flow would post."""
    messages: list[str] = []
    runner.stand_ins = {
        **runner.stand_ins,
        SLACK: lambda task, render: messages.append(render(task["messageText"])),
    }
    return messages


def source_count(settings: Settings, table: str) -> int:
    with server.connect(settings) as conn, conn.cursor() as cur:
        cur.execute(f"select count(*) from {table}")
        count: int = cur.fetchone()[0]
        return count


def source_counts(settings: Settings) -> dict[str, int]:
    """Rows per catalog table in the source."""
    from adventure_elt.catalog import TABLES

    return {t.qualified_name: source_count(settings, t.qualified_name) for t in TABLES}


def cents(amount: Decimal) -> float:
    return float(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def figures_from_marts(warehouse: Path) -> dict[str, Any]:
    """The five headline figures by a plain query over the star schema, not the semantic layer
    the report asks: orders and customers with order lines, and their revenue."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(
            """
            select count(distinct s.sales_order_id), count(distinct o.customer_key),
                   sum(s.line_total)
            from marts.fct_sales as s
            join marts.fct_orders as o on o.sales_order_id = s.sales_order_id
            """
        ).fetchone()
    assert row is not None
    orders, customers, revenue = int(row[0]), int(row[1]), Decimal(row[2])
    return {
        "orders": orders,
        "customers_with_orders": customers,
        "revenue": cents(revenue),
        "avg_order_value": cents(revenue / orders),
        "avg_spend_per_customer": cents(revenue / customers),
    }


def headline(figures: Mapping[str, Any]) -> str:
    return (
        f"{figures['orders']:,} orders from {figures['customers_with_orders']:,} customers,"
        f" revenue {figures['revenue']:,.2f} (average order {figures['avg_order_value']:,.2f},"
        f" average per customer {figures['avg_spend_per_customer']:,.2f})"
    )


def model_names() -> set[str]:
    """Every model and seed of sql/, as `layer.name` from its folder and file name."""
    files = [*(REPO / "sql").glob("*/*.sql"), *(REPO / "sql" / "seeds").glob("*.csv")]
    return {f"{f.parent.name}.{f.stem}" for f in files if f.parent.name != "source"}


def assert_daily_run_published(
    daily: FlowRun, source: Settings, messages: list[str]
) -> dict[str, Any]:
    """What every successful daily run shows in Kestra: sync counters per table against the
    source, a timer per table read, every model built and timed, all checks passed, the report's
    figures equal to the marts' (returned) and the Slack message carrying them."""
    sync = daily.published["sync"]
    rows = source_counts(source)
    assert sync.by_tag("rows_read", "table") == rows
    assert sync.by_tag("rows_inserted", "table") == rows  # a first load inserts every row
    for counter in ("rows_updated", "rows_unchanged", "rows_deleted"):
        assert sync.by_tag(counter, "table") == dict.fromkeys(rows, 0)
    assert {t: v["inserted"] for t, v in sync.outputs["tables"].items()} == rows
    assert sync.outputs["rows_written"] == sum(rows.values())
    assert set(sync.by_tag("read_seconds", "table")) == set(rows)
    assert sync.metric("sync_seconds") > 0

    transform = daily.published["transform"]
    assert transform.outputs["models_built"] == len(model_names())
    assert set(transform.by_tag("model_seconds", "model")) == model_names()
    assert transform.metric("models_built") == len(model_names())

    checks = daily.outputs("test")
    assert checks["checks_failed"] == 0 and checks["failed_checks"] == []
    assert checks["checks_passed"] == checks["checks"] > 50

    figures = figures_from_marts(daily.workdir / "pipeline" / "adventure.duckdb")
    report = daily.outputs("report")
    assert {k: report[k] for k in figures} == figures
    assert report["warehouse"] == "duckdb"
    assert report["headline"] == headline(figures)
    as_of = report["as_of"]
    assert messages == [f":bar_chart: AdventureWorks (duckdb, {as_of}): {headline(figures)}."]
    return figures


def stand_in_warehouse(duckdb_path: Path) -> dict[str, str]:
    """BigQuery replaced by one DuckDB file (and sync state) that every task reaches."""
    return {
        "ADVENTURE_ELT_WAREHOUSE": "duckdb",
        "ADVENTURE_ELT_DUCKDB_PATH": str(duckdb_path),
        "ADVENTURE_ELT_HOME": str(duckdb_path.parent / ".adventure"),
    }


DAILY_STEPS = ["sync", "transform", "test", "report"]


def test_daily_flow_on_duckdb_then_backfill_flow(runner: SmokeRunner, shop: Settings) -> None:
    messages = collect_slack_messages(runner)
    daily = runner.run(load_flow("adventure_elt_daily"), {"warehouse": "duckdb"})

    # The four tasks ran in the WorkingDirectory's folder, so transform found what sync wrote;
    # every check passed, so the figures went to Slack and the Fail task let the run succeed.
    assert daily.ran == [*DAILY_STEPS, "pipeline", "notify", "fail_on_failed_checks"]
    figures = assert_daily_run_published(daily, shop, messages)
    assert figures["orders"] == source_count(shop, "sales.salesorderheader")
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
    # The Commands tasks published too (`adventure-elt --kestra`, on stderr).
    reloaded = backfill.published["full_refresh"]
    assert reloaded.by_tag("rows_read", "table") == {t: source_count(shop, t) for t in tables}
    assert backfill.outputs("reconcile")["tables_differing"] == 0
    assert backfill.published["reconcile"].by_tag("missing_keys", "table") == dict.fromkeys(
        tables, 0
    )
    assert backfill.outputs("test")["checks_failed"] == 0
    assert json.loads(backfill.stdout["full_refresh"])["tables"]  # stdout stayed plain JSON


def test_daily_flow_with_a_failed_check_reports_alerts_and_does_not_announce(
    runner: SmokeRunner, shop: Settings
) -> None:
    with server.connect(shop) as conn, conn.cursor() as cur:
        cur.execute(
            "update sales.salesorderheader set totaldue = totaldue + 1"
            " where salesorderid = (select min(salesorderid) from sales.salesorderheader)"
        )
    messages = collect_slack_messages(runner)

    with pytest.raises(FlowFailed) as failed:
        runner.run(load_flow("adventure_elt_daily"), {"warehouse": "duckdb"})

    run = failed.value.run
    assert run is not None
    checks = run.outputs("test")
    assert checks["checks_failed"] == 1
    assert checks["failed_checks"] == ["marts.fct_orders: total_due_is_the_sum"]
    assert run.published["test"].metric("checks_failed") == 1
    # The report is still there for whoever investigates; Slack gets the alert, not the figures.
    assert run.ran == [*DAILY_STEPS, "pipeline", "fail_on_failed_checks", "alert"]
    assert run.skipped == ["notify"]
    assert run.output_files["report"]["report.json"].is_file()
    assert str(failed.value) == (
        "task fail_on_failed_checks failed the flow: "
        f"1 of {checks['checks']} data checks failed (marts.fct_orders: total_due_is_the_sum);"
        " run `adventure-elt test` for the offending rows."
    )
    assert len(messages) == 1 and messages[0].startswith(":red_circle: ")


@pytest.fixture
def real_shop(source_settings: Settings, adventureworks_dir: Path) -> Settings:
    """The embedded source holding the real AdventureWorks tables."""
    from adventure_elt.oltp.loader import load_csv

    with server.connect(source_settings) as conn:
        load_csv(conn, adventureworks_dir)
    return source_settings


@pytest.mark.e2e
def test_daily_flow_on_real_data_publishes_the_report_figures(
    real_shop: Settings, tmp_path: Path
) -> None:
    runner = worker_for(real_shop, tmp_path)
    messages = collect_slack_messages(runner)
    daily = runner.run(load_flow("adventure_elt_daily"), {"warehouse": "duckdb"})

    assert daily.ran == [*DAILY_STEPS, "pipeline", "notify", "fail_on_failed_checks"]
    assert daily.published["sync"].by_tag("rows_inserted", "table") == README_ROWS
    figures = assert_daily_run_published(daily, real_shop, messages)
    # the data set's published figures
    assert (figures["orders"], figures["customers_with_orders"]) == (31_465, 19_119)
    assert figures["revenue"] == 109_846_381.40


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

    def replicate_like_airbyte(task: Mapping[str, Any], render: Render) -> None:
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
    orders = source_count(shop, "sales.salesorderheader")
    assert report["customer_summary"]["orders"] == orders
    # `--kestra` lines went to stderr: report.json is the plain document, the outputs are there.
    assert run.outputs("report")["orders"] == orders
    assert run.outputs("transform")["models_built"] == len(model_names())
    assert run.outputs("test")["checks_failed"] == 0


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
    published = run.published["stream"]
    assert published.outputs["events_loaded"] == loaded
    assert published.metric("events_read") == counts["read"]


def test_cdc_stream_flow_copies_the_tables_and_streams(runner: SmokeRunner, shop: Settings) -> None:
    inputs = {"duration": "2s", "warehouse": "duckdb"}
    try:
        run = runner.run(load_flow("cdc_stream"), inputs)
        again = runner.run(load_flow("cdc_stream"), inputs)  # the next hour's
    finally:
        cdc_drop(shop)  # the flow's slot and publication have the default names

    assert run.ran == ["stream"]
    summary = json.loads(run.stdout["stream"])
    assert summary["initial_copy"] is True
    # duckdb lives in the execution's own directory: the next execution finds the slot but no
    # copy recorded in its (new) warehouse, so it makes the slot again and copies again
    assert json.loads(again.stdout["stream"])["initial_copy"] is True
    warehouse = run.workdir / "stream" / "adventure.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        orders = con.execute("select count(*) from raw.sales_salesorderheader").fetchall()[0][0]
    assert orders == source_count(shop, "sales.salesorderheader")


def test_a_flow_calling_an_option_that_does_not_exist_fails(runner: SmokeRunner) -> None:
    flow = load_flow("adventure_elt_backfill")
    flow["tasks"][0]["commands"] = ["adventure-elt --kestra sync --since-yesterday"]

    with pytest.raises(FlowFailed, match="task full_refresh exited 2"):
        runner.run(flow, {"tables": ["sales.customer"]})


def test_a_script_calling_an_argument_that_does_not_exist_fails(runner: SmokeRunner) -> None:
    flow = load_flow("adventure_elt_daily")
    sync = flow["tasks"][0]["tasks"][0]
    sync["script"] = sync["script"].replace("lag=", "since=")

    with pytest.raises(FlowFailed, match="task sync exited 1"):
        runner.run(flow, {"warehouse": "duckdb"})


def test_every_secret_of_the_script_tasks_has_a_local_value() -> None:
    used = set()
    for path in FLOWS_DIR.glob("*.yml"):
        for task in yaml.safe_load(path.read_text())["tasks"]:
            if task["type"] in (COMMANDS, SCRIPT, WORKING_DIRECTORY):
                used |= set(re.findall(r"secret\('([A-Z0-9_]+)'\)", json.dumps(task)))
    assert used == set(LOCAL_SECRETS)
