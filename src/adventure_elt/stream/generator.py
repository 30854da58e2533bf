"""Mock web events: page views of shoppers walking the funnel home → category → product → cart
→ checkout, as JSON lines.

Sessions interleave like real traffic (a pool of open sessions, each emitting its next page), a
few percent of them buy, and a share of them belong to real customers of the source, browsing
from the country their orders ship to, so traffic joins to sales by customer and by country.
Everything but the timestamp (the clock at emission) is a function of the seed.
"""

from __future__ import annotations

import math
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from adventure_elt.settings import Settings

# Ship-to countries with the shop's order mix (the source generator's address shares), named as
# in person.countryregion so the marts join web traffic to sales by country name.
COUNTRY_MIX: dict[str, float] = {
    "United States": 0.38,
    "Australia": 0.22,
    "Canada": 0.13,
    "United Kingdom": 0.10,
    "France": 0.09,
    "Germany": 0.08,
}
DEVICE_MIX: dict[str, float] = {"desktop": 0.52, "mobile": 0.40, "tablet": 0.08}
REFERRER_MIX: dict[str | None, float] = {
    None: 0.30,  # typed the address or used a bookmark
    "https://www.google.com/": 0.35,
    "https://www.bing.com/": 0.05,
    "https://www.facebook.com/": 0.08,
    "https://www.instagram.com/": 0.05,
    "https://mail.adventure-works.com/newsletter": 0.10,
    "https://www.bikereviews.example/best-bikes": 0.07,
}
USER_AGENTS: dict[str, tuple[str, ...]] = {
    "desktop": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    ),
    "mobile": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0 Mobile Safari/537.36",
    ),
    "tablet": (
        "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Mobile/15E148 Safari/604.1",
    ),
}
SITE = "https://www.adventure-works.com"
# category -> (product ids, median order value): what a cart of that category is worth
CATEGORIES: dict[str, tuple[range, float]] = {
    "bikes": (range(749, 1000), 1_400.0),
    "components": (range(680, 749), 320.0),
    "clothing": (range(707, 740), 65.0),
    "accessories": (range(841, 880), 35.0),
}
# The funnel: the stage of each page (URLs are matched by prefix, longest first).
FUNNEL: tuple[tuple[str, int], ...] = (
    ("/checkout/complete", 5),
    ("/checkout", 4),
    ("/cart", 3),
    ("/product/", 2),
    ("/category/", 1),
    ("/", 0),
)
_MEDIAN_SECONDS = {0: 8.0, 1: 20.0, 2: 45.0, 3: 25.0, 4: 60.0, 5: 10.0}
_IP_FIRST_OCTETS = (24, 31, 45, 52, 63, 67, 73, 81, 86, 92, 98, 101, 121, 142, 151, 174, 185, 203)
DEFAULT_KNOWN_SHARE = 0.3
_OPEN_SESSIONS = 40
_FLUSH_EVERY = 1_000  # unpaced output (--count) is flushed in blocks of this many lines
OVERRUN_SECONDS = 1.0  # how late a paced run may end when it falls behind its rate


def funnel_stage(page_url: str) -> int:
    """The funnel stage (0 home … 5 order placed) of a page URL.

    >>> funnel_stage("https://www.adventure-works.com/product/771")
    2
    """
    path = page_url.removeprefix(SITE) or "/"
    return next(stage for prefix, stage in FUNNEL if path.startswith(prefix))


@dataclass(frozen=True)
class KnownCustomers:
    """Customers whose ids the generator gives to a share of the sessions.

    `customers` holds (customer_id, ship-to country name); `origin` says where they came from
    (`source`, `warehouse` or `synthetic`) and `note` explains it in one line.
    """

    customers: tuple[tuple[int, str], ...]
    origin: str
    note: str


def synthetic_customers(count: int = 19_000, seed: int = 0) -> KnownCustomers:
    """Made-up customer ids in AdventureWorks' individual range, for when nothing is reachable."""
    rng = random.Random(seed)
    countries = list(COUNTRY_MIX)
    weights = list(COUNTRY_MIX.values())
    picked = rng.choices(countries, weights, k=count)
    return KnownCustomers(
        tuple((11_000 + i, country) for i, country in enumerate(picked)),
        "synthetic",
        "no source or warehouse reachable: user ids are synthetic (11000+) and may not join",
    )


_CUSTOMER_COUNTRIES_SQL = """
select h.customerid, min(cr.name) as country
from {header} as h
join {address} as a on a.addressid = h.shiptoaddressid
join {state} as sp on sp.stateprovinceid = a.stateprovinceid
join {country} as cr on cr.countryregioncode = sp.countryregioncode
where h.onlineorderflag
group by h.customerid
order by h.customerid
"""


