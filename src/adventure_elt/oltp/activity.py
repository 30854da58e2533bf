"""Live shop activity: what the web shop and back office do to the source while it is replicated.

One *tick* is one short transaction, as one request of the shop application would be: it creates
one new order with its lines and, with fixed odds, moves open orders along their status flow
(in process → approved → shipped, some backordered, rejected or cancelled), changes a list price,
edits a product, changes a customer's street address, or deletes an abandoned order (its lines go
by ON DELETE CASCADE).

Two clocks, as in a real shop database:

- **Business dates** (`orderdate`, `duedate`, `shipdate`) follow the data's own timeline: a clock
  that starts at the source's last order date (or `start`) and advances with the ticks, so new
  orders continue the 2011–2014 history instead of landing years later. Tick `i` happens at
  `start + i × 60 / orders_per_minute` seconds, which is real time when the ticks are paced.
- **`modifieddate`** is the transaction's real time in UTC, as an application sets it: it only
  ever grows past every earlier value, which is what incremental replication's cursor needs.

`orders_per_minute` ticks a minute are paced in real time for `duration`; with `wait=False` the
same ticks run back to back. A paced run ends with its `duration` (at most `OVERRUN_SECONDS`
later): when the source cannot keep up with the rate (each tick is a transaction of a few
milliseconds), it makes fewer orders. An unpaced run of more than `MAX_UNPACED_ORDERS` is
refused: it would run for hours. Given the same starting data, `start` and `seed`, the same rows
change in the same way (only `modifieddate` differs). The shop's state (open orders, prices,
next ids) is read once at the start; run one activity at a time against a source.
"""

from __future__ import annotations

import dataclasses
import math
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import psycopg2.extras

from adventure_elt.errors import ConfigError
from adventure_elt.oltp import server
from adventure_elt.progress import ProgressCallback, ProgressEvent, ignore
from adventure_elt.settings import Settings

IN_PROCESS, APPROVED, BACKORDERED, REJECTED, SHIPPED, CANCELLED = 1, 2, 3, 4, 5, 6
MAX_UNPACED_ORDERS = 1_000_000  # back to back at ~5 ms a tick: over an hour
OVERRUN_SECONDS = 1.0  # how late a paced run may end when it falls behind its rate
OPEN_STATUSES = (IN_PROCESS, APPROVED, BACKORDERED)

# Where an open order can go next, with odds. Rejected, shipped and cancelled are final.
NEXT_STATUS: dict[int, tuple[tuple[int, int], ...]] = {
    IN_PROCESS: ((APPROVED, 90), (REJECTED, 5), (CANCELLED, 5)),
    APPROVED: ((SHIPPED, 87), (BACKORDERED, 10), (CANCELLED, 3)),
    BACKORDERED: ((SHIPPED, 80), (CANCELLED, 20)),
}

# Each tick moves about one open order in ORDERS_PER_MOVE on (at most MAX_MOVES_PER_TICK). As an
# order needs about two moves (approve, ship), the shop keeps a steady backlog of about
# 2 × ORDERS_PER_MOVE open orders, and a large backlog in the starting data drains gradually.
ORDERS_PER_MOVE = 20
MAX_MOVES_PER_TICK = 4
# Odds per tick of the other changes.
P_ABANDONED_ORDER = 0.04
P_PRICE_CHANGE = 0.05
P_PRODUCT_EDIT = 0.04
P_ADDRESS_CHANGE = 0.10

# The application writes naive timestamps in UTC; now() is the transaction's start, so all rows
# of one tick share one modifieddate, as one application transaction would.
NOW = "(now() at time zone 'UTC')"
# An order is due 12 days after it is placed, as in AdventureWorks.
DUE_AFTER = timedelta(days=12)

