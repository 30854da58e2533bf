"""Property: whatever the shop commits, and however often the consumer dies, applying the stream
by key rebuilds the table exactly.

Hypothesis draws transactions of inserts, updates, key changes and deletes on a handful of keys
(so they collide), some rolled back, and a consumer that after each batch either applies and
acknowledges it, applies it and dies before acknowledging, or dies before applying. A dead
consumer's reader is closed and a new one opened, as a restarted `cdc start` would. At the end
the downstream copy equals the source table, row for row.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adventure_elt.catalog import get_table
from adventure_elt.oltp import server
from adventure_elt.replicate.cdc import Change
from adventure_elt.settings import Settings
from cdc_helpers import Shop, give_up_later, open_shop

pytestmark = pytest.mark.postgres

CARD = get_table("sales.creditcard")
MARKER = 1000  # a key outside the drawn ones: inserted last, it tells the stream is drained
Op = tuple[str, int, int]

operations = st.tuples(
    st.sampled_from(["insert", "update", "rekey", "delete"]),
    st.integers(min_value=1, max_value=6),
    st.integers(min_value=1, max_value=6),
)
histories = st.lists(
    st.tuples(st.lists(operations, min_size=1, max_size=4), st.booleans()),  # (ops, commit?)
    min_size=1,
    max_size=8,
)
consumers = st.lists(st.sampled_from(["ack", "die after apply", "die before apply"]), max_size=12)

STATEMENTS = {
    "insert": (
        "insert into sales.creditcard values (%(a)s, 'Vista', %(b)s::text, 1, 2030,"
        " '2024-01-01') on conflict do nothing"
    ),
    "update": "update sales.creditcard set cardnumber = %(b)s::text where creditcardid = %(a)s",
    "rekey": (
        "update sales.creditcard set creditcardid = %(b)s where creditcardid = %(a)s"
        " and not exists (select 1 from sales.creditcard where creditcardid = %(b)s)"
    ),
    "delete": "delete from sales.creditcard where creditcardid = %(a)s",
}


@pytest.fixture
def shop(source_settings: Settings) -> Iterator[Shop]:
    assert source_settings.source_dsn is not None
    with open_shop(source_settings.source_dsn) as opened:
        yield opened


def run_history(dsn: str, history: list[tuple[list[Op], bool]]) -> None:
    with server.connect_to(dsn) as conn, conn.cursor() as cur:
        cur.execute("truncate sales.creditcard cascade")
        conn.commit()
        for ops, commit in history:
            for kind, a, b in ops:
                cur.execute(STATEMENTS[kind], {"a": a, "b": b})
            if commit:
                conn.commit()
            else:
                conn.rollback()
        cur.execute(STATEMENTS["insert"], {"a": MARKER, "b": 0})


def apply(copy: dict[int, dict[str, Any]], change: Change) -> None:
    """Apply one change by key, as an idempotent merge downstream would."""
    if change.table != CARD:
        return
    if change.op == "truncate":
        copy.clear()
    elif change.op == "delete":
        assert change.key is not None
        copy.pop(change.key["creditcardid"], None)
    else:
        assert change.key is not None and change.row is not None
        copy[change.key["creditcardid"]] = change.row


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=histories, consumer=consumers, max_changes=st.integers(min_value=1, max_value=5))
def test_any_history_and_any_crashes_rebuild_the_table(
    shop: Shop, history: list[tuple[list[Op], bool]], consumer: list[str], max_changes: int
) -> None:
    run_history(shop.dsn, history)
    copy: dict[int, dict[str, Any]] = {}
    decisions = iter(consumer)
    drained = False
    restarts = 0
    while not drained:
        with (
            shop.reader(max_changes=max_changes, max_seconds=0.05) as reader,
            give_up_later(reader),
        ):
            for batch in reader.batches():
                decision = next(decisions, "ack")
                if decision == "die before apply":
                    break
                for change in batch.changes:
                    apply(copy, change)
                if decision == "die after apply":
                    break
                reader.acknowledge(batch.end_lsn)
                if any(c.key == {"creditcardid": MARKER} for c in batch.changes):
                    drained = True
                    break
            else:
                pytest.fail("the reader stopped before the marker arrived")
        restarts += 1
        assert restarts <= len(consumer) + 1

    with server.connect_to(shop.dsn) as conn, conn.cursor() as cur:
        cur.execute("select * from sales.creditcard")
        names = [d[0] for d in cur.description]
        source = {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}
    assert copy == source