def load_customers(settings: Settings) -> KnownCustomers:
    """Real online customers and their ship-to country: from the source if it is up, else from
    the warehouse's raw layer, else synthetic ids (never starts a server).

    Args:
        settings: where the source and the warehouse are.

    Returns:
        KnownCustomers with a note saying where the ids came from.
    """
    rows = _customers_from_source(settings)
    if rows:
        return KnownCustomers(rows, "source", f"{len(rows):,} customer ids from the source")
    rows = _customers_from_warehouse(settings)
    if rows:
        return KnownCustomers(rows, "warehouse", f"{len(rows):,} customer ids from raw layer")
    return synthetic_customers()


def _customers_from_source(settings: Settings) -> tuple[tuple[int, str], ...]:
    from adventure_elt.oltp import server

    try:
        # an external source is simply connected to (unreachable: the fallback below);
        # the embedded server is only asked whether it runs, never started
        dsn = settings.source_dsn
        if dsn is None:
            state = server.status(settings)
            if not state.running or state.dsn is None:
                return ()
            dsn = state.dsn
        sql = _CUSTOMER_COUNTRIES_SQL.format(
            header="sales.salesorderheader",
            address="person.address",
            state="person.stateprovince",
            country="person.countryregion",
        )
        with server.connect_to(dsn) as conn, conn.cursor() as cur:
            cur.execute(sql)
            return tuple((int(c), str(n).strip()) for c, n in cur.fetchall())
    except Exception:  # an unreachable, empty or foreign source: fall back
        return ()


def _customers_from_warehouse(settings: Settings) -> tuple[tuple[int, str], ...]:
    from adventure_elt.warehouse import open_warehouse

    try:
        with open_warehouse(settings, read_only=True) as wh:
            sql = _CUSTOMER_COUNTRIES_SQL.format(
                header=wh.relation("raw", "sales_salesorderheader"),
                address=wh.relation("raw", "person_address"),
                state=wh.relation("raw", "person_stateprovince"),
                country=wh.relation("raw", "person_countryregion"),
            )
            return tuple((int(c), str(n).strip()) for c, n in wh.fetch_all(sql))
    except Exception:  # no warehouse yet, or not synced: fall back
        return ()


@dataclass
class _Session:
    session_id: str
    user_id: str
    country: str
    device_type: str
    user_agent: str
    ip_address: str
    pages: list[tuple[str, float, float]]  # (url, seconds on page, order value)
    referrer: str | None
    position: int = 0


