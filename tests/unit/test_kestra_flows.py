"""Every flow in `kestra/` would import into Kestra 2.x and follows the project's flow rules.

Kestra 2.0 rejects a flow with an unknown key (HTTP 422 `Unrecognized field`), so the flows are
checked key by key against `tests/reference/kestra-2.json` (facts derived by
`tests/reference_facts.py`): real 2.x property names and the types, keys and input types that
2.0 removed or renamed. The checker is tested too: a 1.x-style flow must fail on each planted
mistake.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
import shlex
import tomllib
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from adventure_elt.catalog import TABLES
from cli_parse import parse_cli
from reference_facts import kestra_reference

REPO = Path(__file__).resolve().parents[2]
FLOWS_DIR = REPO / "kestra"
NAMESPACE = "company.data.adventure_elt"
EXPECTED_FLOWS = {
    "adventure_elt_daily",
    "adventure_elt_airbyte",
    "web_events_stream",
    "adventure_elt_backfill",
    "cdc_stream",
}
KEY_ORDER = (
    "id",
    "namespace",
    "description",
    "labels",
    "concurrency",
    "inputs",
    "variables",
    "tasks",
    "outputs",
    "errors",
    "triggers",
)
COMMANDS = "io.kestra.plugin.scripts.python.Commands"
SCRIPT = "io.kestra.plugin.scripts.python.Script"
SCRIPT_TASKS = (COMMANDS, SCRIPT)
FAIL = "io.kestra.plugin.core.execution.Fail"
WORKING_DIRECTORY = "io.kestra.plugin.core.flow.WorkingDirectory"
SLACK = "io.kestra.plugin.slack.notifications.SlackIncomingWebhook"
SCHEDULE = "io.kestra.plugin.core.trigger.Schedule"
SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
SECRET_CALL = re.compile(r"\{\{\s*secret\('([A-Za-z0-9_]+)'\)\s*\}\}")
ONLY_SECRET = re.compile(r"\s*\{\{\s*secret\('[A-Z][A-Z0-9_]*'\)\s*\}\}\s*")
# Keys whose value is a credential: it may only come from `{{ secret('…') }}`.
SENSITIVE_KEY = re.compile(r"password|secret|token|dsn|webhook|credentials_json", re.IGNORECASE)
SENSITIVE_FILE = re.compile(r"credential|service-account|key", re.IGNORECASE)
# Shapes of real credentials that must never be committed, whatever the key.
LITERAL_SECRET = re.compile(
    r"postgres(?:ql)?://[^:/@\s{]+:[^@\s{]+@"  # a DSN with a password
    r"|hooks\.slack\.com/services/"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|\bxox[abpr]-[0-9A-Za-z-]+"
    r"|\bgh[pousr]_[0-9A-Za-z]{20,}"
    r"|\bAKIA[0-9A-Z]{16}\b"
)
# adventure-elt commands that check data: a failure is an answer, so they are not retried.
CHECK_COMMANDS = {"test", "reconcile"}
# ... and the library functions behind them, as a Script task calls them.
CHECK_CALLS = {"run_checks", "reconcile"}
# adventure-elt commands whose results `--kestra` publishes as outputs and metrics.
PUBLISHING_COMMANDS = {"sync", "reconcile", "transform", "test", "report", "run", "stream"}
# What a Script task may import besides the package: no logic in YAML, only calls.
SCRIPT_IMPORTS = {"adventure_elt", "json", "pathlib"}
# The package the flows install: a released version, never a moving branch.
PROJECT_VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
PINNED_PACKAGE = (
    "adventure-elt[bigquery,kestra] @ "
    f"https://github.com/company/adventure_elt/archive/refs/tags/v{PROJECT_VERSION}.tar.gz"
)
# `{{ outputs.<task>.vars.<name> … }}`: a value a script task published.
OUTPUT_VAR = re.compile(r"outputs\.(\w+)\.vars\.(\w+)")


# ---------------------------------------------------------------------------------------------
# The checker


@dataclass(frozen=True)
class Finding:
    """One problem in a flow: where it is and what is wrong; warnings do not fail the test."""

    where: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def load_reference() -> dict[str, Any]:
    reference = kestra_reference()
    reference["types"].setdefault(WORKING_DIRECTORY, _working_directory_spec(reference))
    return reference


def _working_directory_spec(reference: Mapping[str, Any]) -> dict[str, Any]:
    """`WorkingDirectory`, which the reference names only as the target of renamed types.

    Read from kestra-io/kestra
    `core/src/main/java/io/kestra/plugin/core/flow/WorkingDirectory.java`: it extends
    `Sequential` (so `tasks`, `errors`, `finally`) and adds `cache`, `namespaceFiles`,
    `inputFiles` and `outputFiles`; its child tasks share one working directory on one worker.
    """
    sequential = reference["types"]["io.kestra.plugin.core.flow.Sequential"]
    own = [
        {"name": "cache", "required": False, "type": "object{patterns, ttl}"},
        {"name": "namespaceFiles", "required": False, "type": "object"},
        {"name": "inputFiles", "required": False, "type": "object | string", "dynamic": True},
        {"name": "outputFiles", "required": False, "type": "array<string>", "dynamic": True},
    ]
    return {
        "kind": "task",
        "inherits": list(sequential["inherits"]),
        "properties": [*sequential["properties"], *own],
        "flowable": True,
    }


def walk_tasks(tasks: list[Mapping[str, Any]] | None) -> Iterator[Mapping[str, Any]]:
    """Every task of a task list, depth first, flowable tasks before their children."""
    for task in tasks or []:
        yield task
        for key in ("tasks", "then", "else", "errors", "finally", "afterExecution"):
            if isinstance(task.get(key), list):
                yield from walk_tasks(task[key])


def _by_name(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in entries}


def _is_expression(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value


def _is_lower_key(key: str) -> bool:
    """Kestra's label key pattern `^\\p{Ll}[\\p{L}0-9._-]*$` without the `regex` module."""
    return bool(key) and key[0].islower() and all(c.isalpha() or c in "0123456789._-" for c in key)


