"""`cdc start` applied to the raw layer: the initial copy, then inserts, updates, deletes (hard
and soft), key updates, order within and across transactions, a new column, a changed type and
a TRUNCATE — with `reconcile` clean after each, and `sync` refused while the stream runs. A
changed type stops that table only, across restarts, until `sync --full-refresh` reloads it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import pytest

from adventure_elt.errors import ReplicationSetupError
from adventure_elt.oltp import server
from adventure_elt.replicate.cdc import slot_status, stream
from adventure_elt.replicate.cdc.apply import StreamStoppedError
from adventure_elt.replicate.cdc.stream import cdc_status
from adventure_elt.replicate.sync import sync
from adventure_elt.settings import Settings
from cdc_helpers import execute, slot_in_use
from cdc_stream_helpers import assert_reconciled, running_stream
from cli_parse import run_cli

pytestmark = pytest.mark.postgres

CARD_SQL = "insert into sales.creditcard values (%s, 'Vista', %s, 5, 2030, '2024-01-01 10:00')"


def raw(cdc_settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(cdc_settings.duckdb_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_changes_follow_the_source_and_reconcile_clean(cdc_settings: Settings) -> None:
    dsn = cdc_settings.source_dsn
    assert dsn is not None
    order, line = raw_first_line(dsn)
    with running_stream(cdc_settings) as running:
        # inserted, updated twice and deleted within one transaction: nothing lands
        execute(
            dsn,
            (CARD_SQL, (9001, "9001-1")),
            "update sales.creditcard set expmonth = 6 where creditcardid = 9001",
            "update sales.creditcard set expmonth = 7 where creditcardid = 9001",
            (CARD_SQL, (9002, "9002-1")),
            "delete from sales.creditcard where creditcardid = 9001",
        )
        # across transactions: the later one wins
        execute(dsn, "update sales.creditcard set expmonth = 8 where creditcardid = 9002")
        execute(dsn, "update sales.creditcard set expmonth = 9 where creditcardid = 9002")
        # a key update: the old key goes, the new one comes
        last = execute(
            dsn,
            (
                "update sales.salesorderdetail set salesorderdetailid = 999999"
                " where salesorderid = %s and salesorderdetailid = %s",
                (order, line),
            ),
        )
        running.wait_for(last)
    summary = running.result
    assert summary is not None and summary.initial_copy
    assert summary.tables["sales.creditcard"].inserted == 2
    assert summary.tables["sales.creditcard"].deleted == 1
    assert summary.tables["sales.salesorderdetail"].deleted == 1
    assert summary.tables["sales.salesorderdetail"].inserted == 1
    assert raw(
        cdc_settings, "select expmonth from raw.sales_creditcard where creditcardid = 9002"
    ) == [(9,)]
    assert raw(
        cdc_settings, "select count(*) from raw.sales_creditcard where creditcardid = 9001"
    ) == [(0,)]
    moved = raw(
        cdc_settings,
        "select salesorderdetailid from raw.sales_salesorderdetail"
        f" where salesorderid = {order} and salesorderdetailid in ({line}, 999999)",
    )
    assert moved == [(999999,)]
    stamped = raw(
        cdc_settings,
        "select _extracted_at is not null, _dlt_load_id is not null, _dlt_id is not null"
        " from raw.sales_creditcard where creditcardid = 9002",
    )
    assert stamped == [(True, True, True)]
    assert_reconciled(cdc_settings)
    status = cdc_status(cdc_settings)
    assert status.applied is not None and status.applied.changes >= 1
    assert status.as_dict()["slot_exists"] and status.as_dict()["active_pid"] is None


def raw_first_line(dsn: str) -> tuple[int, int]:
    with server.connect_to(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "select salesorderid, salesorderdetailid from sales.salesorderdetail"
            " order by 1, 2 limit 1"
        )
        row = cur.fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_soft_deletes_flag_the_row_and_a_restart_resumes(cdc_settings: Settings) -> None:
    soft = Settings(**{**vars(cdc_settings), "delete_mode": "soft"})
    dsn = cdc_settings.source_dsn
    assert dsn is not None
    with running_stream(soft) as running:
        running.wait_for(execute(dsn, (CARD_SQL, (9101, "9101-1"))))
    # changed while the stream was stopped: the next start picks it up from the slot
    execute(dsn, "delete from sales.creditcard where creditcardid = 9101")
    with running_stream(soft) as running:
        running.wait_for(execute(dsn, (CARD_SQL, (9102, "9102-1"))))
    assert running.result is not None and not running.result.initial_copy
    flags = raw(
        cdc_settings,
        "select creditcardid, _is_deleted from raw.sales_creditcard"
        " where creditcardid in (9101, 9102) order by 1",
    )
    assert flags == [(9101, True), (9102, False)]
    assert_reconciled(cdc_settings)


def test_sync_is_refused_while_the_stream_runs(cdc_settings: Settings) -> None:
    dsn = cdc_settings.source_dsn
    assert dsn is not None
    with running_stream(cdc_settings) as running:
        running.wait_for(execute(dsn, (CARD_SQL, (9201, "9201-1"))))
        with pytest.raises(ReplicationSetupError, match="cdc start` is streaming"):
            sync(cdc_settings)
    sync(cdc_settings)  # stopped: sync may run again
    assert_reconciled(cdc_settings)


@contextmanager
def slot_held(settings: Settings, seconds: float | None = None) -> Iterator[None]:
    """The slot in use, as a run SIGKILLed a moment ago (restarted by its orchestrator) holds
    it until the server notices: for `seconds`, or until the block ends. The stream has run
    once before."""
    dsn = settings.source_dsn
    assert dsn is not None
    with running_stream(settings) as running:
        running.wait_for(execute(dsn, (CARD_SQL, (9251, "9251-1"))))
    with slot_in_use(dsn, settings.cdc_slot, settings.cdc_publication, seconds):
        with server.connect_to(dsn) as conn:
            held = slot_status(conn, settings.cdc_slot)
        assert held is not None and held.active_pid is not None
        yield


def test_a_restart_waits_for_the_slot_a_killed_run_still_holds(cdc_settings: Settings) -> None:
    dsn = cdc_settings.source_dsn
    assert dsn is not None
    held_by: list[int] = []
    # (2 s: the restart must reach its check before the slot is let go, even on a busy machine)
    with (
        slot_held(cdc_settings, 2.0),
        running_stream(cdc_settings, on_slot_held=held_by.append) as running,
    ):
        running.wait_for(execute(dsn, (CARD_SQL, (9252, "9252-1"))))
    assert running.result is not None and not running.result.initial_copy
    assert len(held_by) == 1 and held_by[0] > 0  # it said so, once, and waited
    assert_reconciled(cdc_settings)


def test_a_slot_held_longer_is_refused(
    cdc_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "RELEASE_WAIT_SECONDS", 0.3)
    with (
        slot_held(cdc_settings),
        pytest.raises(ReplicationSetupError, match="is in use by process"),
        running_stream(cdc_settings),
    ):
        pass


def test_a_new_column_flows_through_and_a_type_change_stops(cdc_settings: Settings) -> None:
    dsn = cdc_settings.source_dsn
    assert dsn is not None
    with running_stream(cdc_settings) as running:
        running.wait_for(
            execute(
                dsn,
                "alter table sales.creditcard add column nickname text",
                (
                    CARD_SQL.replace(")", ", 'mine')", 1).replace("values (", "values (", 1),
                    (9301, "9301-1"),
                ),
            )
        )
    assert raw(
        cdc_settings, "select nickname from raw.sales_creditcard where creditcardid = 9301"
    ) == [("mine",)]
    assert_reconciled(cdc_settings)


def test_a_type_change_stops_that_table_until_a_full_refresh(
    cdc_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    cdc_settings = cdc_env
    dsn = cdc_settings.source_dsn
    assert dsn is not None
    order, line = raw_first_line(dsn)
    qty = (
        "update sales.salesorderdetail set orderqty = %s"
        f" where salesorderid = {order} and salesorderdetailid = {line}"
    )
    with running_stream(cdc_settings) as running:
        running.wait_for(execute(dsn, (CARD_SQL, (9311, "9311-1"))))
        execute(
            dsn,
            "alter table sales.creditcard alter column expmonth type text",
            "update sales.creditcard set expmonth = 'May' where creditcardid = 9311",
        )
        running.wait_for(execute(dsn, (qty, (41,))))  # another table, after the change
    summary = running.result
    assert summary is not None
    stopped = summary.stopped["sales.creditcard"]
    assert "'expmonth' is text in the source" in stopped
    assert "sync --full-refresh --tables sales.creditcard" in stopped
    assert list(summary.stopped) == ["sales.creditcard"]
    assert raw(cdc_settings, line_qty(order, line)) == [(41,)]
    assert raw(cdc_settings, CARD_MONTH) == [(9311, 5)]  # not applied

    # changed while stopped, and across a restart: still stopped, the others still flow
    execute(dsn, (CARD_SQL.replace("5, 2030", "'June', 2030"), (9312, "9312-1")))
    with running_stream(cdc_settings) as running:
        running.wait_for(execute(dsn, (qty, (42,))))
    assert running.result is not None and list(running.result.stopped) == ["sales.creditcard"]
    assert raw(cdc_settings, line_qty(order, line)) == [(42,)]
    assert raw(cdc_settings, CARD_MONTH) == [(9311, 5)]
    code, out, err_text = run_cli(["cdc", "status", "--json"], capsys)
    assert code == 1 and "sync --full-refresh --tables sales.creditcard" in err_text
    listed = json.loads(out)["stopped_tables"]
    assert [(s["table"], s["message"]) for s in listed] == [("sales.creditcard", stopped)]
    code, out, err_text = run_cli(["cdc", "start", "--duration", "1s", "--json"], capsys)
    assert code == 1 and "sync --full-refresh --tables sales.creditcard" in err_text
    assert json.loads(out)["stopped"] == {"sales.creditcard": stopped}

    # the recovery the message names: the table comes back whole and the stream applies it again
    sync(cdc_settings, tables="sales.creditcard", full_refresh=True)
    with running_stream(cdc_settings) as running:
        running.wait_for(
            execute(dsn, "update sales.creditcard set expmonth = 'July' where creditcardid = 9312")
        )
    assert running.result is not None and running.result.stopped == {}
    assert raw(cdc_settings, CARD_MONTH) == [(9311, "May"), (9312, "July")]
    assert cdc_status(cdc_settings).stopped == ()
    assert_reconciled(cdc_settings)


CARD_MONTH = (
    "select creditcardid, expmonth from raw.sales_creditcard where creditcardid > 9310 order by 1"
)


def line_qty(order: int, line: int) -> str:
    return (
        "select orderqty from raw.sales_salesorderdetail"
        f" where salesorderid = {order} and salesorderdetailid = {line}"
    )


def test_truncate_is_refused_and_nothing_is_acknowledged(cdc_settings: Settings) -> None:
    dsn = cdc_settings.source_dsn
    assert dsn is not None
    with running_stream(cdc_settings) as running:
        running.wait_for(execute(dsn, (CARD_SQL, (9401, "9401-1"))))
    execute(dsn, "truncate sales.salesorderdetail")
    for _ in range(2):  # refused again: the TRUNCATE was not acknowledged
        refused = pytest.raises(StreamStoppedError, match="truncated")
        with refused, running_stream(cdc_settings) as running:
            running.done.wait(60)