_CENT = Decimal("0.01")
_MONEY = Decimal("0.0001")
_TAX_RATE = Decimal("0.08")
_FREIGHT_RATE = Decimal("0.025")
_RESELLER_PRICE = Decimal("0.6")
# AdventureWorks' volume discounts (special offers 2-4) by quantity ordered by a store.
_VOLUME_DISCOUNTS = ((25, 4, Decimal("0.10")), (15, 3, Decimal("0.05")), (11, 2, Decimal("0.02")))
_STORE_QUANTITIES = (1, 1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30)
_SAFETY_STOCK_LEVELS = (4, 100, 500, 800, 1000)
_COLORS = ("Black", "Blue", "Grey", "Multi", "Red", "Silver", "White", "Yellow")
_STREETS = (
    "Alderwood", "Bayview", "Cedar Ridge", "Chestnut", "Eastgate", "Highland", "Lakeshore",
    "Maple", "Mill Creek", "Oak Grove", "Pine Valley", "Riverside", "Sunset", "Westwood",
)  # fmt: skip
_STREET_KINDS = ("Ave.", "Blvd.", "Court", "Drive", "Lane", "Place", "Road", "Street", "Way")
# The three kinds of product edit, as SQL assignments.
_PRODUCT_EDITS = {
    "standard cost": "standardcost = round(standardcost * %(factor)s, 4)",
    "stock levels": "safetystocklevel = %(safety)s, reorderpoint = %(reorder)s",
    # Products without a color (components) keep none.
    "color": "color = case when color is null then null else %(color)s end",
}


@dataclass
class ActivityCounts:
    """What one activity run changed, per kind of change."""

    orders_created: int = 0
    lines_created: int = 0
    status_changes: int = 0
    lines_shipped: int = 0
    """Lines of shipped store orders that got a carrier tracking number."""
    price_changes: int = 0
    product_edits: int = 0
    address_changes: int = 0
    orders_deleted: int = 0
    lines_deleted: int = 0
    """Lines of deleted orders, removed by ON DELETE CASCADE."""

    def as_dict(self) -> dict[str, int]:
        """The counts by kind, in a fixed order (for `--json`)."""
        return dataclasses.asdict(self)

    def add(self, other: ActivityCounts) -> None:
        """Add `other`'s counts to these."""
        for field in dataclasses.fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


def tick_count(orders_per_minute: float, duration: timedelta) -> int:
    """How many ticks (= new orders) a run makes: one at the start, then one every 60/R s.

    >>> tick_count(600, timedelta(seconds=10))
    100
    >>> tick_count(1, timedelta(seconds=30))
    1
    """
    # Rounding first keeps 600/min × 10 s at 100 ticks despite binary floating point.
    return math.ceil(round(orders_per_minute * duration.total_seconds() / 60, 9))


LAST_START_YEAR = 9000