class FlowChecker:
    """Checks one parsed flow against the Kestra 2.x reference and the project's flow rules."""

    def __init__(self, reference: Mapping[str, Any]) -> None:
        self.ref = reference
        self.flow_props = _by_name(reference["flow"]["properties"])
        self.nested = set(reference["conventions"]["nestedTaskLists"])
        self.findings: list[Finding] = []

    def error(self, where: str, message: str) -> None:
        self.findings.append(Finding(where, message))

    def warn(self, where: str, message: str) -> None:
        self.findings.append(Finding(where, message, warning=True))

    # -- generic object check -----------------------------------------------------------------

    def check_keys(
        self,
        obj: Mapping[str, Any],
        allowed: Mapping[str, dict[str, Any]],
        where: str,
        removed: Mapping[str, str] | None = None,
    ) -> None:
        """Unknown, removed, missing-required, unconfirmed and out-of-enum keys of one object."""
        removed = removed or {}
        for key, value in obj.items():
            if key in removed:
                self.error(where, f"`{key}` was removed in Kestra 2.x: {removed[key]}")
                continue
            entry = allowed.get(key)
            if entry is None:
                self.error(where, f"unknown key `{key}` (Kestra 2.0 fails on unknown properties)")
                continue
            if entry.get("unconfirmed"):
                self.warn(where, f"`{key}` is not confirmed for Kestra 2.x")
            enum = entry.get("enum")
            if enum and isinstance(value, str) and not _is_expression(value) and value not in enum:
                self.error(where, f"`{key}: {value}` is not one of {enum}")
        for name, entry in allowed.items():
            if entry.get("required") and name not in obj:
                self.error(where, f"required key `{name}` is missing")

    def check_type_name(self, type_name: str, where: str) -> bool:
        """False (with an error) when the type was removed or renamed in Kestra 2.x."""
        for old, why in self.ref["removedTypes"].items():
            if type_name == old or (old.endswith("*") and type_name.startswith(old[:-1])):
                self.error(where, f"type `{type_name}` was removed: {why}")
                return False
        conditions = self.ref["removedConditionTypes"]
        if any(type_name.startswith(p) for p in conditions["prefixes"]):
            self.error(where, f"type `{type_name}` is a trigger condition, removed in 2.0")
            return False
        for old, new in self.ref["renamedTypes"].items():
            if type_name == old or (old.endswith("*") and type_name.startswith(old[:-1])):
                self.error(where, f"type `{type_name}` was renamed; use `{new}`")
                return False
        return True

    def allowed_for(self, type_name: str, base: str) -> tuple[dict[str, Any], dict[str, str]]:
        """Allowed keys and removed keys of a task or trigger type."""
        common = self.ref[base]
        allowed = _by_name(common["properties"])
        removed = dict(common.get("removedKeys", {}))
        spec = self.ref["types"].get(type_name)
        if spec is None:
            return allowed, removed
        for group in spec["inherits"]:
            allowed.update(_by_name(self.ref[group]["properties"]))
            removed.update(self.ref[group].get("removedKeys", {}))
        allowed.update(_by_name(spec["properties"]))
        removed.update(spec.get("removedProperties", {}))
        return allowed, removed

    # -- flow ---------------------------------------------------------------------------------

    def check_flow(self, flow: Mapping[str, Any], file_stem: str) -> list[Finding]:
        where = f"{file_stem}.yml"
        removed = dict(self.ref["flow"]["removedKeys"])
        allowed = dict(self.flow_props)
        for key in self.ref["flow"]["serverManagedKeys"]:
            allowed.setdefault(key, {"name": key})
        self.check_keys(flow, allowed, where, removed)

        flow_id = flow.get("id", "")
        if flow_id != file_stem:
            self.error(where, f"flow id `{flow_id}` differs from the file name `{file_stem}`")
        if not SNAKE_CASE.fullmatch(str(flow_id)):
            self.error(where, f"flow id `{flow_id}` is not snake_case")
        if flow.get("namespace") != NAMESPACE:
            self.error(where, f"namespace must be `{NAMESPACE}`")
        if not str(flow.get("description", "")).strip():
            self.error(where, "the flow has no description")
        self.check_key_order(list(flow), where)

        for key, value in (flow.get("labels") or {}).items():
            if not _is_lower_key(str(key)) or not isinstance(value, str):
                self.error(f"{where} labels", f"label `{key}` needs a lower-case key, string value")
        if "concurrency" in flow:
            sub = _by_name(self.ref["flowSubObjects"]["concurrency"])
            self.check_keys(flow["concurrency"], sub, f"{where} concurrency")
        for index, output in enumerate(flow.get("outputs") or []):
            sub = _by_name(self.ref["flowSubObjects"]["flowOutput"])
            self.check_keys(output, sub, f"{where} outputs[{index}]")
        if "retry" in flow:
            self.check_retry(flow["retry"], f"{where} retry")

        inputs = flow.get("inputs") or []
        for index, flow_input in enumerate(inputs):
            self.check_input(flow_input, f"{where} inputs[{index}]")

        task_ids: list[str] = []
        for list_name in ("tasks", "errors", "finally", "afterExecution"):
            for task in flow.get(list_name) or []:
                self.check_task(task, f"{where} {list_name}", task_ids)
        for duplicate in {t for t in task_ids if task_ids.count(t) > 1}:
            self.error(where, f"task id `{duplicate}` is used twice")
        if not flow.get("errors"):
            self.error(where, "no `errors:` branch to raise an alert")
        elif not any(t.get("type") == SLACK for t in flow["errors"]):
            self.error(where, "the `errors:` branch sends no alert")

        for trigger in flow.get("triggers") or []:
            self.check_trigger(trigger, inputs, f"{where} triggers")
        self.check_shared_duckdb(flow, where)
        return self.findings

    def check_shared_duckdb(self, flow: Mapping[str, Any], where: str) -> None:
        """A flow offering `warehouse: duckdb` keeps the tasks that share it in one directory.

        Every Commands task runs in a fresh working directory (its own container), so the DuckDB
        file one task writes is gone for the next, unless both sit in one WorkingDirectory.
        """
        offers_duckdb = any(
            i.get("id") == "warehouse" and "duckdb" in (i.get("values") or [])
            for i in flow.get("inputs") or []
        )
        if not offers_duckdb:
            return
        groups = []
        for task in flow.get("tasks") or []:
            members = walk_tasks([task])
            if not any(
                t.get("type") in SCRIPT_TASKS and "inputs.warehouse" in json.dumps(t.get("env", {}))
                for t in members
            ):
                continue
            groups.append(task.get("id"))
            if task.get("type") in SCRIPT_TASKS:
                continue
            if task.get("type") != WORKING_DIRECTORY:
                self.error(
                    where, f"`{task.get('id')}` runs warehouse tasks outside a WorkingDirectory"
                )
        if len(groups) > 1:
            self.error(
                where,
                f"tasks {groups} share the duckdb warehouse from separate working directories; "
                "put them in one io.kestra.plugin.core.flow.WorkingDirectory",
            )

    def check_key_order(self, keys: list[str], where: str) -> None:
        ordered = [k for k in keys if k in KEY_ORDER]
        expected = sorted(ordered, key=KEY_ORDER.index)
        if ordered != expected:
            self.error(where, f"top-level keys in order {ordered}; expected {expected}")

    def check_input(self, flow_input: Mapping[str, Any], where: str) -> None:
        spec = self.ref["inputs"]
        input_type = str(flow_input.get("type", ""))
        if input_type in spec["renamedTypes"]:
            self.error(where, f"input type `{input_type}` → `{spec['renamedTypes'][input_type]}`")
            return
        allowed = _by_name(spec["commonProperties"])
        allowed.update(_by_name(spec["typeSpecificProperties"].get(input_type, [])))
        removed = {k.split(" ")[0]: v for k, v in spec["removedProperties"].items()}
        self.check_keys(flow_input, allowed, where, removed)
        if "defaults" in flow_input and flow_input.get("required") is False:
            self.error(where, "an input with `defaults` must not set `required: false` in 2.0")
        if input_type in ("SELECT", "MULTISELECT") and not (
            flow_input.get("values") or flow_input.get("expression")
        ):
            self.error(where, f"a {input_type} input needs `values` or `expression`")

    def check_retry(self, retry: Mapping[str, Any], where: str) -> None:
        spec = self.ref["retry"]
        allowed = _by_name(spec["common"])
        allowed.update(_by_name(spec["types"].get(str(retry.get("type")), [])))
        self.check_keys(retry, allowed, where, {"maxAttempt": "renamed to maxAttempts"})

    def check_task(self, task: Mapping[str, Any], where: str, task_ids: list[str]) -> None:
        task_id = str(task.get("id", "?"))
        here = f"{where} `{task_id}`"
        task_ids.append(task_id)
        if not SNAKE_CASE.fullmatch(task_id):
            self.error(here, "task id is not snake_case")
        if not str(task.get("description", "")).strip():
            self.error(here, "every task needs a description")
        type_name = str(task.get("type", ""))
        if not self.check_type_name(type_name, here):
            return
        spec = self.ref["types"].get(type_name)
        if spec is None:
            self.warn(here, f"type `{type_name}` is not in the reference; only common keys checked")
            return
        if spec["kind"] != "task":
            self.error(here, f"`{type_name}` is a {spec['kind']}, not a task")
        allowed, removed = self.allowed_for(type_name, "taskCommon")
        self.check_keys(task, allowed, here, removed)
        if "retry" in task:
            self.check_retry(task["retry"], f"{here} retry")
        if "taskRunner" in task:
            self.check_task_runner(task["taskRunner"], f"{here} taskRunner")
        for key in self.nested & set(task):
            for child in task[key] or []:
                self.check_task(child, f"{here} {key}", task_ids)
        if type_name == SLACK and not ONLY_SECRET.fullmatch(str(task.get("url", ""))):
            self.error(here, "the Slack webhook `url` must be {{ secret('NAME') }}")
        if type_name == COMMANDS:
            self.check_commands_task(task, here)
        elif type_name == SCRIPT:
            self.check_script_task(task, here)
        elif "retry" not in task and not spec.get("flowable") and type_name != FAIL:
            self.error(here, "a task that talks to a service over the network needs a `retry`")

    def check_task_runner(self, runner: Mapping[str, Any], where: str) -> None:
        type_name = str(runner.get("type", ""))
        if not self.check_type_name(type_name, where):
            return
        spec = self.ref["types"].get(type_name)
        if spec is None or spec["kind"] != "taskRunner":
            self.error(where, f"`{type_name}` is not a task runner of the reference")
            return
        self.check_keys(runner, _by_name(spec["properties"]), where)

    def check_commands_task(self, task: Mapping[str, Any], where: str) -> None:
        """Project rules: install the package, call only `adventure-elt`, publish to Kestra,
        retry all but checks."""
        self.check_install(task, where)
        verbs = set()
        for line in task.get("commands", []):
            words = shlex.split(line)
            options = list(itertools.takewhile(lambda w: w.startswith("-"), words[1:]))
            if words[:1] != ["adventure-elt"] or len(words) < 2 + len(options):
                self.error(where, f"`{line}` does not call adventure-elt (no logic in YAML)")
                continue
            verb = words[1 + len(options)]
            verbs.add(verb)
            if verb in PUBLISHING_COMMANDS and "--kestra" not in options:
                self.error(where, f"`adventure-elt {verb}` publishes to Kestra only with --kestra")
        self.check_retry_rule(task, where, bool(verbs & CHECK_COMMANDS), " / ".join(sorted(verbs)))

    def check_script_task(self, task: Mapping[str, Any], where: str) -> None:
        """Project rules: install the package; the script only imports and calls the library
        (no branch, loop, function or other import) and publishes through `adventure_elt.kestra`;
        retry all but checks."""
        self.check_install(task, where)
        try:
            tree = ast.parse(str(task.get("script", "")))
        except SyntaxError as exc:
            self.error(where, f"the script is not Python: {exc.msg} (line {exc.lineno})")
            return
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                for module in modules:
                    if module.split(".")[0] not in SCRIPT_IMPORTS:
                        self.error(where, f"the script imports `{module}` (only the library)")
            elif not isinstance(node, ast.Expr | ast.Assign):
                self.error(
                    where, f"line {node.lineno}: logic in the script; move it to the library"
                )
        calls = {
            n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", "")
            for n in ast.walk(tree)
            if isinstance(n, ast.Call)
        }
        if not any(name.startswith("publish_") for name in calls):
            self.error(where, "the script publishes nothing through adventure_elt.kestra")
        self.check_retry_rule(task, where, bool(calls & CHECK_CALLS), "the script")

    def check_install(self, task: Mapping[str, Any], where: str) -> None:
        installs = [c for c in task.get("beforeCommands", []) if "{{ vars.package }}" in c]
        if len(installs) != 1 or not installs[0].startswith("pip install"):
            self.error(where, 'beforeCommands must `pip install "{{ vars.package }}"` once')

    def check_retry_rule(
        self, task: Mapping[str, Any], where: str, checks: bool, what: str
    ) -> None:
        if checks and "retry" in task:
            self.error(where, "a data check is not retried: its failure is an answer")
        if not checks and "retry" not in task:
            self.error(where, f"`{what}` needs a `retry`")

    def check_trigger(
        self, trigger: Mapping[str, Any], inputs: list[Mapping[str, Any]], where: str
    ) -> None:
        trigger_id = str(trigger.get("id", "?"))
        here = f"{where} `{trigger_id}`"
        if not SNAKE_CASE.fullmatch(trigger_id):
            self.error(here, "trigger id is not snake_case")
        type_name = str(trigger.get("type", ""))
        if not self.check_type_name(type_name, here):
            return
        spec = self.ref["types"].get(type_name)
        if spec is None or spec["kind"] != "trigger":
            self.error(here, f"`{type_name}` is not a trigger of the reference")
            return
        allowed, removed = self.allowed_for(type_name, "triggerCommon")
        self.check_keys(trigger, allowed, here, removed)
        if type_name == SCHEDULE:
            if trigger.get("disabled") is not True:
                self.error(here, "schedules ship `disabled: true` until configured")
            given = trigger.get("inputs") or {}
            for flow_input in inputs:
                if "defaults" not in flow_input and flow_input.get("id") not in given:
                    self.error(here, f"input `{flow_input.get('id')}` has no value for schedules")


