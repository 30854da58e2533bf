"""`run`'s retries: the wait between two tries of a step doubles, up to a minute."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adventure_elt.errors import SourceUnreachableError
from adventure_elt.pipeline import StepRecord, _with_retries


def test_the_wait_between_tries_doubles_up_to_a_minute() -> None:
    record = StepRecord("run", "sync", started_at=datetime.now(UTC))
    waits: list[float] = []

    def unreachable() -> int:
        raise SourceUnreachableError("the source cannot be reached")

    with pytest.raises(SourceUnreachableError):
        _with_retries(unreachable, record, max_attempts=9, backoff_seconds=2.0, sleep=waits.append)

    assert waits == [2, 4, 8, 16, 32, 60, 60, 60]
    assert record.attempts == 9
