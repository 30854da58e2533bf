"""The dashboard computes figures only through the semantic layer: no module under
`src/adventure_elt/dashboard/` imports the warehouse adapters or a database client itself.

Read from the source with `ast` (every `import`, at any depth, lazy ones included), so a page
added later is held to it too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DASHBOARD = Path(__file__).resolve().parents[2] / "src" / "adventure_elt" / "dashboard"
FORBIDDEN = ("adventure_elt.warehouse", "duckdb", "google.cloud")


def imported_modules(source: str, package: str) -> set[str]:
    """Every module `source` imports, relative imports resolved against `package`
    (`from adventure_elt import warehouse` counts as `adventure_elt.warehouse`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = ".".join(parts[: len(parts) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def forbidden(modules: set[str]) -> list[str]:
    return sorted(m for m in modules for f in FORBIDDEN if m == f or m.startswith(f"{f}."))


def dashboard_files() -> list[Path]:
    return sorted(DASHBOARD.rglob("*.py"))


def test_the_dashboard_has_pages_to_check() -> None:
    names = {p.relative_to(DASHBOARD).as_posix() for p in dashboard_files()}
    assert {"app.py", "data.py", "views/live.py", "views/overview.py"} <= names


@pytest.mark.parametrize(
    "path", dashboard_files(), ids=lambda p: p.relative_to(DASHBOARD).as_posix()
)
def test_a_dashboard_module_imports_no_warehouse_or_database_client(path: Path) -> None:
    package = ".".join(("adventure_elt", "dashboard", *path.relative_to(DASHBOARD).parent.parts))
    assert forbidden(imported_modules(path.read_text(), package)) == []


@pytest.mark.parametrize(
    "source",
    [
        "import duckdb",
        "from adventure_elt.warehouse import DuckDBWarehouse",
        "from adventure_elt import warehouse",
        "def f():\n    from google.cloud import bigquery",
        "from ..warehouse.duckdb import DuckDBWarehouse",
        "import google.cloud.bigquery as bq",
    ],
)
def test_the_guard_sees_every_form_of_import(source: str) -> None:
    """The detector itself is sharp (else the test above could never fail)."""
    assert forbidden(imported_modules(source, "adventure_elt.dashboard")) != []


def test_the_guard_lets_the_semantic_layer_through() -> None:
    source = "from adventure_elt.semantic import cached_model\nfrom adventure_elt import query"
    assert forbidden(imported_modules(source, "adventure_elt.dashboard")) == []