def check_secrets(node: Any, where: str, key: str = "") -> Iterator[Finding]:
    """Credentials only through `{{ secret('NAME') }}`; nothing that looks like a real one."""
    if isinstance(node, Mapping):
        for child_key, child in node.items():
            path = f"{where}.{child_key}"
            if child_key == "inputFiles" and isinstance(child, Mapping):
                for name, content in child.items():
                    if SENSITIVE_FILE.search(str(name)) and not ONLY_SECRET.fullmatch(content):
                        yield Finding(f"{path}.{name}", "credential file not from a secret")
            yield from check_secrets(child, path, str(child_key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from check_secrets(child, f"{where}[{index}]", key)
    elif isinstance(node, str):
        if LITERAL_SECRET.search(node):
            yield Finding(where, "looks like a literal credential; use {{ secret('NAME') }}")
        is_secret_ref = bool(ONLY_SECRET.fullmatch(node))
        if SENSITIVE_KEY.search(key) and not is_secret_ref:
            yield Finding(where, f"`{key}` must be {{{{ secret('NAME') }}}}, not a literal")
        for name in SECRET_CALL.findall(node):
            if not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
                yield Finding(where, f"secret name `{name}` is not UPPER_SNAKE_CASE")


def check_pebble(node: Any, where: str) -> Iterator[Finding]:
    """Expressions that Kestra 2.0 removed (`| json`, `json()`, `{{ schedule }}`, outputDir)."""
    removed = {
        r"\|\s*json\b": "the `json` filter is now `toJson`",
        r"(?<![A-Za-z])json\(": "`json()` is now `fromJson()`",
        r"\{\{\s*schedule\b": "`{{ schedule }}` is gone; use `{{ trigger }}`",
        r"outputDir": "`{{ outputDir }}` is gone; use outputFiles",
    }
    if isinstance(node, Mapping):
        for key, child in node.items():
            yield from check_pebble(child, f"{where}.{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from check_pebble(child, f"{where}[{index}]")
    elif isinstance(node, str) and "{{" in node:
        for pattern, message in removed.items():
            if re.search(pattern, node):
                yield Finding(where, message)


def findings_for(
    flow: Mapping[str, Any], file_stem: str, reference: Mapping[str, Any]
) -> list[Finding]:
    found = FlowChecker(reference).check_flow(flow, file_stem)
    found += check_secrets(flow, file_stem)
    found += check_pebble(flow, file_stem)
    return found


def errors_of(found: list[Finding]) -> list[str]:
    for finding in found:
        if finding.warning:
            warnings.warn(str(finding), stacklevel=2)
    return [str(f) for f in found if not f.warning]


# ---------------------------------------------------------------------------------------------
# The flows


def flow_files() -> list[Path]:
    return sorted(FLOWS_DIR.glob("*.yml"))


def load_flow(path: Path) -> dict[str, Any]:
    flow: dict[str, Any] = yaml.safe_load(path.read_text())
    return flow


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    return load_reference()


def test_the_five_flows_exist_and_nothing_else() -> None:
    assert {p.stem for p in flow_files()} == EXPECTED_FLOWS
    assert not list(FLOWS_DIR.glob("*.yaml")), "flow files end in .yml"


@pytest.mark.parametrize("path", flow_files(), ids=lambda p: p.stem)
def test_flow_matches_kestra_2_and_the_project_rules(path: Path, reference: dict[str, Any]) -> None:
    assert errors_of(findings_for(load_flow(path), path.stem, reference)) == []


def flow_command_lines() -> list[Any]:
    """Every `adventure-elt …` line of every Commands task, inputs/vars at their defaults."""
    cases = []
    for path in flow_files():
        flow = load_flow(path)
        values = {
            i["id"]: i["defaults"] if "defaults" in i else _example_value(i)
            for i in flow.get("inputs", [])
        }
        for task in walk_tasks(flow.get("tasks")):
            if task.get("type") != COMMANDS:
                continue
            for line in task["commands"]:
                rendered = _render_defaults(line, values, flow.get("variables", {}))
                words = shlex.split(rendered.split(">")[0])
                cases.append(pytest.param(words[1:], id=f"{path.stem}:{task['id']}"))
    return cases


def _example_value(flow_input: Mapping[str, Any]) -> Any:
    """A value for an input without defaults, as a person starting the flow would pick."""
    if flow_input["type"] == "MULTISELECT":
        return flow_input["values"][:2]
    raise AssertionError(f"no example value for input {flow_input['id']}")


def _render_defaults(line: str, inputs: Mapping[str, Any], variables: Mapping[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        scope, name, join = match.groups()
        found = (inputs if scope == "inputs" else variables)[name]
        return join.join(found) if join is not None else str(found)

    pattern = r"\{\{\s*(inputs|vars)\.(\w+)\s*(?:\|\s*join\('([^']*)'\)\s*)?\}\}"
    return re.sub(pattern, value, line)


@pytest.mark.parametrize("args", flow_command_lines())
def test_flow_commands_parse_with_the_real_cli(args: list[str]) -> None:
    assert parse_cli(args) is not None


def test_backfill_offers_exactly_the_catalog_tables() -> None:
    flow = load_flow(FLOWS_DIR / "adventure_elt_backfill.yml")
    tables = next(i for i in flow["inputs"] if i["id"] == "tables")
    assert tables["values"] == [t.qualified_name for t in TABLES]


def test_daily_flow_publishes_the_report_as_a_flow_output() -> None:
    flow = load_flow(FLOWS_DIR / "adventure_elt_daily.yml")
    report = next(t for t in walk_tasks(flow["tasks"]) if t["id"] == "report")
    assert report["type"] == SCRIPT
    assert 'Path("report.json").write_text(' in report["script"]
    assert report["outputFiles"] == ["report.json"]
    assert flow["outputs"] == [
        {
            "id": "report",
            "type": "FILE",
            "description": flow["outputs"][0]["description"],
            "value": "{{ outputs.report.outputFiles['report.json'] }}",
        }
    ]
    pipeline, notify, fail = flow["tasks"]
    assert pipeline["type"] == WORKING_DIRECTORY
    assert [t["id"] for t in pipeline["tasks"]] == ["sync", "transform", "test", "report"]
    assert all(t["type"] == SCRIPT for t in pipeline["tasks"])
    # the README shows the test task's script as the example of a Script task
    assert f"```python\n{pipeline['tasks'][2]['script']}```" in (REPO / "README.md").read_text()
    # the day's figures go to Slack only when every check passed; a failed check fails the run
    assert (notify["type"], notify["runIf"]) == (
        SLACK,
        "{{ outputs.test.vars.checks_failed == 0 }}",
    )
    assert (fail["type"], fail["condition"]) == (FAIL, "{{ outputs.test.vars.checks_failed > 0 }}")


@pytest.mark.parametrize("path", flow_files(), ids=lambda p: p.stem)
def test_flows_install_the_released_version_of_the_package(path: Path) -> None:
    assert load_flow(path)["variables"]["package"] == PINNED_PACKAGE


@pytest.mark.parametrize("path", flow_files(), ids=lambda p: p.stem)
def test_every_output_a_task_reads_was_published_by_an_earlier_task(path: Path) -> None:
    flow = load_flow(path)
    earlier: set[str] = set()
    for task in walk_tasks([*flow["tasks"], *flow.get("errors", [])]):
        for task_id, _ in OUTPUT_VAR.findall(json.dumps(task)):
            assert task_id in earlier, f"{task['id']} reads outputs of {task_id}, not run before"
        if task["type"] in SCRIPT_TASKS:
            earlier.add(task["id"])


def test_airbyte_flow_applies_the_views_between_the_sync_and_the_transform() -> None:
    flow = load_flow(FLOWS_DIR / "adventure_elt_airbyte.yml")
    ids = [t["id"] for t in flow["tasks"]]
    assert ids == ["airbyte_sync", "airbyte_views", "transform", "test", "report"]
    views = flow["tasks"][1]
    dataset = json.loads((REPO / "airbyte" / "destination-bigquery.json").read_text())["dataset_id"]
    assert flow["variables"]["airbyte_dataset"] == dataset
    assert views["commands"] == [
        "adventure-elt airbyte-views --dataset {{ vars.airbyte_dataset }} --json"
    ]
    assert all(t["env"]["ADVENTURE_ELT_WAREHOUSE"] == "bigquery" for t in flow["tasks"][1:])
    assert "inputs" not in flow


def test_checker_rejects_duckdb_tasks_in_separate_working_directories(
    reference: dict[str, Any],
) -> None:
    flow = load_flow(FLOWS_DIR / "adventure_elt_daily.yml")
    flow["tasks"] = flow["tasks"][0]["tasks"]  # the four tasks without their WorkingDirectory
    found = "\n".join(errors_of(findings_for(flow, "adventure_elt_daily", reference)))
    assert "share the duckdb warehouse from separate working directories" in found


def test_stream_duration_default_passes_its_own_validator() -> None:
    flow = load_flow(FLOWS_DIR / "web_events_stream.yml")
    duration = next(i for i in flow["inputs"] if i["id"] == "duration")
    assert re.fullmatch(duration["validator"], duration["defaults"])


# ---------------------------------------------------------------------------------------------
# The checker catches what Kestra 2.0 would reject

OLD_STYLE_FLOW = """
id: Old-Flow
namespace: company.data.adventure_elt
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    description: loop
    values: [a, b]
  - id: run
    type: io.kestra.plugin.scripts.python.Commands
    description: run
    runner: PROCESS
    workerGroup: {key: gpu}
    containerImag: python:3.12
    beforeCommands: ['pip install "{{ vars.package }}"']
    commands: ['adventure-elt sync']
    retry: {type: constant, interval: PT1M, maxAttempt: 3}
  - id: copy
    type: io.kestra.plugin.scripts.python.Commands
    description: run
  - id: undocumented
    type: io.kestra.plugin.core.log.Log
    message: hi
inputs:
  - name: full
    type: BOOLEAN
pluginDefaults:
  - type: io.kestra.plugin.scripts.python.Commands
    values: {containerImage: python:3.12}
errors:
  - id: alert
    type: io.kestra.plugin.notifications.slack.SlackIncomingWebhook
    description: alert
    url: https://hooks.slack.com/services/T000/B000/XXXX
triggers:
  - id: daily
    type: io.kestra.core.models.triggers.types.Schedule
    cron: "0 5 * * *"
  - id: weekday
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 5 * * *"
    conditions:
      - type: io.kestra.plugin.core.condition.Weekend
"""


@pytest.fixture(scope="module")
def old_style_errors(reference: dict[str, Any]) -> str:
    flow = yaml.safe_load(OLD_STYLE_FLOW)
    return "\n".join(errors_of(findings_for(flow, "old_flow", reference)))


@pytest.mark.parametrize(
    "expected",
    [
        "flow id `Old-Flow` differs from the file name",
        "`pluginDefaults` was removed",
        "type `io.kestra.plugin.core.flow.ForEach` was removed",
        "`runner` was removed",
        "`workerGroup` was removed",
        "unknown key `containerImag`",
        "`maxAttempt` was removed",
        "`copy`: required key `commands` is missing",
        "`undocumented`: every task needs a description",
        "input type `BOOLEAN` → `BOOL`",
        "io.kestra.plugin.notifications.slack.SlackIncomingWebhook` was renamed",
        "io.kestra.core.models.triggers.types.Schedule` was renamed",
        "`conditions` was removed",
        "schedules ship `disabled: true`",
        "looks like a literal credential",
        "top-level keys in order",
    ],
)
def test_checker_rejects_a_kestra_1_flow(old_style_errors: str, expected: str) -> None:
    assert expected in old_style_errors


def test_checker_rejects_an_input_name_and_a_missing_schedule_input(
    reference: dict[str, Any],
) -> None:
    flow = load_flow(FLOWS_DIR / "adventure_elt_daily.yml")
    flow["inputs"].append({"id": "day", "type": "DATE"})
    flow["inputs"].append({"name": "old", "type": "STRING"})
    found = "\n".join(errors_of(findings_for(flow, "adventure_elt_daily", reference)))
    assert "input `day` has no value for schedules" in found
    assert "`name` was removed" in found


def test_checker_rejects_a_literal_dsn_and_a_retried_check(reference: dict[str, Any]) -> None:
    flow = load_flow(FLOWS_DIR / "adventure_elt_daily.yml")
    sync, _, test, _ = flow["tasks"][0]["tasks"]
    sync["env"]["ADVENTURE_ELT_SOURCE_DSN"] = "postgresql://etl:s3cret@db:5432/aw"
    test["retry"] = {"type": "constant", "interval": "PT1M"}
    flow["errors"][0]["url"] = "{{ vars.slack_url }}"
    found = "\n".join(errors_of(findings_for(flow, "adventure_elt_daily", reference)))
    assert "ADVENTURE_ELT_SOURCE_DSN: looks like a literal credential" in found
    assert "a data check is not retried" in found
    assert "the Slack webhook `url` must be {{ secret('NAME') }}" in found


SCRIPT_WITH_LOGIC = """
import os
from adventure_elt import sync
from adventure_elt.settings import Settings

summary = sync(Settings.load())
if summary.rows_written == 0:
    os.system("curl https://example.com")
"""


def test_checker_rejects_logic_in_a_script_and_a_command_that_does_not_publish(
    reference: dict[str, Any],
) -> None:
    flow = load_flow(FLOWS_DIR / "adventure_elt_daily.yml")
    sync, transform, _, _ = flow["tasks"][0]["tasks"]
    sync["script"] = SCRIPT_WITH_LOGIC
    del transform["script"]
    transform["type"] = COMMANDS
    transform["commands"] = ["adventure-elt transform --json"]
    found = "\n".join(errors_of(findings_for(flow, "adventure_elt_daily", reference)))
    assert "`sync`: the script imports `os` (only the library)" in found
    assert "`sync`: line 7: logic in the script; move it to the library" in found
    assert "`sync`: the script publishes nothing through adventure_elt.kestra" in found
    assert "`transform`: `adventure-elt transform` publishes to Kestra only with --kestra" in found
