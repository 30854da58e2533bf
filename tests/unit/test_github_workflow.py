"""The GitHub Actions workflow is valid (actionlint) and does what the README promises."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"


def actionlint() -> str:
    """The actionlint binary of the dev extra (in the venv), else one on PATH."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which("actionlint", path=search)
    if found is None:
        pytest.fail("actionlint not found; install the dev extra: pip install -e '.[dev]'")
    return found


def load_workflow() -> dict[Any, Any]:
    workflow: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return workflow


def test_actionlint_finds_nothing() -> None:
    done = subprocess.run(
        [actionlint(), "-no-color", str(WORKFLOW.relative_to(REPO))],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_actionlint_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    broken = WORKFLOW.read_text().replace("needs: [lint, test]", "needs: [lint, tests]")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(broken)
    done = subprocess.run(
        [actionlint(), "-no-color", ".github/workflows/ci.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "tests" in done.stdout


def test_pull_requests_and_main_are_linted_and_tested() -> None:
    workflow = load_workflow()
    # PyYAML reads the bare key `on` as the boolean True.
    triggers = workflow[True]
    assert "pull_request" in triggers
    assert triggers["push"]["branches"] == ["main"]
    steps = {
        job: [s.get("run", "") for s in spec["steps"]] for job, spec in workflow["jobs"].items()
    }
    lint = "\n".join(steps["lint"])
    for tool in ("ruff check", "ruff format --check", "mypy", "sqlfluff lint"):
        assert tool in lint
    assert ".ci/run" in steps["test"]
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_flows_are_deployed_only_from_main_after_lint_and_tests() -> None:
    deploy = load_workflow()["jobs"]["deploy-flows"]
    assert deploy["needs"] == ["lint", "test"]
    assert deploy["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert deploy["env"]["KESTRA_URL"] == "${{ secrets.KESTRA_URL }}"
    assert deploy["env"]["KESTRA_API_TOKEN"] == "${{ secrets.KESTRA_API_TOKEN }}"
    script = "\n".join(s.get("run", "") for s in deploy["steps"])
    assert "kestra/*.yml" in script
    assert "/flows/validate" in script
    assert "/flows/${NAMESPACE}?delete=false" in script
    assert deploy["env"]["NAMESPACE"] == "company.data.adventure_elt"
