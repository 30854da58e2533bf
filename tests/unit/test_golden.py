"""Golden tests: every model's transpiled DuckDB SQL is pinned in tests/golden/<layer>.sql.

sqlglot can change a model's meaning silently (a new version, a dialect quirk, an edit that
transpiles differently than expected), so the DuckDB SQL the runner executes is reviewed like
code: a change to it fails here until the golden files are regenerated and the diff is read.

Regenerate after an intended change, then review `git diff tests/golden`:

    .venv/bin/pytest tests/unit/test_golden.py --update-goldens
"""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path

import pytest

from adventure_elt.transform import compile_all, load_project
from adventure_elt.transform.project import MODEL_LAYERS

REPO = Path(__file__).resolve().parents[2]
SQL = REPO / "sql"
GOLDEN = REPO / "tests" / "golden"
UPDATE = "pytest tests/unit/test_golden.py --update-goldens"
HEADER = """\
-- Golden file: the DuckDB SQL that compile_all("duckdb") produces for every model in sql/{layer}/.
-- tests/unit/test_golden.py fails when it changes. After an intended change regenerate it with
--     .venv/bin/pytest tests/unit/test_golden.py --update-goldens
-- and review the diff. Each model starts at a `-- model: <name>` line.
"""
_MODEL_LINE = re.compile(r"^-- model: (\w+)$", re.MULTILINE)


def compiled_by_layer(sql_dir: Path) -> dict[str, dict[str, str]]:
    """{layer: {model: DuckDB SQL}} for every model, in build order."""
    project = load_project(sql_dir)
    layer_of = {node.name: node.layer for node in project.models()}
    found: dict[str, dict[str, str]] = {layer: {} for layer in MODEL_LAYERS}
    for name, sql in compile_all("duckdb", sql_dir=sql_dir).items():
        found[layer_of[name]][name] = sql.strip()
    return found


def render(layer: str, models: dict[str, str]) -> str:
    """The text of one golden file."""
    body = "".join(f"\n-- model: {name}\n{sql}\n" for name, sql in models.items())
    return HEADER.format(layer=layer) + body


def parse(text: str) -> dict[str, str]:
    """{model: SQL} from a golden file's text."""
    parts = _MODEL_LINE.split(text)
    return {name: sql.strip() for name, sql in zip(parts[1::2], parts[2::2], strict=True)}


def differences(layer: str, golden: dict[str, str], current: dict[str, str]) -> list[str]:
    """One message per model whose pinned SQL differs (with a diff), is new, or is gone."""
    problems = []
    for name in sorted(set(golden) | set(current)):
        where = f"sql/{layer}/{name}.sql"
        if name not in golden:
            problems.append(f"{where}: new model without golden SQL")
        elif name not in current:
            problems.append(f"{where}: model is gone but still pinned")
        elif golden[name] != current[name]:
            diff = difflib.unified_diff(
                golden[name].splitlines(),
                current[name].splitlines(),
                "golden",
                "now",
                lineterm="",
                n=1,
            )
            problems.append(f"{where}: transpiled DuckDB SQL changed:\n" + "\n".join(diff))
    return problems


@pytest.fixture(scope="module")
def current() -> dict[str, dict[str, str]]:
    return compiled_by_layer(SQL)


@pytest.mark.parametrize("layer", MODEL_LAYERS)
def test_transpiled_sql_matches_the_golden_file(
    layer: str, current: dict[str, dict[str, str]], request: pytest.FixtureRequest
) -> None:
    path = GOLDEN / f"{layer}.sql"
    if request.config.getoption("--update-goldens"):
        text = render(layer, current[layer])
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} is missing; create it with {UPDATE}"
    golden = parse(path.read_text(encoding="utf-8"))
    problems = differences(layer, golden, current[layer])
    assert not problems, (
        "\n\n".join(problems) + f"\n\nIf the change is intended: {UPDATE}, then review the diff."
    )


def test_a_change_in_one_model_is_caught_and_named(
    tmp_path: Path, current: dict[str, dict[str, str]]
) -> None:
    """The comparison is sharp: an edit to one model flags that model and nothing else."""
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL, sql_dir)
    model = sql_dir / "marts" / "fct_sales.sql"
    # (1 - discount) → (1 + discount): same columns, same shape, a different number
    edited = model.read_text(encoding="utf-8").replace("(1 - ", "(1 + ", 1)
    assert edited != model.read_text(encoding="utf-8")
    model.write_text(edited, encoding="utf-8")
    # against the checkout's current SQL, so the test does not depend on the goldens being fresh
    golden = {layer: parse(render(layer, models)) for layer, models in current.items()}
    changed = compiled_by_layer(sql_dir)
    problems = [p for lay in MODEL_LAYERS for p in differences(lay, golden[lay], changed[lay])]
    assert len(problems) == 1
    assert problems[0].startswith("sql/marts/fct_sales.sql: transpiled DuckDB SQL changed:")
    assert "+      1 + order_details.unit_price_discount" in problems[0]


def test_golden_files_round_trip() -> None:
    models = {"a": "SELECT\n  1", "b": "WITH x AS (\n  SELECT\n    2\n)\nSELECT\n  *\nFROM x"}
    assert parse(render("marts", models)) == models
