"""The engine boundary holds: only `warehouse/` tells DuckDB from BigQuery, and no import cycles.

The findings come from the syntax trees (`tests/engine_boundary.py`), so a new `isinstance` on an
adapter class, a test of the warehouse kind, a reach into `.connection`/`.client` or a cycle
(lazy imports included) fails here with its file and line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

import engine_boundary

# Modules that exist for one engine name its adapter class, and only they: the event sink of
# each engine (`stream/sinks.py` picks one from a registry by the adapter's kind) and the
# BigQuery readiness check (`adventure-elt bigquery-check`, BigQuery whatever the settings say).
# No `isinstance`, no test of the warehouse kind, no `.connection`/`.client` anywhere outside
# `warehouse/`. Before issue 13: 43 branch findings in 11 files, 4 client reaches, 4 cycles.
ALLOWED: dict[str, Counter[str]] = {
    "branches": Counter(
        {
            "adventure_elt/bigquery_check.py": 4,
            "adventure_elt/stream/bigquery_sink.py": 2,
            "adventure_elt/stream/sink.py": 3,
        }
    ),
    "clients": Counter(),
}


def _by_file(findings: list[str]) -> Counter[str]:
    return Counter(line.split(":", 1)[0] for line in findings)


@pytest.mark.parametrize(
    ("kind", "finding"),
    [("branches", engine_boundary.engine_branches), ("clients", engine_boundary.client_reaches)],
)
def test_no_engine_knowledge_outside_the_adapters(
    kind: str, finding: Callable[[], list[str]]
) -> None:
    found = finding()
    over = {f: n for f, n in _by_file(found).items() if n > ALLOWED[kind][f]}
    assert not over, "\n".join(line for line in found if line.split(":", 1)[0] in over)


def test_no_import_cycles() -> None:
    assert engine_boundary.import_cycles() == []


def test_the_scan_sees_a_branch_a_client_reach_and_a_lazy_cycle(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The lint finds what it is meant to find (so an empty result means something)."""
    root = tmp_path / "adventure_elt"
    (root / "warehouse").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "warehouse" / "__init__.py").write_text("class DuckDBWarehouse: ...\n")
    (root / "a.py").write_text(
        "from adventure_elt.warehouse import DuckDBWarehouse\n"
        "def f(settings, wh):\n"
        "    if settings.warehouse == 'bigquery':\n"
        "        return wh.connection\n"
        "    from adventure_elt import b\n"
    )
    (root / "b.py").write_text("import adventure_elt.a\n")
    monkeypatch.setattr(engine_boundary, "PACKAGE", root)
    monkeypatch.setattr(engine_boundary, "ADAPTERS", root / "warehouse")
    branches = engine_boundary.engine_branches()
    assert any("import DuckDBWarehouse" in b for b in branches)
    assert any("settings.warehouse == 'bigquery'" in b for b in branches)
    assert [c.split("  ")[1] for c in engine_boundary.client_reaches()] == ["wh.connection"]
    assert engine_boundary.import_cycles() == ["adventure_elt.a <-> adventure_elt.b"]
