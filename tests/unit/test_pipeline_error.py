"""`pipeline_error`: what a failure inside dlt's steps becomes (dlt wraps each in its own step
error, the original as its cause)."""

from __future__ import annotations

import pytest

from adventure_elt.errors import ConfigError, WarehouseError
from adventure_elt.replicate.recovery import pipeline_error

DSN = "postgresql://etl:s3cret-pw@db:5432/aw"


def step_failed(inner: BaseException, context: BaseException | None = None) -> Exception:
    """A step error raised from `inner`, which was raised while handling `context` (if any)."""
    try:
        try:
            if context is not None:
                raise context
        finally:
            raise inner
    except BaseException as raised:
        try:
            raise RuntimeError("Pipeline execution failed at `step=extract`") from raised
        except RuntimeError as outer:
            return outer


@pytest.mark.parametrize(
    "context", [None, StopIteration()], ids=["interrupt alone", "while ending a generator"]
)
def test_ctrl_c_inside_a_step_passes_through(context: BaseException | None) -> None:
    interrupt = KeyboardInterrupt()

    assert pipeline_error(step_failed(interrupt, context), DSN) is interrupt


def test_our_own_error_passes_through() -> None:
    ours = ConfigError("--tables names no table")

    assert pipeline_error(step_failed(ours), DSN) is ours


def test_anything_else_is_one_line_without_the_password() -> None:
    error = pipeline_error(step_failed(ValueError(f"bad row from {DSN}\nmore")), DSN)

    assert isinstance(error, WarehouseError)
    assert str(error) == "sync failed: ValueError: bad row from postgresql://etl:***@db:5432/aw"
