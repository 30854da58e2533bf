"""The change stream against the real server: what the shop did arrives, in commit order, in
batches of whole transactions, and a position counts as done only once acknowledged."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from adventure_elt.catalog import get_table
from adventure_elt.errors import ReplicationSetupError
from adventure_elt.oltp import server
from adventure_elt.replicate.cdc import (
    ChangeReader,
    describe,
    drop_publication,
    drop_slot,
    slot_status,
)
from adventure_elt.replicate.cdc.lsn import parse_lsn
from cdc_helpers import (
    Shop,
    all_changes,
    drain,
    execute,
    give_up_later,
    open_shop,
    query,
    summary,
    unique_name,
)
from pg_databases import fresh_database

pytestmark = pytest.mark.postgres

CARD = "sales.creditcard"
CARD_SQL = "insert into sales.creditcard values (%s, %s, %s, %s, %s, %s)"


def card(number: int, kind: str = "Vista", year: int = 2030, day: int = 1) -> dict[str, Any]:
    return {
        "creditcardid": number,
        "cardtype": kind,
        "cardnumber": f"{number}-4711",
        "expmonth": 5,
        "expyear": year,
        "modifieddate": datetime(2024, 1, day, 10, 0),
    }


def insert_card(row: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    return CARD_SQL, tuple(row.values())


@pytest.fixture
def shop(pg_admin_dsn: str, small_shop_template: str) -> Iterator[Shop]:
    with (
        fresh_database(pg_admin_dsn, small_shop_template, prefix="cdc") as db,
        open_shop(db.dsn) as opened,
    ):
        yield opened


def test_dml_arrives_as_it_was_committed(shop: Shop) -> None:
    order, line = query(
        shop.dsn,
        "select salesorderid, salesorderdetailid from sales.salesorderdetail"
        " order by salesorderid, salesorderdetailid limit 1",
    )[0]
    execute(shop.dsn, insert_card(card(9001)), insert_card(card(9002)))
    execute(
        shop.dsn,
        "update sales.creditcard set cardtype = 'Distinguish', modifieddate = '2024-01-02 10:00'"
        " where creditcardid = 9001",
    )
    with server.connect_to(shop.dsn) as conn, conn.cursor() as cur:
        cur.execute(*insert_card(card(9003)))
        conn.rollback()
    # Two transactions interleaved: the one that commits first comes first.
    with server.connect_to(shop.dsn) as first, first.cursor() as cur:
        cur.execute("update sales.creditcard set expyear = 2031 where creditcardid = 9002")
        execute(shop.dsn, "delete from sales.creditcard where creditcardid = 9001")
    execute(
        shop.dsn,
        (
            "update sales.salesorderdetail set salesorderdetailid = 999999"
            " where salesorderid = %s and salesorderdetailid = %s",
            (order, line),
        ),
    )
    moved = query(
        shop.dsn,
        "select * from sales.salesorderdetail where salesorderid = %s and salesorderdetailid = %s",
        (order, 999999),
    )
    columns = [
        c[0]
        for c in query(
            shop.dsn,
            "select column_name from information_schema.columns"
            " where table_schema = 'sales' and table_name = 'salesorderdetail'"
            " order by ordinal_position",
        )
    ]
    execute(shop.dsn, "truncate sales.salesorderdetail")
    execute(shop.dsn, ("delete from sales.salesorderheader where salesorderid = %s", (order,)))

    with shop.reader(max_seconds=0.2) as reader:
        changes = all_changes(drain(reader, 9))

    detail = "sales.salesorderdetail"
    assert summary(changes) == [
        (CARD, "insert", {"creditcardid": 9001}, card(9001)),
        (CARD, "insert", {"creditcardid": 9002}, card(9002)),
        (CARD, "update", {"creditcardid": 9001}, card(9001, "Distinguish", day=2)),
        (CARD, "delete", {"creditcardid": 9001}, None),
        (CARD, "update", {"creditcardid": 9002}, card(9002, year=2031)),
        (detail, "delete", {"salesorderid": order, "salesorderdetailid": line}, None),
        (
            detail,
            "insert",
            {"salesorderid": order, "salesorderdetailid": 999999},
            dict(zip(columns, moved[0], strict=True)),
        ),
        (detail, "truncate", None, None),
        ("sales.salesorderheader", "delete", {"salesorderid": order}, None),
    ]
    lsns = [c.commit_lsn for c in changes]
    assert lsns == sorted(lsns)
    assert lsns[0] == lsns[1] and lsns[5] == lsns[6]  # one transaction each
    assert len(set(lsns)) == 7


def test_batches_hold_whole_transactions(shop: Shop) -> None:
    sizes = [2, 2, 2, 5]
    number = 9000
    for size in sizes:
        execute(shop.dsn, *(insert_card(card(number := number + 1)) for _ in range(size)))
    with shop.reader(max_changes=3, max_seconds=30) as reader:
        batches = drain(reader, sum(sizes))
    assert [len(b.changes) for b in batches] == [4, 7]
    assert [b.transactions for b in batches] == [2, 2]
    for batch in batches:
        assert batch.end_lsn > max(c.commit_lsn for c in batch.changes)


def test_a_quiet_stream_closes_a_batch_after_max_seconds(shop: Shop) -> None:
    execute(shop.dsn, insert_card(card(9001)))
    with shop.reader(max_changes=1000, max_seconds=0.2) as reader:
        batches = drain(reader, 1)
    assert [len(b.changes) for b in batches] == [1]


def test_unacknowledged_changes_come_again_acknowledged_ones_do_not(shop: Shop) -> None:
    execute(shop.dsn, insert_card(card(9001)))
    execute(shop.dsn, insert_card(card(9002)))
    with shop.reader(max_changes=1, max_seconds=30) as reader:
        (first,) = drain(reader, 1, acknowledge=False)
    with shop.reader(max_changes=1, max_seconds=30) as reader:
        (again,) = drain(reader, 1, acknowledge=False)
        reader.acknowledge(again.end_lsn)
    with shop.reader(max_changes=1, max_seconds=30) as reader:
        (after,) = drain(reader, 1)

    assert summary(list(first.changes)) == summary(list(again.changes))
    assert first.end_lsn == again.end_lsn
    assert [c.key for c in after.changes] == [{"creditcardid": 9002}]
    with server.connect_to(shop.dsn) as conn:
        status = slot_status(conn, shop.slot)
    assert status is not None and status.confirmed_flush_lsn is not None
    assert parse_lsn(status.confirmed_flush_lsn) >= after.end_lsn


def test_reading_on_without_acknowledging_is_refused(shop: Shop) -> None:
    execute(shop.dsn, insert_card(card(9001)))
    execute(shop.dsn, insert_card(card(9002)))
    with shop.reader(max_changes=1, max_seconds=30) as reader:
        batches = reader.batches()
        first = next(batches)
        with pytest.raises(ValueError, match="cannot acknowledge"):
            reader.acknowledge(first.end_lsn + 1)
        with pytest.raises(RuntimeError, match="acknowledge the batch"):
            next(batches)


def test_stop_finishes_the_transaction_in_flight(shop: Shop) -> None:
    big = [insert_card(card(n)) for n in range(10_000, 10_500)]
    execute(shop.dsn, *big)
    execute(shop.dsn, insert_card(card(9001)))
    with shop.reader(max_changes=1, max_seconds=30) as reader:
        feed = reader._assembler.feed

        def stop_midway(message: Any) -> Any:
            if reader._assembler.in_transaction:
                reader.request_stop()  # as a SIGTERM handler would, mid-transaction
            return feed(message)

        reader._assembler.feed = stop_midway  # type: ignore[method-assign]
        with give_up_later(reader):
            batches = []
            for batch in reader.batches():
                batches.append(batch)
                reader.acknowledge(batch.end_lsn)
    assert [len(b.changes) for b in batches] == [500]
    with shop.reader(max_changes=1, max_seconds=30) as reader:
        (rest,) = drain(reader, 1)
    assert [c.key for c in rest.changes] == [{"creditcardid": 9001}]


def test_a_signal_handler_stops_an_idle_reader(shop: Shop) -> None:
    with shop.reader() as reader:
        previous = signal.signal(signal.SIGUSR1, lambda *_: reader.request_stop())
        timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGUSR1))
        try:
            timer.start()
            with give_up_later(reader):
                batches = list(reader.batches())
        finally:
            timer.cancel()
            signal.signal(signal.SIGUSR1, previous)
    assert batches == []


def test_schema_changes_come_with_the_batch(shop: Shop) -> None:
    execute(shop.dsn, insert_card(card(9001)))
    execute(
        shop.dsn,
        "alter table sales.creditcard add column nickname text",
        "update sales.creditcard set nickname = 'blue' where creditcardid = 9001",
    )
    execute(
        shop.dsn,
        "alter table sales.creditcard alter column expyear type text",
        "update sales.creditcard set expyear = 'never' where creditcardid = 9001",
    )
    with shop.reader(max_changes=1, max_seconds=30) as reader:
        first, added, retyped = drain(reader, 3)
    table = get_table(CARD)
    assert first.schema_changes == ()
    assert [(s.kind, s.column, s.new_type) for s in added.schema_changes] == [
        ("added", "nickname", "text")
    ]
    assert added.changes[0].row == {**card(9001), "nickname": "blue"}
    assert [(s.kind, s.column, s.old_type, s.new_type) for s in retyped.schema_changes] == [
        ("type", "expyear", "smallint", "text")
    ]
    assert retyped.changes[0].row == {**card(9001), "expyear": "never", "nickname": "blue"}
    assert [c.name for c in retyped.columns[table]][-1] == "nickname"


def test_unchanged_toasted_value_is_listed(shop: Shop) -> None:
    long_xml = query(
        shop.dsn,
        "select '<n>' || string_agg(md5(i::text), '') || '</n>' from generate_series(1, 500) i",
    )[0][0]
    person = query(shop.dsn, "select businessentityid from person.person limit 1")[0][0]
    execute(
        shop.dsn,
        (
            "update person.person set demographics = %s where businessentityid = %s",
            (long_xml, person),
        ),
    )
    execute(
        shop.dsn, ("update person.person set title = 'Dr.' where businessentityid = %s", (person,))
    )
    with shop.reader(max_changes=1, max_seconds=30) as reader:
        changed, titled = all_changes(drain(reader, 2))
    assert changed.row is not None and changed.row["demographics"] == long_xml
    assert titled.unchanged == {"demographics"}
    assert (
        titled.row is not None and titled.row["title"] == "Dr." and "demographics" not in titled.row
    )


def test_status_lag_and_drop(shop: Shop) -> None:
    execute(shop.dsn, insert_card(card(9001)))
    with server.connect_to(shop.dsn, autocommit=True) as conn:
        waiting = describe(conn, shop.slot, shop.publication)
        assert waiting.slot is not None and waiting.slot.lag_bytes and waiting.slot.lag_bytes > 0
        assert waiting.slot.retained_bytes is not None
        assert waiting.slot.retained_bytes >= waiting.slot.lag_bytes
        assert waiting.slot.active_pid is None and waiting.slot.wal_status == "reserved"
        assert waiting.publication_exists and waiting.unpublished == ()
        with shop.reader(max_seconds=0.2) as reader:
            (batch,) = drain(reader, 1)
            streaming = slot_status(conn, shop.slot)
            assert streaming is not None and streaming.active_pid is not None
            with pytest.raises(ReplicationSetupError, match="in use by process"):
                drop_slot(conn, shop.slot)
        assert drop_slot(conn, shop.slot) and not drop_slot(conn, shop.slot)
        assert drop_publication(conn, shop.publication)
        assert not drop_publication(conn, shop.publication)
        gone = describe(conn, shop.slot, shop.publication)
        assert gone.slot is None and not gone.publication_exists and len(gone.unpublished) == 12
    assert batch.changes[0].key == {"creditcardid": 9001}


def test_missing_slot_busy_slot_and_missing_publication(shop: Shop) -> None:
    with pytest.raises(ReplicationSetupError, match="does not exist"):
        ChangeReader(shop.dsn, unique_name("nothere"), shop.publication).__enter__()
    with shop.reader(), pytest.raises(ReplicationSetupError, match="is in use"):
        shop.reader().__enter__()
    execute(shop.dsn, insert_card(card(9001)))
    with (
        ChangeReader(shop.dsn, shop.slot, unique_name("nopub")) as reader,
        pytest.raises(ReplicationSetupError, match=r"publication \S+ does not exist"),
    ):
        drain(reader, 1)


def test_decimal_and_text_values_keep_their_meaning(shop: Shop) -> None:
    execute(
        shop.dsn,
        "update sales.salesorderheader set subtotal = 1234567.123456789, comment = ''"
        " where salesorderid = (select min(salesorderid) from sales.salesorderheader)",
    )
    with shop.reader(max_seconds=0.2) as reader:
        (change,) = all_changes(drain(reader, 1))
    assert change.row is not None
    assert change.row["subtotal"] == Decimal("1234567.123456789") and change.row["comment"] == ""