@dataclass
class EventGenerator:
    """Page-view events from interleaved sessions; the same seed gives the same events.

    Args:
        seed: random seed (None = different every run).
        customers: (customer_id, country) pairs a share of the sessions belong to.
        known_share: that share of sessions, 0..1.
        clock: gives each event's timestamp at emission (UTC).
    """

    seed: int | None = None
    customers: Sequence[tuple[int, str]] = ()
    known_share: float = DEFAULT_KNOWN_SHARE
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._countries = list(COUNTRY_MIX)
        self._country_weights = list(COUNTRY_MIX.values())
        self._open: list[_Session] = [self._new_session() for _ in range(_OPEN_SESSIONS)]

    def next_event(self) -> dict[str, Any]:
        """The next page view of a randomly chosen open session."""
        rng = self._rng
        slot = rng.randrange(len(self._open))
        session = self._open[slot]
        url, seconds, order_value = session.pages[session.position]
        referrer = (
            session.referrer if session.position == 0 else session.pages[session.position - 1][0]
        )
        session.position += 1
        if session.position == len(session.pages):
            self._open[slot] = self._new_session()
        return {
            "event_id": self._uuid(),
            "timestamp": self.clock().isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "session_id": session.session_id,
            "user_id": session.user_id,
            "page_url": url,
            "referrer_url": referrer,
            "ip_address": session.ip_address,
            "user_agent": session.user_agent,
            "device_type": session.device_type,
            "duration": seconds,
            "country": session.country,
            "order_value": order_value,
        }

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _new_session(self) -> _Session:
        rng = self._rng
        known = bool(self.customers) and rng.random() < self.known_share
        if known:
            customer_id, country = self.customers[rng.randrange(len(self.customers))]
            user_id = str(customer_id)
        else:
            country = rng.choices(self._countries, self._country_weights)[0]
            user_id = f"anon-{rng.getrandbits(48):012x}"
        device = rng.choices(list(DEVICE_MIX), list(DEVICE_MIX.values()))[0]
        referrers = list(REFERRER_MIX)
        return _Session(
            session_id=self._uuid(),
            user_id=user_id,
            country=country,
            device_type=device,
            user_agent=rng.choice(USER_AGENTS[device]),
            ip_address=(
                f"{rng.choice(_IP_FIRST_OCTETS)}.{rng.randrange(256)}."
                f"{rng.randrange(256)}.{rng.randrange(1, 255)}"
            ),
            pages=self._pages(known),
            referrer=rng.choices(referrers, list(REFERRER_MIX.values()))[0],
        )

    def _pages(self, known: bool) -> list[tuple[str, float, float]]:
        """One session's walk down the funnel; each step may be the last."""
        rng = self._rng
        category = rng.choice(list(CATEGORIES))
        products, median_value = CATEGORIES[category]
        stages: list[tuple[str, int]] = []
        landing = rng.random()
        if landing < 0.6:
            stages.append(("/", 0))
            if rng.random() > 0.75:
                return self._timed(stages)
        if landing < 0.75:
            for _ in range(1 + (rng.random() < 0.3)):
                stages.append((f"/category/{category}", 1))
            if rng.random() > 0.7:
                return self._timed(stages)
        for _ in range(min(1 + int(rng.expovariate(0.8)), 6)):
            stages.append((f"/product/{rng.choice(products)}", 2))
        if rng.random() > (0.35 if known else 0.22):
            return self._timed(stages)
        stages.append(("/cart", 3))
        if rng.random() > 0.55:
            return self._timed(stages)
        stages.append(("/checkout", 4))
        if rng.random() > 0.6:
            return self._timed(stages)
        stages.append(("/checkout/complete", 5))
        value = round(rng.lognormvariate(math.log(median_value), 0.5), 2)
        return self._timed(stages, max(value, 1.0))

    def _timed(
        self, stages: list[tuple[str, int]], order_value: float = 0.0
    ) -> list[tuple[str, float, float]]:
        rng = self._rng
        pages = []
        for path, stage in stages:
            seconds = round(rng.lognormvariate(math.log(_MEDIAN_SECONDS[stage]), 0.6), 1)
            value = order_value if stage == 5 else 0.0
            pages.append((f"{SITE}{path}", min(seconds, 3_600.0), value))
        return pages


def event_lines(
    generator: EventGenerator,
    *,
    rate: float = 100.0,
    duration: timedelta | None = None,
    count: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    should_stop: Callable[[], bool] = lambda: False,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[bytes]:
    """JSON lines (with newline) from `generator`: `count` of them as fast as possible, or
    `rate` a second for `duration` (steady: each event is due at start + i / rate).

    A paced run ends at most `OVERRUN_SECONDS` after `duration`, with fewer events when the rate
    is more than this machine can make (it ran on: 5 s for `--rate 200000 --duration 1s`); a
    run only a little behind its rate still makes every event.
    Yields b"" when the next event is not due yet and the consumer should flush what it has.
    """
    if count is None and duration is None:
        duration = timedelta(seconds=10)
    total = count if count is not None else max(1, round(rate * duration.total_seconds()))  # type: ignore[union-attr]
    paced = count is None
    started = clock()
    ends = started + duration.total_seconds() + OVERRUN_SECONDS if paced and duration else None
    for i in range(total):
        if should_stop():
            return
        if paced:
            now = clock()
            if ends is not None and now >= ends:
                return
            wait = started + i / rate - now
            if wait > 0:
                yield b""
                sleep(wait)
        elif i % _FLUSH_EVERY == 0 and i:
            yield b""
        yield orjson.dumps(generator.next_event()) + b"\n"


def generator_for(
    settings: Settings, seed: int | None = None, known_share: float = DEFAULT_KNOWN_SHARE
) -> tuple[EventGenerator, str]:
    """An EventGenerator whose known sessions belong to the customers `load_customers` finds.

    Args:
        settings: where the source and the warehouse are.
        seed: random seed (None = different every run).
        known_share: share of sessions by known customers, 0..1.

    Returns:
        The generator, and the note saying where the customer ids came from.
    """
    customers = load_customers(settings)
    generator = EventGenerator(seed=seed, customers=customers.customers, known_share=known_share)
    return generator, customers.note


def write_events(lines: Iterable[bytes], out: IO[bytes]) -> None:
    """Write the lines of `event_lines` to `out`, flushing it where they pause (b"")."""
    for line in lines:
        if line:
            out.write(line)
        else:
            out.flush()
