"""The project's model unit tests (tests/models/*.yml) run on an in-memory DuckDB in `make test`."""

from __future__ import annotations

from pathlib import Path

import pytest

from adventure_elt.transform import UnitTestResult, run_model_unit_tests

MODEL_TESTS = sorted((Path(__file__).resolve().parents[1] / "models").glob("*.y*ml"))


@pytest.fixture(scope="module")
def results() -> dict[Path, UnitTestResult]:
    # one run for all files: the project is loaded and typed once
    return {r.path: r for r in run_model_unit_tests(MODEL_TESTS)}


def test_there_are_model_unit_tests() -> None:
    assert len(MODEL_TESTS) >= 4


@pytest.mark.parametrize("path", MODEL_TESTS, ids=[p.stem for p in MODEL_TESTS])
def test_model_unit_test(path: Path, results: dict[Path, UnitTestResult]) -> None:
    assert results[path].passed, str(results[path])