def parse_start(text: str) -> datetime:
    """Read the business clock's start as typed: an ISO date or date and time.

    A time with an offset is converted to UTC; the source's dates have no time zone.

    >>> parse_start("2014-07-01")
    datetime.datetime(2014, 7, 1, 0, 0)
    >>> parse_start("2014-07-01T10:00+02:00")
    datetime.datetime(2014, 7, 1, 8, 0)
    >>> parse_start("July")
    Traceback (most recent call last):
    ...
    adventure_elt.errors.ConfigError: bad start 'July'; use e.g. 2014-07-01 or 2014-07-01T08:30
    >>> parse_start("9999-12-31")
    Traceback (most recent call last):
    ...
    adventure_elt.errors.ConfigError: start 9999-12-31 is too far ahead; give a date before 9000
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"bad start '{text}'; use e.g. 2014-07-01 or 2014-07-01T08:30") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    if moment.year >= LAST_START_YEAR:  # the clock advances with each tick: past year 9999 it fails
        raise ConfigError(f"start {text} is too far ahead; give a date before {LAST_START_YEAR}")
    return moment


def run_activity(
    source: Settings | psycopg2.extensions.connection,
    *,
    orders_per_minute: float,
    duration: timedelta,
    seed: int = 0,
    wait: bool = True,
    start: datetime | None = None,
    progress: ProgressCallback | None = None,
) -> ActivityCounts:
    """Simulate the shop on the source: new orders, status moves, edits and deletes.

    Args:
        source: the settings of the source (the embedded server starts on demand), or an open
            psycopg2 connection to it; the run commits on it after every tick.
        orders_per_minute: new orders a minute; every order is one tick (one transaction).
        duration: how long the shop runs.
        seed: the same seed on the same starting data changes the same rows the same way.
        wait: pace the ticks in real time; False runs the same ticks without sleeping.
        start: the business date of the first tick (naive, like the source's dates); default
            the source's last order date, so the activity continues its history (today's date
            when the source has no orders). No order is dated after `start + duration`.
        progress: called after every tick.

    Returns:
        The counts per kind of change. Ctrl-C stops the run between ticks and returns the counts
        of the ticks committed so far.

    Raises:
        ConfigError: a rate or duration that is not positive, an unpaced run of more than
            `MAX_UNPACED_ORDERS` orders, or a source without the tables or the products,
            customers and addresses that orders need.
    """
    if not (orders_per_minute > 0 and math.isfinite(orders_per_minute)):
        raise ConfigError(f"orders per minute must be a positive number, not {orders_per_minute}")
    if duration <= timedelta(0):
        raise ConfigError(f"the activity's duration must be positive, not {duration}")
    if not wait and (orders := tick_count(orders_per_minute, duration)) > MAX_UNPACED_ORDERS:
        raise ConfigError(
            f"{orders_per_minute:g} orders a minute for {duration} asks for {orders:,} orders back"
            f" to back; at most {MAX_UNPACED_ORDERS:,} in one --no-wait run — lower"
            " --orders-per-minute or --duration"
        )
    progress = progress or ignore
    if isinstance(source, Settings):
        with server.connect_to(server.source_dsn(source), autocommit=True) as conn:
            conn.autocommit = False
            return _run(conn, orders_per_minute, duration, seed, wait, start, progress)
    return _run(source, orders_per_minute, duration, seed, wait, start, progress)


def _run(
    conn: psycopg2.extensions.connection,
    orders_per_minute: float,
    duration: timedelta,
    seed: int,
    wait: bool,
    start: datetime | None,
    progress: ProgressCallback,
) -> ActivityCounts:
    task = "shop activity"
    ticks = tick_count(orders_per_minute, duration)
    interval = 60.0 / orders_per_minute
    counts = ActivityCounts()
    with _transaction(conn) as cur:
        shop = _Shop(cur, random.Random(seed))
    start = start or shop.last_order_date or datetime.now(UTC).replace(tzinfo=None)
    started = time.monotonic()
    at = start
    try:
        for index in range(ticks):
            if wait:
                now = time.monotonic()
                if now > started + duration.total_seconds() + OVERRUN_SECONDS:
                    break  # the source cannot keep up with the rate: end with the duration
                time.sleep(max(0.0, started + index * interval - now))
            at = start + timedelta(seconds=index * interval)
            with _transaction(conn) as cur:
                changes = shop.tick(cur, at)
            # Counted only once committed, so an interrupted tick counts for nothing.
            counts.add(changes)
            progress(ProgressEvent(task, index + 1, ticks, _summary(counts, at)))
        if wait:
            time.sleep(max(0.0, started + duration.total_seconds() - time.monotonic()))
    except KeyboardInterrupt:
        done = counts.orders_created  # one order per tick
        summary = "interrupted: " + _summary(counts, at)
        progress(ProgressEvent(task, done, ticks, summary, True))
        return counts
    progress(ProgressEvent(task, ticks, ticks, _summary(counts, at), True))
    return counts


def _summary(counts: ActivityCounts, at: datetime) -> str:
    return (
        f"{counts.orders_created} orders, {counts.status_changes} status moves,"
        f" business date {at:%Y-%m-%d %H:%M:%S}"
    )


@contextmanager
def _transaction(conn: psycopg2.extensions.connection) -> Iterator[Any]:
    """One tick's transaction: committed when the block ends, rolled back on any exception."""
    explicit = bool(conn.autocommit)
    with conn.cursor() as cur:
        if explicit:
            cur.execute("begin")
        try:
            yield cur
        except BaseException:
            if explicit:
                cur.execute("rollback")
            else:
                conn.rollback()
            raise
        if explicit:
            cur.execute("commit")
        else:
            conn.commit()


