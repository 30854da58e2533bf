"""Property: whatever inserts, updates (key updates too) and deletes stream in, with `cdc start`
stopped and started again in between, `reconcile` is clean after every restart.

One source copy and one slot serve every example (an initial copy per example would take most
of the time); each example continues the same history, which is what a stream does anyway.
Hypothesis draws histories of changes to `sales.creditcard` and `sales.salesorderdetail` (a
composite key, whose second part is updated too), grouped into transactions, some made while the
stream runs and some while it is stopped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adventure_elt.replicate.cdc.stream import cdc_drop
from adventure_elt.settings import Settings
from cdc_helpers import execute, query
from cdc_stream_helpers import assert_reconciled, running_stream, stream_settings
from pg_databases import fresh_database

pytestmark = pytest.mark.postgres

Statement = str | tuple[str, tuple[Any, ...]]

operation = st.tuples(
    st.sampled_from(["insert card", "update card", "delete card", "move line", "delete line"]),
    st.integers(min_value=0, max_value=10_000),  # which row (modulo the rows there are)
)
# transactions, each a list of operations; True: made while the stream is stopped
history = st.lists(
    st.tuples(st.lists(operation, min_size=1, max_size=5), st.booleans()),
    min_size=1,
    max_size=6,
)


@pytest.fixture(scope="module")
def shop(
    pg_admin_dsn: str, small_shop_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    home: Path = tmp_path_factory.mktemp("cdc-properties")
    with fresh_database(pg_admin_dsn, small_shop_template, prefix="cdc_prop") as db:
        shop = stream_settings(db.dsn, home)
        try:
            yield shop
        finally:
            cdc_drop(shop)


def statements(dsn: str, operations: list[tuple[str, int]], serial: list[int]) -> list[Statement]:
    """The SQL of one transaction's operations (rows picked among those there now)."""
    cards = [r[0] for r in query(dsn, "select creditcardid from sales.creditcard order by 1")]
    lines = query(
        dsn,
        "select salesorderid, salesorderdetailid from sales.salesorderdetail order by 1, 2",
    )
    found: list[Statement] = []
    for kind, pick in operations:
        serial[0] += 1
        if kind == "insert card":
            found.append(
                (
                    "insert into sales.creditcard values"
                    " (%s, 'Vista', %s, 5, 2030, '2024-01-01 10:00')",
                    (50_000 + serial[0], f"{serial[0]}-p"),
                )
            )
        elif kind == "update card" and cards:
            card = cards[pick % len(cards)]
            found.append(
                (
                    "update sales.creditcard set expmonth = %s, modifieddate = now()"
                    " where creditcardid = %s",
                    (pick % 12 + 1, card),
                )
            )
        elif kind == "delete card" and cards:
            # cards an order refers to stay: the orders would need deleting first
            found.append(
                (
                    "delete from sales.creditcard where creditcardid = %s and not exists"
                    " (select 1 from sales.salesorderheader h where h.creditcardid = %s)",
                    (cards[pick % len(cards)],) * 2,
                )
            )
        elif kind == "move line" and lines:
            order, line = lines[pick % len(lines)]
            found.append(
                (
                    "update sales.salesorderdetail set salesorderdetailid = %s"
                    " where salesorderid = %s and salesorderdetailid = %s",
                    (900_000 + serial[0], order, line),
                )
            )
        elif kind == "delete line" and lines:
            found.append(
                (
                    "delete from sales.salesorderdetail"
                    " where salesorderid = %s and salesorderdetailid = %s",
                    lines[pick % len(lines)],
                )
            )
    return found


SERIAL = [0]


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=history)
def test_any_history_with_restarts_reconciles(
    shop: Settings, steps: list[tuple[list[tuple[str, int]], bool]]
) -> None:
    dsn = shop.source_dsn
    assert dsn is not None
    while_stopped = [ops for ops, stopped in steps if stopped]
    while_running = [ops for ops, stopped in steps if not stopped]
    for operations in while_stopped:
        execute(dsn, *statements(dsn, operations, SERIAL))
    with running_stream(shop) as running:
        last = 0
        for operations in while_running:
            last = execute(dsn, *statements(dsn, operations, SERIAL))
        # one change more, so there is always something to wait for
        running.wait_for(
            max(
                last,
                execute(
                    dsn,
                    "update sales.creditcard set modifieddate = now()"
                    " where creditcardid = (select min(creditcardid) from sales.creditcard)",
                ),
            )
        )
    assert_reconciled(shop)
