"""`oltp activity`: the simulated shop changes the source the way an application would."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from adventure_elt.catalog import TABLES
from adventure_elt.errors import ConfigError
from adventure_elt.oltp import activity, schema, server
from adventure_elt.oltp.activity import ActivityCounts, run_activity
from adventure_elt.settings import Settings
from pg_databases import fresh_database

pytestmark = pytest.mark.postgres

Snapshot = dict[str, dict[tuple[Any, ...], dict[str, Any]]]
Run = tuple[Snapshot, ActivityCounts, Snapshot]

# Every status an order can reach from another, possibly over several moves in one run.
REACHABLE = {1: {2, 3, 4, 5, 6}, 2: {3, 5, 6}, 3: {5, 6}, 4: set(), 5: set(), 6: set()}
# The column the wall clock writes: everything else, business dates included, must be the same
# on a rerun with the same seed and data.
CLOCK_COLUMNS = {"modifieddate"}


@pytest.fixture
def shop(seeded_source: Callable[[float, int], Settings]) -> Settings:
    """The source filled by the synthetic generator at scale 0.01 (315 orders, 504 products)."""
    return seeded_source(0.01, 1)


@pytest.fixture
def shop_copy(shop: Settings, pg_admin_dsn: str) -> Iterator[Settings]:
    """A second database with the same starting rows as `shop`."""
    assert shop.source_dsn is not None
    original = shop.source_dsn.split("?")[0].rsplit("/", 1)[1]
    with fresh_database(pg_admin_dsn, original) as db:
        yield Settings(source_dsn=shop.source_dsn.replace(f"/{original}?", f"/{db.name}?"))


def snapshot(settings: Settings) -> Snapshot:
    """Every row of the 12 tables: table → primary key → {column: value}."""
    rows: Snapshot = {}
    with server.connect(settings) as conn, conn.cursor() as cur:
        for table in TABLES:
            cur.execute(f"select * from {table.qualified_name}")
            names = [column.name for column in cur.description]
            rows[table.qualified_name] = {}
            for values in cur.fetchall():
                row = dict(zip(names, values, strict=True))
                key = tuple(row[column] for column in table.primary_key)
                rows[table.qualified_name][key] = row
    return rows


def last_order_id(settings: Settings) -> int:
    [(last,)] = query(settings, "select max(salesorderid) from sales.salesorderheader")
    return int(last)


def query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    with server.connect(settings) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return list(cur.fetchall())


@pytest.fixture(scope="module")
def minute_shop(
    pg_admin_dsn: str, seeded_template: Callable[[float, int], str]
) -> Iterator[Settings]:
    """The shop of `one_minute`: its own copy, shared read-only by the tests that read it."""
    with fresh_database(pg_admin_dsn, seeded_template(0.01, 1)) as db:
        yield Settings(source_dsn=db.dsn)


@pytest.fixture(scope="module")
def one_minute(minute_shop: Settings) -> Run:
    """A minute of a busy shop (600 orders a minute) run without waiting: before, counts, after.
    Run once for the module; its tests only read it and `minute_shop`."""
    before = snapshot(minute_shop)
    counts = run_activity(
        minute_shop, orders_per_minute=600, duration=timedelta(minutes=1), seed=1, wait=False
    )
    return before, counts, snapshot(minute_shop)


def test_every_kind_of_change_happens(one_minute: Run) -> None:
    _, counts, _ = one_minute
    assert counts.orders_created == 600
    assert all(value > 0 for value in counts.as_dict().values()), counts


def test_counts_match_what_changed_in_the_database(
    one_minute: Run,
) -> None:
    before, counts, after = one_minute
    orders_before = before["sales.salesorderheader"]
    orders_after = after["sales.salesorderheader"]
    lines_before, lines_after = before["sales.salesorderdetail"], after["sales.salesorderdetail"]
    first_new = max(key[0] for key in orders_before) + 1
    new_ids = {key[0] for key in orders_after.keys() - orders_before.keys()}
    # New orders are numbered max + 1, max + 2, …; the missing ones were abandoned and deleted.
    assert new_ids <= set(range(first_new, first_new + counts.orders_created))
    deleted_old = orders_before.keys() - orders_after.keys()
    deleted_new = counts.orders_created - len(new_ids)
    assert len(deleted_old) + deleted_new == counts.orders_deleted
    assert len(orders_after) - len(orders_before) == counts.orders_created - counts.orders_deleted
    assert len(lines_after) - len(lines_before) == counts.lines_created - counts.lines_deleted
    status_changes = sum(
        1
        for key, row in orders_after.items()
        if key in orders_before and row["status"] != orders_before[key]["status"]
    )
    # An order may move twice in a minute (approved, then shipped): at most one change per move.
    assert 0 < status_changes <= counts.status_changes

    def changed(table: str, columns: set[str]) -> int:
        old, new = before[table], after[table]
        return sum(
            1
            for key in old.keys() & new.keys()
            if any(old[key][column] != new[key][column] for column in columns)
        )

    assert changed("person.address", {"addressline1", "addressline2"}) <= counts.address_changes
    assert changed("person.address", {"modifieddate"}) <= counts.address_changes
    assert changed("production.product", {"listprice"}) <= counts.price_changes
    assert changed("production.product", {"modifieddate"}) > 0
    assert changed("production.product", {"modifieddate"}) <= (
        counts.price_changes + counts.product_edits
    )
    # Lines are written without a tracking number; store orders' lines get one when shipped.
    shipped_lines = sum(
        1
        for key, row in lines_after.items()
        if row["carriertrackingnumber"] is not None
        and (key not in lines_before or lines_before[key] != row)
    )
    assert 0 < shipped_lines <= counts.lines_shipped


def test_new_orders_have_lines_and_exact_totals(shop: Settings) -> None:
    last = last_order_id(shop)
    run_activity(shop, orders_per_minute=600, duration=timedelta(seconds=10), seed=3, wait=False)
    mismatches = query(
        shop,
        f"""select h.salesorderid, h.subtotal, h.taxamt, h.freight, h.totaldue, t.subtotal
        from sales.salesorderheader as h
        left join (select salesorderid,
                round(sum(orderqty * unitprice * (1 - unitpricediscount)), 4) as subtotal,
                count(*) as lines
            from sales.salesorderdetail group by salesorderid) as t using (salesorderid)
        where h.salesorderid > {last}
          and (t.lines is null or h.subtotal <> t.subtotal
               or h.totaldue <> h.subtotal + h.taxamt + h.freight
               or h.taxamt <> round(h.subtotal * 0.08, 4))""",
    )
    assert mismatches == []
    [(new_orders, priced_from_catalogue)] = query(
        shop,
        f"""select count(distinct h.salesorderid),
                bool_and(d.unitprice > 0 and p.finishedgoodsflag)
        from sales.salesorderheader as h
        join sales.salesorderdetail as d using (salesorderid)
        join production.product as p using (productid)
        where h.salesorderid > {last}""",
    )
    assert new_orders > 80 and priced_from_catalogue


def test_statuses_only_move_forward_and_shipped_orders_have_a_ship_date(
    one_minute: Run,
) -> None:
    before, _, after = one_minute
    orders_before, orders_after = before["sales.salesorderheader"], after["sales.salesorderheader"]
    for key, row in orders_after.items():
        old = orders_before.get(key)
        if old is not None and row["status"] != old["status"]:
            assert row["status"] in REACHABLE[old["status"]], (key, old["status"], row["status"])
            assert row["revisionnumber"] > old["revisionnumber"]
        if old is None or row != old:
            assert (row["shipdate"] is not None) == (row["status"] == 5), row
    statuses = {row["status"] for key, row in orders_after.items() if key not in orders_before}
    assert statuses == {1, 2, 3, 4, 5, 6}


def test_new_orders_continue_the_datas_own_timeline(one_minute: Run) -> None:
    before, _, after = one_minute
    orders_before, orders_after = before["sales.salesorderheader"], after["sales.salesorderheader"]
    last_date = max(row["orderdate"] for row in orders_before.values())
    first_new = max(key[0] for key in orders_before) + 1
    clock_end = last_date + timedelta(minutes=1)  # a minute of activity
    new = {key[0]: row for key, row in orders_after.items() if key not in orders_before}
    assert len(new) > 500
    for order_id, row in new.items():
        # 600 orders a minute: order number i of the run is placed 100 ms × i after the start.
        placed = last_date + timedelta(milliseconds=100 * (order_id - first_new))
        assert row["orderdate"] == placed, order_id
        assert row["duedate"] == placed + timedelta(days=12)
        assert row["shipdate"] is None or placed <= row["shipdate"] < clock_end
    assert max(row["orderdate"] for row in orders_after.values()) < clock_end
    shipped_now = [
        row["shipdate"]
        for key, row in orders_after.items()
        if key in orders_before and row["shipdate"] != orders_before[key]["shipdate"]
    ]
    assert shipped_now and all(last_date <= day < clock_end for day in shipped_now)


def test_start_sets_the_business_date_of_the_first_order(shop: Settings) -> None:
    last = last_order_id(shop)
    run_activity(
        shop,
        orders_per_minute=60,
        duration=timedelta(seconds=10),
        wait=False,
        start=datetime(2014, 7, 1, 8, 30),
    )
    dates = query(shop, f"select orderdate from sales.salesorderheader where salesorderid > {last}")
    assert {d for (d,) in dates} <= {datetime(2014, 7, 1, 8, 30, s) for s in range(10)}
    assert (datetime(2014, 7, 1, 8, 30),) in dates


def test_every_touched_row_gets_a_later_modifieddate(
    one_minute: Run,
) -> None:
    before, _, after = one_minute
    started = max(row["modifieddate"] for table in before.values() for row in table.values())
    touched = 0
    for table, rows in after.items():
        for key, row in rows.items():
            old = before[table].get(key)
            if old is None:
                assert row["modifieddate"] > started, (table, key)
                touched += 1
            elif row != old:
                assert row["modifieddate"] > old["modifieddate"], (table, key)
                touched += 1
    assert touched > 600


def test_deleted_orders_take_their_lines_and_keys_still_resolve(
    one_minute: Run, minute_shop: Settings
) -> None:
    before, counts, after = one_minute
    gone = before["sales.salesorderheader"].keys() - after["sales.salesorderheader"].keys()
    assert counts.orders_deleted > 0
    assert all(before["sales.salesorderheader"][key]["status"] == 1 for key in gone)
    orphans = query(
        minute_shop,
        """select count(*) from sales.salesorderdetail as d
        where not exists (select 1 from sales.salesorderheader as h
            where h.salesorderid = d.salesorderid)""",
    )
    assert orphans == [(0,)]
    # Foreign keys are enforced; check they are all still there and validated.
    invalid = query(
        minute_shop,
        """select conname from pg_constraint
        where contype = 'f' and not convalidated
            and connamespace::regnamespace::text in ('person', 'sales', 'production')""",
    )
    assert invalid == []
    dangling = query(
        minute_shop,
        """select count(*) from sales.salesorderheader as h
        left join sales.customer as c using (customerid)
        left join person.address as b on b.addressid = h.billtoaddressid
        left join person.address as s on s.addressid = h.shiptoaddressid
        where c.customerid is null or b.addressid is null or s.addressid is null""",
    )
    assert dangling == [(0,)]


def test_same_seed_same_start_makes_the_same_changes(shop: Settings, shop_copy: Settings) -> None:
    runs = []
    for settings in (shop, shop_copy):
        run_activity(
            settings, orders_per_minute=300, duration=timedelta(seconds=30), seed=7, wait=False
        )
        runs.append(
            {
                table: {
                    key: {k: v for k, v in row.items() if k not in CLOCK_COLUMNS}
                    for key, row in rows.items()
                }
                for table, rows in snapshot(settings).items()
            }
        )
    assert runs[0] == runs[1]
    other = run_activity(
        shop_copy, orders_per_minute=300, duration=timedelta(seconds=30), seed=8, wait=False
    )
    assert other.orders_created == 150


def test_new_online_orders_use_the_changed_list_price(shop: Settings) -> None:
    last = last_order_id(shop)
    [(changed_before,)] = query(shop, "select max(modifieddate) from production.product")
    counts = run_activity(
        shop, orders_per_minute=600, duration=timedelta(minutes=1), seed=5, wait=False
    )
    assert counts.price_changes > 0
    # Online lines written since their product's price last changed: the new list price.
    [(lines, stale)] = query(
        shop,
        f"""select count(*), count(*) filter (where d.unitprice <> p.listprice)
        from sales.salesorderdetail as d
        join sales.salesorderheader as h using (salesorderid)
        join production.product as p using (productid)
        where h.onlineorderflag and h.salesorderid > {last}
            and p.modifieddate > timestamp '{changed_before}'
            and d.modifieddate >= p.modifieddate""",
    )
    assert lines > 0 and stale == 0


def test_a_shop_without_orders_yet_takes_its_first_ones(shop: Settings) -> None:
    with server.connect(shop) as conn, conn.cursor() as cur:
        cur.execute("truncate sales.salesorderheader cascade")
    counts = run_activity(
        shop, orders_per_minute=60, duration=timedelta(minutes=1), seed=1, wait=False
    )
    assert counts.orders_created == 60 and counts.lines_created >= 60
    assert counts.status_changes > 0
    assert query(shop, "select count(*) from sales.salesorderheader") == [
        (60 - counts.orders_deleted,)
    ]


def test_an_empty_source_is_a_one_line_error(source_settings: Settings) -> None:
    with server.connect(source_settings) as conn:
        schema.create_schema(conn)
    with pytest.raises(ConfigError, match="no products"):
        run_activity(source_settings, orders_per_minute=60, duration=timedelta(seconds=1))
    with pytest.raises(ConfigError, match="positive"):
        run_activity(source_settings, orders_per_minute=0, duration=timedelta(seconds=1))


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adventure_elt", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_prints_the_counts_as_json(shop: Settings) -> None:
    assert shop.source_dsn is not None
    before = query(shop, "select count(*) from sales.salesorderheader")[0][0]
    result = cli(
        "--source-dsn", shop.source_dsn, "oltp", "activity",
        "--orders-per-minute", "600", "--duration", "10s", "--no-wait", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert counts["orders_created"] == 100
    assert set(counts) == set(ActivityCounts().as_dict())
    after = query(shop, "select count(*) from sales.salesorderheader")[0][0]
    assert after - before == counts["orders_created"] - counts["orders_deleted"]


def test_cli_table_names_every_kind(shop: Settings) -> None:
    assert shop.source_dsn is not None
    result = cli(
        "--source-dsn", shop.source_dsn, "oltp", "activity",
        "--orders-per-minute", "120", "--duration", "5s", "--no-wait",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for kind in ("orders created", "status changes", "address changes", "orders deleted"):
        assert kind in result.stdout


def test_cli_start_dates_the_new_orders(shop: Settings) -> None:
    assert shop.source_dsn is not None
    last = last_order_id(shop)
    result = cli(
        "--source-dsn", shop.source_dsn, "oltp", "activity", "--start", "2014-07-01T10:00+02:00",
        "--orders-per-minute", "60", "--duration", "3s", "--no-wait", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    dates = query(
        shop,
        f"select orderdate from sales.salesorderheader where salesorderid > {last} order by 1",
    )
    assert dates[0] == (datetime(2014, 7, 1, 8, 0),)  # 10:00 at UTC+2
    assert dates[-1][0] <= datetime(2014, 7, 1, 8, 0, 2)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--duration", "5x", "bad duration '5x'; use e.g. 30s, 5m, 1h"),
        ("--orders-per-minute", "0", "orders per minute must be a positive number"),
        ("--start", "July", "bad start 'July'; use e.g. 2014-07-01"),
        ("--start", "2014-07-01'; drop table sales.salesorderheader; --", "bad start"),
    ],
)
def test_cli_bad_option_is_exit_2_and_one_line(
    shop: Settings, option: str, value: str, message: str
) -> None:
    assert shop.source_dsn is not None
    options = {"--orders-per-minute": "60", "--duration": "1s", option: value}
    result = cli(
        "--source-dsn", shop.source_dsn, "oltp", "activity", "--no-wait",
        *(part for pair in options.items() for part in pair),
    )  # fmt: skip
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert query(shop, "select count(*) from sales.salesorderheader") == [(315,)]


def test_decimal_columns_stay_money_shaped(shop: Settings) -> None:
    run_activity(shop, orders_per_minute=600, duration=timedelta(seconds=20), seed=2, wait=False)
    for subtotal, taxamt, freight in query(
        shop, "select subtotal, taxamt, freight from sales.salesorderheader"
    ):
        for value in (subtotal, taxamt, freight):
            assert value == value.quantize(Decimal("0.0001"))


def test_docstring_examples_run() -> None:
    result = doctest.testmod(activity)
    assert result.attempted > 0 and result.failed == 0