@dataclass
class _Product:
    productid: int
    listprice: Decimal
    sellable: bool


class _IdPool:
    """A set of ids with O(1) add, remove and a uniformly random pick that is reproducible."""

    def __init__(self, ids: Sequence[int] = ()) -> None:
        self._ids: list[int] = list(ids)
        self._position = {order_id: index for index, order_id in enumerate(self._ids)}

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, index: int) -> int:
        return self._ids[index]

    def add(self, order_id: int) -> None:
        self._position[order_id] = len(self._ids)
        self._ids.append(order_id)

    def remove(self, order_id: int) -> None:
        index = self._position.pop(order_id)
        last = self._ids.pop()
        if last != order_id:
            self._ids[index] = last
            self._position[last] = index


class _Shop:
    """The shop's view of the source, kept in memory between ticks."""

    def __init__(self, cur: Any, rng: random.Random) -> None:
        self.rng = rng
        try:
            cur.execute(
                "select productid, listprice, finishedgoodsflag and sellenddate is null"
                " from production.product order by productid"
            )
        except psycopg2.errors.UndefinedTable:
            raise ConfigError(
                "the source has no AdventureWorks tables; run `adventure-elt oltp init` and"
                " fill them (oltp seed or oltp load-csv) first"
            ) from None
        self.products = [_Product(pid, price, bool(on_sale)) for pid, price, on_sale in cur]
        priced = [p for p in self.products if p.listprice > 0]
        self.sellable = [p for p in priced if p.sellable] or priced
        if not self.sellable:
            raise ConfigError(
                "the source has no products with a price to sell; fill it first"
                " (adventure-elt oltp seed or oltp load-csv)"
            )
        first_address, last_address = _id_range(cur, "person.address", "addressid")
        first_customer, last_customer = _id_range(cur, "sales.customer", "customerid")
        if first_address is None or first_customer is None:
            raise ConfigError(
                "the source has no customers or addresses to take orders from; fill it first"
                " (adventure-elt oltp seed or oltp load-csv)"
            )
        assert last_address is not None and last_customer is not None
        self.addresses = (first_address, last_address)
        self.customers = (first_customer, last_customer)
        self.first_order, last_order = _id_range(cur, "sales.salesorderheader", "salesorderid")
        self.next_order = (last_order or 0) + 1
        cur.execute("select max(orderdate) from sales.salesorderheader")
        self.last_order_date: datetime | None = cur.fetchone()[0]
        cur.execute("select coalesce(max(salesorderdetailid), 0) from sales.salesorderdetail")
        self.next_line = int(cur.fetchone()[0]) + 1
        cur.execute(
            "select salesorderid, status, onlineorderflag from sales.salesorderheader"
            " where status in %s order by salesorderid",
            (OPEN_STATUSES,),
        )
        self.open: dict[int, _IdPool] = {status: _IdPool() for status in OPEN_STATUSES}
        self.online: dict[int, bool] = {}
        for order_id, status, online in cur:
            self.open[status].add(order_id)
            self.online[order_id] = bool(online)

    # ------------------------------------------------------------------ one tick

    def tick(self, cur: Any, at: datetime) -> ActivityCounts:
        """One transaction's worth of shop activity at business date `at`; the caller commits."""
        rng = self.rng
        changes = ActivityCounts()
        touched: set[int] = set()
        if rng.random() < P_ABANDONED_ORDER:
            self._abandon_order(cur, changes, touched)
        open_orders = sum(len(pool) for pool in self.open.values())
        # Random rounding: 30 open orders make one move a tick half the time, two the other half.
        moves = min(MAX_MOVES_PER_TICK, int(open_orders / ORDERS_PER_MOVE + rng.random()))
        for _ in range(moves):
            self._move_status(cur, changes, touched, at)
        if rng.random() < P_PRICE_CHANGE:
            self._change_price(cur, changes)
        if rng.random() < P_PRODUCT_EDIT:
            self._edit_product(cur, changes)
        if rng.random() < P_ADDRESS_CHANGE:
            self._change_address(cur, changes)
        self._create_order(cur, changes, at)
        return changes

    def _pick_open(self, statuses: Sequence[int], touched: set[int]) -> tuple[int, int] | None:
        """A random open order (id, status) in `statuses` not yet changed in this tick."""
        pools = [(status, self.open[status]) for status in statuses]
        total = sum(len(pool) for _, pool in pools)
        if total == 0:
            return None
        index = self.rng.randrange(total)
        for status, pool in pools:
            if index < len(pool):
                order_id = pool[index]
                return None if order_id in touched else (order_id, status)
            index -= len(pool)
        raise AssertionError("unreachable: index within the pools' total")

    def _close(self, order_id: int, status: int) -> None:
        self.open[status].remove(order_id)
        self.online.pop(order_id, None)

    def _abandon_order(self, cur: Any, changes: ActivityCounts, touched: set[int]) -> None:
        picked = self._pick_open((IN_PROCESS,), touched)
        if picked is None:
            return
        order_id, status = picked
        cur.execute(
            "select count(*) from sales.salesorderdetail where salesorderid = %s", (order_id,)
        )
        lines = int(cur.fetchone()[0])
        cur.execute(
            "delete from sales.salesorderheader where salesorderid = %s and status = %s",
            (order_id, status),
        )
        self._close(order_id, status)
        if cur.rowcount == 1:
            changes.orders_deleted += 1
            changes.lines_deleted += lines
        touched.add(order_id)

    def _move_status(
        self, cur: Any, changes: ActivityCounts, touched: set[int], at: datetime
    ) -> None:
        picked = self._pick_open(OPEN_STATUSES, touched)
        if picked is None:
            return
        order_id, status = picked
        targets, weights = zip(*NEXT_STATUS[status], strict=True)
        target = self.rng.choices(targets, weights)[0]
        tracking = _tracking_number(self.rng)
        online = self.online.get(order_id, True)
        cur.execute(
            f"""update sales.salesorderheader
                set status = %(target)s,
                    revisionnumber = revisionnumber + 1,
                    shipdate = case when %(target)s = {SHIPPED} then %(at)s else shipdate end,
                    modifieddate = {NOW}
                where salesorderid = %(order_id)s and status = %(status)s""",
            {"target": target, "order_id": order_id, "status": status, "at": at},
        )
        moved = cur.rowcount == 1
        self._close(order_id, status)
        touched.add(order_id)
        if not moved:  # changed or deleted by someone else meanwhile: forget it
            return
        changes.status_changes += 1
        if target in OPEN_STATUSES:
            self.open[target].add(order_id)
            self.online[order_id] = online
        if target == SHIPPED and not online:
            # Resellers' parcels are tracked per line, as in AdventureWorks.
            cur.execute(
                f"""update sales.salesorderdetail
                    set carriertrackingnumber = %s, modifieddate = {NOW}
                    where salesorderid = %s""",
                (tracking, order_id),
            )
            changes.lines_shipped += cur.rowcount

    def _change_price(self, cur: Any, changes: ActivityCounts) -> None:
        priced = [p for p in self.products if p.listprice > 0]
        product = self.rng.choice(priced)
        percent = self.rng.choice((-10, -5, -3, 3, 5, 8, 10, 12))
        new_price = (product.listprice * (100 + percent) / 100).quantize(_CENT, ROUND_HALF_UP)
        if new_price <= 0 or new_price == product.listprice:
            new_price = product.listprice + 1
        cur.execute(
            f"update production.product set listprice = %s, modifieddate = {NOW}"
            " where productid = %s",
            (new_price, product.productid),
        )
        if cur.rowcount == 1:
            product.listprice = new_price
            changes.price_changes += 1

    def _edit_product(self, cur: Any, changes: ActivityCounts) -> None:
        """A back-office edit: new standard cost, new stock levels or a new color."""
        product = self.rng.choice(self.products)
        kind = self.rng.choice(tuple(_PRODUCT_EDITS))
        # Every value is drawn every time, so one edit's kind never shifts later random choices.
        params = {
            "productid": product.productid,
            "factor": Decimal(100 + self.rng.choice((-5, -2, 2, 4, 6))) / 100,
            "safety": (safety := self.rng.choice(_SAFETY_STOCK_LEVELS)),
            "reorder": safety * 3 // 4,
            "color": self.rng.choice(_COLORS),
        }
        cur.execute(
            f"update production.product set {_PRODUCT_EDITS[kind]}, modifieddate = {NOW}"
            " where productid = %(productid)s",
            params,
        )
        changes.product_edits += cur.rowcount

    def _change_address(self, cur: Any, changes: ActivityCounts) -> None:
        """A customer moves down the road: new street lines, same city."""
        rng = self.rng
        target = rng.randint(*self.addresses)
        line1 = f"{rng.randint(1, 9999)} {rng.choice(_STREETS)} {rng.choice(_STREET_KINDS)}"
        line2 = f"Apt. {rng.randint(1, 400)}" if rng.random() < 0.2 else None
        cur.execute(
            f"""update person.address set addressline1 = %(line1)s, addressline2 = %(line2)s,
                    modifieddate = {NOW}
                where addressid = coalesce(
                    (select min(addressid) from person.address where addressid >= %(target)s),
                    (select max(addressid) from person.address))""",
            {"line1": line1, "line2": line2, "target": target},
        )
        changes.address_changes += cur.rowcount

    def _create_order(self, cur: Any, changes: ActivityCounts, at: datetime) -> None:
        rng = self.rng
        header = self._customer_details(cur)
        online = bool(header["onlineorderflag"])
        count = rng.choices((1, 2, 3, 4), (60, 25, 10, 5))[0] if online else rng.randint(1, 12)
        products = rng.sample(self.sellable, min(count, len(self.sellable)))
        order_id = self.next_order
        lines = []
        subtotal = Decimal(0)
        for product in products:
            if online:
                quantity = rng.choices((1, 2, 3), (85, 12, 3))[0]
                unit_price, offer, discount = product.listprice, 1, Decimal(0)
            else:
                quantity = rng.choice(_STORE_QUANTITIES)
                unit_price = (product.listprice * _RESELLER_PRICE).quantize(_MONEY, ROUND_HALF_UP)
                offer, discount = _volume_discount(quantity)
            subtotal += quantity * unit_price * (1 - discount)
            lines.append(
                (
                    order_id,
                    self.next_line,
                    quantity,
                    product.productid,
                    offer,
                    unit_price,
                    discount,
                    _uuid(rng),
                )
            )
            self.next_line += 1
        subtotal = subtotal.quantize(_MONEY, ROUND_HALF_UP)
        tax = (subtotal * _TAX_RATE).quantize(_MONEY, ROUND_HALF_UP)
        freight = (subtotal * _FREIGHT_RATE).quantize(_MONEY, ROUND_HALF_UP)
        card = header["creditcardid"]
        header.update(
            salesorderid=order_id,
            purchaseordernumber=None if online else f"PO{rng.randrange(10**12):012d}",
            creditcardapprovalcode=(
                f"{rng.randrange(10**6):06d}Vi{rng.randrange(10**5):05d}" if card else None
            ),
            subtotal=subtotal,
            taxamt=tax,
            freight=freight,
            totaldue=subtotal + tax + freight,
            rowguid=_uuid(rng),
            orderdate=at,
            duedate=at + DUE_AFTER,
        )
        columns = ", ".join(header)
        values = ", ".join(f"%({name})s" for name in header)
        cur.execute(
            f"""insert into sales.salesorderheader
                    ({columns}, revisionnumber, status, modifieddate)
                values ({values}, 0, {IN_PROCESS}, {NOW})""",
            header,
        )
        psycopg2.extras.execute_values(
            cur,
            """insert into sales.salesorderdetail (salesorderid, salesorderdetailid, orderqty,
                    productid, specialofferid, unitprice, unitpricediscount, rowguid, modifieddate)
                values %s""",
            lines,
            template=f"(%s, %s, %s, %s, %s, %s, %s, %s, {NOW})",
        )
        self.next_order += 1
        self.open[IN_PROCESS].add(order_id)
        self.online[order_id] = online
        changes.orders_created += 1
        changes.lines_created += len(lines)

    def _customer_details(self, cur: Any) -> dict[str, Any]:
        """Who orders: a returning customer, copied from one of the existing orders.

        Without orders yet, any customer with any address.
        """
        rng = self.rng
        if self.first_order is not None:
            target = rng.randint(self.first_order, self.next_order - 1)
            cur.execute(
                """select customerid, territoryid, salespersonid, onlineorderflag, accountnumber,
                        billtoaddressid, shiptoaddressid, shipmethodid, creditcardid,
                        currencyrateid
                    from sales.salesorderheader
                    where salesorderid >= %s order by salesorderid limit 1""",
                (target,),
            )
            row = cur.fetchone()
            if row is None:
                cur.execute(
                    """select customerid, territoryid, salespersonid, onlineorderflag,
                            accountnumber, billtoaddressid, shiptoaddressid, shipmethodid,
                            creditcardid, currencyrateid
                        from sales.salesorderheader order by salesorderid desc limit 1"""
                )
                row = cur.fetchone()
            if row is not None:
                names = [column.name for column in cur.description]
                return dict(zip(names, row, strict=True))
        customer = rng.randint(*self.customers)
        address = rng.randint(*self.addresses)
        cur.execute(
            """select customerid, territoryid, storeid is null
                from sales.customer where customerid >= %s order by customerid limit 1""",
            (customer,),
        )
        customer_id, territory, online = cur.fetchone()
        cur.execute("select min(addressid) from person.address where addressid >= %s", (address,))
        address_id = cur.fetchone()[0]
        return {
            "customerid": customer_id,
            "territoryid": territory,
            "salespersonid": None,
            "onlineorderflag": online,
            "accountnumber": f"10-4030-{customer_id:06d}",
            "billtoaddressid": address_id,
            "shiptoaddressid": address_id,
            "shipmethodid": 1 if online else 5,
            "creditcardid": None,
            "currencyrateid": None,
        }


def _id_range(cur: Any, table: str, column: str) -> tuple[int | None, int | None]:
    cur.execute(f"select min({column}), max({column}) from {table}")
    low, high = cur.fetchone()
    return low, high


def _volume_discount(quantity: int) -> tuple[int, Decimal]:
    """AdventureWorks' special offer and discount for a store buying `quantity` of a product."""
    for minimum, offer, discount in _VOLUME_DISCOUNTS:
        if quantity >= minimum:
            return offer, discount
    return 1, Decimal(0)


def _tracking_number(rng: random.Random) -> str:
    """A carrier tracking number shaped like AdventureWorks' (`4911-403C-98`)."""
    return f"{rng.getrandbits(16):04X}-{rng.getrandbits(16):04X}-{rng.getrandbits(8):02X}"


def _uuid(rng: random.Random) -> str:
    """A rowguid drawn from `rng`, so that the same seed writes the same rows."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
