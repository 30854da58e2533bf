"""Synthetic AdventureWorks data: the 12 source tables at any scale, without downloads.

`generate(scale, seed)` builds every table as a pyarrow Table in memory; `seed(conn, ...)`
writes them into PostgreSQL with COPY. Scale 1 matches the real database's size (31,465
orders, 121,317 order lines, 19,820 customers, ...); the fixed lookups (238 countries, 181
states/provinces, 4 categories, 37 subcategories, 504 products) do not scale.

The work is vectorised: numpy draws every random column at once and values that need a
locale (names, streets, cities) come from small pools Faker fills once per run, so a scale-10
database (about 2.3 million rows) takes seconds, not minutes. The same seed gives byte-identical
tables (with the same numpy and Faker versions). Money is computed in integer ten-thousandths,
so `subtotal` is exactly the rounded sum of the lines and `totaldue = subtotal + taxamt +
freight` holds exactly in PostgreSQL's numeric.

>>> tables = generate(scale=0.01, seed=1)
>>> tables["sales.salesorderheader"].num_rows
315
>>> tables["production.product"].num_rows
504
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import numpy as np
import psycopg2.extensions
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from adventure_elt.catalog import TABLES
from adventure_elt.errors import ConfigError, first_line
from adventure_elt.oltp.reference import (
    CATEGORIES,
    COUNTRIES,
    STATES,
    SUBCATEGORIES,
    part_names,
)
from adventure_elt.oltp.schema import create_schema
from adventure_elt.progress import ProgressCallback, ProgressEvent, ignore

FIRST_ORDER_DATE = np.datetime64("2011-05-31", "D")
LAST_ORDER_DATE = np.datetime64("2014-06-30", "D")
# The moment the generated shop is "looked at": nothing is modified after it.
SNAPSHOT_AT = LAST_ORDER_DATE + np.timedelta64(1, "D")
# Orders placed in the last RECENT_DAYS days are still moving through the six statuses.
RECENT_DAYS = 30
FIRST_SALES_ORDER_ID = 43659
MAX_SCALE = 200.0

STATUS_IN_PROCESS, STATUS_APPROVED, STATUS_BACKORDERED = 1, 2, 3
STATUS_REJECTED, STATUS_SHIPPED, STATUS_CANCELLED = 4, 5, 6

# Rows at scale 1 (the real database). Everything here grows linearly with the scale.
_BASE = {
    "stores": 701,
    "store_contacts": 753,
    "store_contact_customers": 635,
    "individuals": 18_484,
    "other_persons": 735,  # employees, sales people, vendor and general contacts
    "addresses": 19_614,
    "cards": 19_118,
    "orders": 31_465,
}
_ONLINE_SHARE = 27_659 / 31_465
_INDIVIDUAL_FIRST_CUSTOMER_ID = 11_000
_LOAD_CHUNK_ROWS = 200_000

# Ship-to countries: addresses are drawn with these shares (the real order mix).
_ADDRESS_COUNTRIES = {"US": 0.38, "AU": 0.22, "CA": 0.13, "GB": 0.10, "FR": 0.09, "DE": 0.08}
_LOCALES = {
    "US": "en_US",
    "AU": "en_AU",
    "CA": "en_CA",
    "GB": "en_GB",
    "FR": "fr_FR",
    "DE": "de_DE",
}
_POOL_SIZE = 300

# Category mix of order lines (category ids 1..4): web shoppers buy bikes and accessories,
# resellers buy bikes and components.
_ONLINE_CATEGORY_MIX = (0.25, 0.0, 0.15, 0.60)
_RESELLER_CATEGORY_MIX = (0.41, 0.31, 0.20, 0.08)
# Discounts in percent and the special offer that grants them (1 = no offer).
_DISCOUNTS = np.array([0, 2, 5, 10, 15, 20, 30, 35, 40], dtype=np.int64)
_OFFERS = np.array([1, 2, 3, 4, 13, 14, 9, 7, 16], dtype=np.int32)
_DISCOUNT_MIX = np.array([0.955, 0.012, 0.008, 0.006, 0.008, 0.004, 0.002, 0.002, 0.003])
_TAX_PERMILLE = 80
_FREIGHT_PERMILLE = 25

# Status mix by order age: (upper age bound in days, {status: share}).
_STATUS_BY_AGE: tuple[tuple[int, dict[int, float]], ...] = (
    (7, {1: 0.45, 2: 0.25, 3: 0.12, 4: 0.08, 6: 0.10}),
    (RECENT_DAYS, {5: 0.75, 1: 0.03, 2: 0.07, 3: 0.06, 4: 0.04, 6: 0.05}),
    (10**6, {5: 0.985, 4: 0.005, 6: 0.01}),
)

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_MS_PER_DAY = 86_400_000

_STORE_SUFFIXES = (
    "Bike Store", "Cycles", "Bike Shop", "Sporting Goods", "Wheels", "Outfitters", "Bicycle Co.",
    "Sales and Service", "Cycle Works", "Bike Supply", "Sports", "Riders", "Parts and Repair",
    "Mountain Bikes", "Road Bikes", "Bike Depot",
)  # fmt: skip
# The xml columns (person/store demographics) stay NULL: the embedded server (pgserver) is built
# without libxml, and PostgreSQL refuses any non-NULL xml value there.
_CARD_TYPES = ("SuperiorCard", "Distinguish", "ColonialVoice", "Vista")
_CARD_PREFIXES = ("3333", "5555", "7777", "1111")


@dataclass(frozen=True)
class Sizes:
    """How many rows of each growing kind a scale asks for."""

    stores: int
    store_contacts: int
    store_contact_customers: int
    individuals: int
    other_persons: int
    addresses: int
    cards: int
    orders: int

    @classmethod
    def for_scale(cls, scale: float) -> Sizes:
        """Scale the real database's counts; every kind keeps at least one row."""
        if not 0 < scale <= MAX_SCALE:
            raise ConfigError(f"scale must be > 0 and <= {MAX_SCALE:g} (got {scale:g})")
        counts = {k: max(1, round(v * scale)) for k, v in _BASE.items()}
        counts["store_contact_customers"] = min(
            counts["store_contact_customers"], counts["store_contacts"]
        )
        return cls(**counts)


def generate(scale: float = 1.0, seed: int = 0) -> dict[str, pa.Table]:
    """Build the 12 tables in memory, keyed by `schema.table`, in load order.

    Columns are exactly the DDL's (sql/source), in table order. Pure and deterministic: the
    same arguments give the same bytes.

    Args:
        scale: 1 ≈ the real database; 10 = ten times the customers, persons, addresses,
            cards and orders.
        seed: random seed; different seeds give different data.

    Raises:
        ConfigError: the scale is not in (0, 200].
    """
    sizes = Sizes.for_scale(scale)
    pools = _FakerPools.build(seed)
    gen = _Generator(sizes, seed, pools)
    built = gen.build()
    return {t.qualified_name: built[t.qualified_name] for t in TABLES}


def seed(
    conn: psycopg2.extensions.connection,
    scale: float = 1.0,
    seed: int = 0,
    progress: ProgressCallback | None = None,
) -> dict[str, int]:
    """Fill the 12 source tables with synthetic data, replacing what they hold.

    Creates the schema when missing, truncates the tables and COPYs the generated rows in
    load order, all inside the caller's transaction (`server.connect` commits at the end).

    Returns:
        Rows written per table (`schema.table` → rows), in load order.

    Raises:
        ConfigError: a table no longer has the AdventureWorks shape (a column dropped, retyped
            or added as NOT NULL); the caller's transaction must then be rolled back, which
            `server.connect` does, so nothing is replaced.
    """
    report = progress or ignore
    report(ProgressEvent("generate", message=f"scale {scale:g}, seed {seed}"))
    tables = generate(scale=scale, seed=seed)
    total = sum(t.num_rows for t in tables.values())
    report(ProgressEvent("generate", done=total, total=total, finished=True))
    create_schema(conn)
    with conn.cursor() as cur:
        cur.execute("truncate " + ", ".join(tables))
        for name, table in tables.items():
            _copy_table(cur, name, table, report)
    return {name: table.num_rows for name, table in tables.items()}


def to_csv(table: pa.Table) -> bytes:
    """The CSV that `seed` feeds to COPY (header, NULL = empty field)."""
    sink = io.BytesIO()
    pa_csv.write_csv(table, sink)
    return sink.getvalue()


def _copy_table(
    cur: psycopg2.extensions.cursor, name: str, table: pa.Table, report: ProgressCallback
) -> None:
    task = f"load {name}"
    columns = ", ".join(table.column_names)
    sql = f"copy {name} ({columns}) from stdin with (format csv, header true)"
    done = 0
    report(ProgressEvent(task, done=0, total=table.num_rows))
    for batch in table.to_batches(max_chunksize=_LOAD_CHUNK_ROWS):
        try:
            cur.copy_expert(sql, io.BytesIO(to_csv(pa.Table.from_batches([batch]))))
        # a retyped column, a dropped one, a new NOT NULL one
        except (psycopg2.DataError, psycopg2.ProgrammingError, psycopg2.IntegrityError) as exc:
            raise _drifted(name, exc) from None
        done += batch.num_rows
        report(ProgressEvent(task, done=done, total=table.num_rows))
    report(ProgressEvent(task, done=done, total=table.num_rows, finished=True))


def _drifted(name: str, exc: psycopg2.Error) -> ConfigError:
    """A COPY refused by a table whose shape drifted from the AdventureWorks schema, as one
    line that names the table, PostgreSQL's reason and the fix."""
    return ConfigError(
        f"cannot seed {name}: {first_line(exc)} — the table no longer has the AdventureWorks shape"
        f" (sql/source/{name}.sql); nothing was replaced. Restore the table, or drop it and run"
        " `adventure-elt oltp init`"
    )


# ----------------------------------------------------------------------------- faker pools


@dataclass(frozen=True)
class _FakerPools:
    """Locale-flavoured values drawn once from Faker; rows pick from them with numpy."""

    first_names: pa.Array
    last_names: pa.Array
    streets: dict[str, pa.Array]
    cities: dict[str, pa.Array]
    postcodes: dict[str, pa.Array]

    @classmethod
    def build(cls, seed: int) -> _FakerPools:
        from faker import Faker  # slow to import; only the generator needs it

        first: list[str] = []
        last: list[str] = []
        streets, cities, postcodes = {}, {}, {}
        for country, locale in _LOCALES.items():
            fake = Faker(locale)
            fake.seed_instance(seed)
            first += [fake.first_name() for _ in range(_POOL_SIZE // 2)]
            last += [fake.last_name() for _ in range(_POOL_SIZE // 2)]
            streets[country] = pa.array([fake.street_name()[:50] for _ in range(_POOL_SIZE)])
            cities[country] = pa.array([fake.city()[:30] for _ in range(_POOL_SIZE)])
            postcodes[country] = pa.array([fake.postcode()[:15] for _ in range(_POOL_SIZE)])
        return cls(pa.array(first), pa.array(last), streets, cities, postcodes)


# ----------------------------------------------------------------------------- the tables


@dataclass(frozen=True)
class _Product:
    """One product before it becomes columns; parts have no subcategory and no price."""

    name: str
    code: str
    subcategory: int | None = None
    category: int = 0
    model: int | None = None
    price: float = 0.0
    color: str | None = None
    size: str | None = None
    line: str | None = None
    tier: str | None = None


def _product_name(base: str, category: int, color: str | None, size: str | None) -> str:
    """AdventureWorks naming: `Mountain-200 Black, 38`, `HL Road Frame - Red, 58`, `Cap, L`."""
    if color and size and "Frame" in base:
        return f"{base} - {color}, {size}"
    if color and size and category == 1:
        return f"{base} {color}, {size}"
    if size:
        return f"{base}, {size}"
    if color and base.endswith("Helmet"):
        return f"{base}, {color}"
    return base


class _Generator:
    """Builds the tables in dependency order; later tables reuse the ids of earlier ones."""

    def __init__(self, sizes: Sizes, seed: int, pools: _FakerPools) -> None:
        self.sizes = sizes
        self.seed = seed
        self.pools = pools
        self.tables: dict[str, pa.Table] = {}

    def rng(self, name: str) -> np.random.Generator:
        """One independent stream per table, so changing one table never shifts another."""
        return np.random.default_rng([self.seed, zlib.crc32(name.encode())])

    def build(self) -> dict[str, pa.Table]:
        self.lookups()
        self.products()
        self.addresses()
        self.persons_and_stores()
        self.customers()
        self.credit_cards()
        self.orders()
        return self.tables

    # -- fixed lookups

    def lookups(self) -> None:
        rng = self.rng("lookups")
        n = len(COUNTRIES)
        self.tables["person.countryregion"] = pa.table(
            {
                "countryregioncode": [c for c, _ in COUNTRIES],
                "name": [name for _, name in COUNTRIES],
                "modifieddate": _timestamps(np.full(n, _ms("2008-04-30"))),
            }
        )
        n = len(STATES)
        self.tables["person.stateprovince"] = pa.table(
            {
                "stateprovinceid": pa.array(np.arange(1, n + 1), pa.int32()),
                "stateprovincecode": [s.code.ljust(3) for s in STATES],
                "countryregioncode": [s.country for s in STATES],
                "isonlystateprovinceflag": [s.only_state for s in STATES],
                "name": [s.name for s in STATES],
                "territoryid": pa.array([s.territory for s in STATES], pa.int32()),
                "rowguid": _uuids(rng, n),
                "modifieddate": _timestamps(np.full(n, _ms("2014-02-08 10:17:21.587"))),
            }
        )
        n = len(CATEGORIES)
        self.tables["production.productcategory"] = pa.table(
            {
                "productcategoryid": pa.array(np.arange(1, n + 1), pa.int32()),
                "name": list(CATEGORIES),
                "rowguid": _uuids(rng, n),
                "modifieddate": _timestamps(np.full(n, _ms("2008-04-30"))),
            }
        )
        n = len(SUBCATEGORIES)
        self.tables["production.productsubcategory"] = pa.table(
            {
                "productsubcategoryid": pa.array(np.arange(1, n + 1), pa.int32()),
                "productcategoryid": pa.array([s.category for s in SUBCATEGORIES], pa.int32()),
                "name": [s.name for s in SUBCATEGORIES],
                "rowguid": _uuids(rng, n),
                "modifieddate": _timestamps(np.full(n, _ms("2008-04-30"))),
            }
        )

    def products(self) -> None:
        rng = self.rng("production.product")
        rows = [
            _Product(name, "".join(w[0] for w in name.split()[:2]).upper()) for name in part_names()
        ]
        model_id = 0
        for sub_id, sub in enumerate(SUBCATEGORIES, start=1):
            colors: tuple[str | None, ...] = sub.colors or (None,)
            sizes: tuple[str | None, ...] = sub.sizes or (None,)
            combos = [(b, c, z) for c in colors for z in sizes for b in range(len(sub.bases))]
            combos = sorted(combos[: sub.count], key=lambda combo: combo[0])
            # Dearest base first: list prices fall evenly from the top to the bottom of the range.
            shares = np.linspace(1.0, 0.0, len(sub.bases)) if len(sub.bases) > 1 else np.ones(1)
            low, high = sub.price
            for base, color, size in combos:
                rows.append(
                    _Product(
                        name=_product_name(sub.bases[base], sub.category, color, size),
                        code=sub.code,
                        subcategory=sub_id,
                        category=sub.category,
                        model=model_id + base + 1,
                        price=round(low + (high - low) * float(shares[base]), 2),
                        color=color,
                        size=size,
                        line=sub.line,
                        tier={"HL": "H", "ML": "M", "LL": "L"}.get(sub.bases[base][:2]),
                    )
                )
            model_id += len(sub.bases)
        n = len(rows)
        sold = np.array([r.subcategory is not None for r in rows])
        category = np.array([r.category for r in rows])
        price4 = np.array([round(r.price * 10_000) for r in rows], np.int64)
        cost_share = rng.uniform(0.37, 0.62, n)
        cost4 = np.where(sold, np.round(price4 * cost_share), 0).astype(np.int64)
        numbers = rng.choice(np.arange(1000, 10_000), size=n, replace=False)
        size_list = [r.size for r in rows]
        numeric_size = np.array([z is not None and z.isdigit() for z in size_list])
        heavy = (category == 1) | np.array(["Frame" in r.name for r in rows])
        weight = np.where(category == 1, rng.uniform(13, 30, n), rng.uniform(2, 4.5, n))
        safety = np.select([category == 1, category == 2, sold], [100, 500, 4], 1000)
        self.product_price4 = price4
        self.product_category = category
        self.tables["production.product"] = pa.table(
            {
                "productid": pa.array(np.arange(1, n + 1), pa.int32()),
                "name": [r.name for r in rows],
                "productnumber": [
                    f"{r.code}-{num}" + (f"-{r.size}" if r.size else "")
                    for r, num in zip(rows, numbers, strict=True)
                ],
                "makeflag": pa.array(heavy | ~sold),
                "finishedgoodsflag": pa.array(sold),
                "color": [r.color for r in rows],
                "safetystocklevel": pa.array(safety, pa.int16()),
                "reorderpoint": pa.array(safety * 3 // 4, pa.int16()),
                "standardcost": _money(cost4),
                "listprice": _money(price4),
                "size": size_list,
                "sizeunitmeasurecode": _text_where(numeric_size, "CM "),
                "weightunitmeasurecode": _text_where(heavy, "LB "),
                "weight": _decimal(np.round(weight * 100).astype(np.int64), 2, mask=~heavy),
                "daystomanufacture": pa.array(
                    np.select([category == 1, heavy], [4, 1], 0), pa.int32()
                ),
                "productline": [_pad(r.line, 2) for r in rows],
                "class": [_pad(r.tier, 2) for r in rows],
                "style": [_pad("U" if r.size else None, 2) for r in rows],
                "productsubcategoryid": pa.array([r.subcategory for r in rows], pa.int32()),
                "productmodelid": pa.array([r.model for r in rows], pa.int32()),
                "sellstartdate": _timestamps(
                    np.where(sold, _ms("2011-05-31"), _ms("2008-04-30")).astype(np.int64)
                ),
                "sellenddate": pa.nulls(n, pa.timestamp("ms")),
                "discontinueddate": pa.nulls(n, pa.timestamp("ms")),
                "rowguid": _uuids(rng, n),
                "modifieddate": _timestamps(np.full(n, _ms("2014-02-08 10:01:36.827"))),
            }
        )

    # -- people and places

    def addresses(self) -> None:
        rng = self.rng("person.address")
        n = self.sizes.addresses
        codes = list(_ADDRESS_COUNTRIES)
        country = rng.choice(len(codes), size=n, p=list(_ADDRESS_COUNTRIES.values()))
        state_ids = np.zeros(n, np.int64)
        street = np.zeros(n, np.int64)
        city_and_code = np.zeros(n, np.int64)
        streets, cities, postcodes = [], [], []
        for i, code in enumerate(codes):
            mine = country == i
            states = np.array([k for k, s in enumerate(STATES, 1) if s.country == code])
            state_ids[mine] = rng.choice(states, size=int(mine.sum()))
            street[mine] = i * _POOL_SIZE + rng.integers(0, _POOL_SIZE, int(mine.sum()))
            city_and_code[mine] = i * _POOL_SIZE + rng.integers(0, _POOL_SIZE, int(mine.sum()))
            streets.append(self.pools.streets[code])
            cities.append(self.pools.cities[code])
            postcodes.append(self.pools.postcodes[code])
        house = pc.cast(pa.array(rng.integers(1, 10_000, n)), pa.string())
        line1 = pc.binary_join_element_wise(
            house, pa.concat_arrays(streets).take(pa.array(street)), " "
        )
        has_line2 = rng.random(n) < 0.02
        line2 = pc.binary_join_element_wise("Unit ", _digits(rng, n, 3), "")
        self.address_state = state_ids
        self.tables["person.address"] = pa.table(
            {
                "addressid": pa.array(np.arange(1, n + 1), pa.int32()),
                "addressline1": line1,
                "addressline2": pc.if_else(
                    pa.array(has_line2), line2, pa.scalar(None, pa.string())
                ),
                "city": pa.concat_arrays(cities).take(pa.array(city_and_code)),
                "stateprovinceid": pa.array(state_ids, pa.int32()),
                "postalcode": pa.concat_arrays(postcodes).take(pa.array(city_and_code)),
                "spatiallocation": pa.nulls(n, pa.binary()),
                "rowguid": _uuids(rng, n),
                "modifieddate": _timestamps(_random_ms(rng, n, "2006-07-01", SNAPSHOT_AT)),
            }
        )

    def persons_and_stores(self) -> None:
        """Persons and stores share one business-entity id sequence, as in AdventureWorks."""
        rng = self.rng("person.person")
        s = self.sizes
        kinds = ("EM", "SP", "VC", "GC")
        other_types = np.repeat(
            kinds, _quotas(s.other_persons, np.array([273, 17, 156, 289]) / 735)
        )
        self.sales_person_ids = np.flatnonzero(other_types == "SP") + 1
        store_first = s.other_persons + 1
        self.store_ids = np.arange(store_first, store_first + s.stores)
        contact_first = store_first + s.stores
        self.contact_ids = np.arange(contact_first, contact_first + s.store_contacts)
        self.individual_ids = np.arange(
            contact_first + s.store_contacts, contact_first + s.store_contacts + s.individuals
        )
        ids = np.concatenate(
            [np.arange(1, s.other_persons + 1), self.contact_ids, self.individual_ids]
        )
        types = np.concatenate(
            [other_types, np.full(s.store_contacts, "SC"), np.full(s.individuals, "IN")]
        )
        n = len(ids)
        title = rng.choice(["", "Mr.", "Ms."], size=n, p=[0.95, 0.027, 0.023])
        suffix = rng.choice(["", "Jr.", "Sr.", "II"], size=n, p=[0.997, 0.0015, 0.001, 0.0005])
        initials = (rng.integers(0, 26, n) + ord("A")).astype(np.uint8)
        middle = _fixed_strings(np.stack([initials, np.full(n, ord("."), np.uint8)], axis=1))
        has_middle = rng.random(n) < 0.57
        self.tables["person.person"] = pa.table(
            {
                "businessentityid": pa.array(ids, pa.int32()),
                "persontype": pa.array(types),
                "namestyle": pa.array(np.zeros(n, bool)),
                "title": _blank_to_null(title),
                "firstname": _pick(rng, self.pools.first_names, n),
                "middlename": pc.if_else(
                    pa.array(has_middle), middle, pa.scalar(None, pa.string())
                ),
                "lastname": _pick(rng, self.pools.last_names, n),
                "suffix": _blank_to_null(suffix),
                "emailpromotion": pa.array(rng.choice(3, size=n, p=[0.55, 0.28, 0.17]), pa.int32()),
                "additionalcontactinfo": pa.nulls(n, pa.string()),
                "demographics": pa.nulls(n, pa.string()),
                "rowguid": _uuids(rng, n),
                "modifieddate": _timestamps(_random_ms(rng, n, "2006-06-23", SNAPSHOT_AT)),
            }
        )

        rng = self.rng("sales.store")
        n = s.stores
        suffixes = pa.array(_STORE_SUFFIXES)
        names = pc.binary_join_element_wise(
            _pick(rng, self.pools.last_names, n), _pick(rng, suffixes, n), " "
        )
        self.tables["sales.store"] = pa.table(
            {
                "businessentityid": pa.array(self.store_ids, pa.int32()),
                "name": pc.utf8_slice_codeunits(names, 0, 50),
                "salespersonid": self._sales_people(rng, n),
                "demographics": pa.nulls(n, pa.string()),
                "rowguid": _uuids(rng, n),
                "modifieddate": _timestamps(_random_ms(rng, n, "2011-05-01", SNAPSHOT_AT)),
            }
        )

    def _sales_people(self, rng: np.random.Generator, n: int) -> pa.Array:
        if len(self.sales_person_ids) == 0:
            return pa.nulls(n, pa.int32())
        return pa.array(rng.choice(self.sales_person_ids, n), pa.int32())

    def customers(self) -> None:
        """Store customers, then individuals (from id 11000, as in AdventureWorks), then store
        contacts who buy for their store."""
        rng = self.rng("sales.customer")
        s = self.sizes
        ind_first = max(_INDIVIDUAL_FIRST_CUSTOMER_ID, s.stores + 1)
        store_ids = np.arange(1, s.stores + 1)
        ind_ids = np.arange(ind_first, ind_first + s.individuals)
        contact_ids = np.arange(
            ind_first + s.individuals, ind_first + s.individuals + s.store_contact_customers
        )
        customer_ids = np.concatenate([store_ids, ind_ids, contact_ids])
        n = len(customer_ids)
        contacts = rng.choice(self.contact_ids, s.store_contact_customers, replace=False)
        person = np.concatenate([np.zeros(s.stores), self.individual_ids, contacts])
        store = np.concatenate(
            [self.store_ids, np.zeros(s.individuals), rng.choice(self.store_ids, len(contacts))]
        )
        is_person = np.arange(n) >= s.stores
        is_store = (np.arange(n) < s.stores) | (np.arange(n) >= s.stores + s.individuals)
        # Each customer has a home or office address: its own while addresses last.
        address = np.where(
            np.arange(n) < s.addresses, np.arange(n), rng.integers(0, s.addresses, n)
        )
        address = rng.permutation(address) + 1
        territory = np.array([st.territory for st in STATES])[self.address_state[address - 1] - 1]
        self.customer_ids = customer_ids
        self.customer_address = address
        self.customer_territory = territory
        self.customer_is_store = is_store
        self.tables["sales.customer"] = pa.table(
            {
                "customerid": pa.array(customer_ids, pa.int32()),
                "personid": pa.array(person.astype(np.int64), pa.int32(), mask=~is_person),
                "storeid": pa.array(store.astype(np.int64), pa.int32(), mask=~is_store),
                "territoryid": pa.array(territory, pa.int32()),
                "rowguid": _uuids(rng, n),
                "modifieddate": _timestamps(_random_ms(rng, n, "2011-05-01", SNAPSHOT_AT)),
            }
        )

    def credit_cards(self) -> None:
        rng = self.rng("sales.creditcard")
        n = self.sizes.cards
        kind = rng.integers(0, len(_CARD_TYPES), n)
        number = pc.binary_join_element_wise(
            pa.array(_CARD_PREFIXES).take(pa.array(kind)), _digits(rng, n, 10), ""
        )
        self.tables["sales.creditcard"] = pa.table(
            {
                "creditcardid": pa.array(np.arange(1, n + 1), pa.int32()),
                "cardtype": pa.array(_CARD_TYPES).take(pa.array(kind)),
                "cardnumber": number,
                "expmonth": pa.array(rng.integers(1, 13, n), pa.int16()),
                "expyear": pa.array(rng.integers(2005, 2009, n), pa.int16()),
                "modifieddate": _timestamps(_random_ms(rng, n, "2011-05-31", SNAPSHOT_AT)),
            }
        )

    # -- orders

    def orders(self) -> None:
        rng = self.rng("sales.salesorderheader")
        s = self.sizes
        n = s.orders
        n_online = round(n * _ONLINE_SHARE)
        online = np.arange(n) < n_online
        day = np.where(
            online, _order_days(rng, n, web=True), _order_days(rng, n, web=False)
        ).astype(np.int64)
        # Every customer orders at least once (while orders last), some many times.
        customers = np.empty(n, np.int64)
        person_rows = np.flatnonzero(~self.customer_is_store)
        store_rows = np.flatnonzero(self.customer_is_store)
        customers[online] = _cover(rng, person_rows, n_online)
        customers[~online] = _cover(rng, store_rows, n - n_online)
        order = np.lexsort((rng.random(n), day))  # ids rise with the order date
        day, online, customers = day[order], online[order], customers[order]

        lines = np.where(
            online,
            rng.choice(np.arange(1, 6), size=n, p=[0.34, 0.31, 0.22, 0.10, 0.03]),
            np.minimum(rng.geometric(1 / 16.8, n), 72),
        )
        status, age = _statuses(rng, day)
        order_ms = (FIRST_ORDER_DATE.astype("datetime64[ms]").astype(np.int64)) + day * _MS_PER_DAY
        shipped = status == STATUS_SHIPPED
        ship_ms = order_ms + 7 * _MS_PER_DAY
        # Shipped orders were last touched when they shipped; open ones at some point since.
        touched = np.where(
            shipped,
            ship_ms + rng.integers(0, _MS_PER_DAY, n),
            order_ms + (rng.random(n) * np.minimum(age, 7) * _MS_PER_DAY).astype(np.int64),
        )
        touched = np.minimum(touched, _ms(SNAPSHOT_AT) - 1)

        sub4 = self.order_lines(day, online, order_ms, lines)
        tax4 = (sub4 * _TAX_PERMILLE + 500) // 1000
        freight4 = (sub4 * _FREIGHT_PERMILLE + 500) // 1000

        customer_id = self.customer_ids[customers]
        address = self.customer_address[customers]
        cards = self.sizes.cards
        card = np.where(online, (customers % cards) + 1, rng.integers(1, cards + 1, n))
        no_card = ~online & (rng.random(n) < 0.3)
        account = pc.binary_join_element_wise(
            pa.array(np.where(online, "10-4030-", "10-4020-")),
            _zero_padded(customer_id, 6),
            "",
        )
        approval = pc.binary_join_element_wise(_digits(rng, n, 6), "Vi", _digits(rng, n, 5), "")
        self.tables["sales.salesorderheader"] = pa.table(
            {
                "salesorderid": pa.array(FIRST_SALES_ORDER_ID + np.arange(n), pa.int32()),
                "revisionnumber": pa.array(np.full(n, 8), pa.int16()),
                "orderdate": _timestamps(order_ms),
                "duedate": _timestamps(order_ms + 12 * _MS_PER_DAY),
                "shipdate": pa.array(ship_ms, pa.timestamp("ms"), mask=~shipped),
                "status": pa.array(status, pa.int16()),
                "onlineorderflag": pa.array(online),
                "purchaseordernumber": pc.if_else(
                    pa.array(online),
                    pa.scalar(None, pa.string()),
                    pc.binary_join_element_wise("PO", _digits(rng, n, 11), ""),
                ),
                "accountnumber": account,
                "customerid": pa.array(customer_id, pa.int32()),
                "salespersonid": pc.if_else(
                    pa.array(online), pa.scalar(None, pa.int32()), self._sales_people(rng, n)
                ),
                "territoryid": pa.array(self.customer_territory[customers], pa.int32()),
                "billtoaddressid": pa.array(address, pa.int32()),
                "shiptoaddressid": pa.array(address, pa.int32()),
                "shipmethodid": pa.array(np.where(online, 1, 5), pa.int32()),
                "creditcardid": pa.array(card, pa.int32(), mask=no_card),
                "creditcardapprovalcode": pc.if_else(
                    pa.array(no_card), pa.scalar(None, pa.string()), approval
                ),
                "currencyrateid": pa.nulls(n, pa.int32()),
                "subtotal": _money(sub4),
                "taxamt": _money(tax4),
                "freight": _money(freight4),
                "totaldue": _money(sub4 + tax4 + freight4),
                "comment": pa.nulls(n, pa.string()),
                "rowguid": _uuids(rng, n),
                "modifieddate": _timestamps(touched),
            }
        )

    def order_lines(
        self, day: np.ndarray, online: np.ndarray, order_ms: np.ndarray, lines: np.ndarray
    ) -> np.ndarray:
        """Build sales.salesorderdetail; returns each order's subtotal in ten-thousandths."""
        rng = self.rng("sales.salesorderdetail")
        n_orders = len(day)
        of_order = np.repeat(np.arange(n_orders), lines)
        n = len(of_order)
        web = online[of_order]
        category = (
            np.where(
                web,
                rng.choice(4, size=n, p=_ONLINE_CATEGORY_MIX),
                rng.choice(4, size=n, p=_RESELLER_CATEGORY_MIX),
            )
            + 1
        )
        product = np.zeros(n, np.int64)
        for cat in range(1, 5):
            mine = category == cat
            choices = np.flatnonzero((self.product_category == cat) & (self.product_price4 > 0))
            product[mine] = rng.choice(choices, size=int(mine.sum()))
        qty = np.where(web, 1, np.minimum(rng.geometric(1 / 3.5, n), 40))
        list4 = self.product_price4[product]
        # Resellers pay 60% of list price; web shoppers pay list price.
        unit4 = np.where(web, list4, (list4 * 6 + 5) // 10)
        offer = rng.choice(len(_DISCOUNTS), size=n, p=_DISCOUNT_MIX)
        discount = _DISCOUNTS[offer]
        # Line totals in millionths are exact: qty * price(1e-4) * (100 - percent)(1e-2).
        line6 = qty * unit4 * (100 - discount)
        starts = np.concatenate([[0], np.cumsum(lines)[:-1]])
        sub6 = np.add.reduceat(line6, starts)
        tracking = _tracking_numbers(rng, n_orders)
        self.tables["sales.salesorderdetail"] = pa.table(
            {
                "salesorderid": pa.array(FIRST_SALES_ORDER_ID + of_order, pa.int32()),
                "salesorderdetailid": pa.array(np.arange(1, n + 1), pa.int32()),
                "carriertrackingnumber": pc.if_else(
                    pa.array(web), pa.scalar(None, pa.string()), tracking.take(pa.array(of_order))
                ),
                "orderqty": pa.array(qty, pa.int16()),
                "productid": pa.array(product + 1, pa.int32()),
                "specialofferid": pa.array(_OFFERS[offer], pa.int32()),
                "unitprice": _money(unit4),
                "unitpricediscount": _decimal(discount, 2),
                "rowguid": _uuids(rng, n),
                "modifieddate": _timestamps(order_ms[of_order]),
            }
        )
        # Round half up to 4 decimals, as PostgreSQL's round(numeric, 4) does for positives.
        return np.asarray((sub6 + 50) // 100, dtype=np.int64)


# ----------------------------------------------------------------------------- shapes


def _order_days(rng: np.random.Generator, n: int, *, web: bool) -> np.ndarray:
    """Order days after FIRST_ORDER_DATE: steady growth, and web sales jump in mid-2013."""
    span = int((LAST_ORDER_DATE - FIRST_ORDER_DATE).astype(int)) + 1
    t = np.arange(span) / span
    weight = 1 + 1.5 * t
    if web:
        jump = int((np.datetime64("2013-07-01") - FIRST_ORDER_DATE).astype(int))
        weight[jump:] *= 4
    return rng.choice(span, size=n, p=weight / weight.sum())


def _statuses(rng: np.random.Generator, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Status per order by its age; recent orders are spread over all six statuses.

    Within each age band the statuses are dealt out by quota (then shuffled), so even a tiny
    database has every status its band allows.
    """
    last = int((LAST_ORDER_DATE - FIRST_ORDER_DATE).astype(int))
    age = last - day + 1  # days since the order, counted at SNAPSHOT_AT
    status = np.zeros(len(day), np.int64)
    lower = 0
    for upper, mix in _STATUS_BY_AGE:
        band = np.flatnonzero((age > lower) & (age <= upper))
        shares = np.array(list(mix.values()))
        dealt = np.repeat(np.array(list(mix)), _quotas(len(band), shares))
        status[band] = rng.permutation(dealt)
        lower = upper
    return status, age


def _cover(rng: np.random.Generator, rows: np.ndarray, n: int) -> np.ndarray:
    """`n` picks from `rows`: each row once while they last, then repeat buyers at random."""
    first = rng.permutation(rows)[:n]
    again = rng.choice(rows, size=n - len(first))
    return rng.permutation(np.concatenate([first, again]))


def _quotas(n: int, shares: np.ndarray) -> np.ndarray:
    """Split `n` into integer parts proportional to `shares` (largest remainders)."""
    exact = shares / shares.sum() * n
    counts: np.ndarray = np.floor(exact).astype(np.int64)
    remainder = n - int(counts.sum())
    counts[np.argsort(-(exact - counts), kind="stable")[:remainder]] += 1
    return counts


def _tracking_numbers(rng: np.random.Generator, n: int) -> pa.Array:
    """Carrier tracking numbers like `4911-403C-98`."""
    hexdigits = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)
    chars = hexdigits[rng.integers(0, 16, (n, 12))]
    chars[:, 4] = chars[:, 9] = ord("-")
    return _fixed_strings(chars)


# ----------------------------------------------------------------------------- column helpers


def _ms(value: str | np.datetime64) -> int:
    """Milliseconds since the epoch."""
    moment = np.datetime64(value) if isinstance(value, str) else value
    return int(moment.astype("datetime64[ms]").astype(np.int64))


def _timestamps(ms: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(ms, dtype=np.int64), pa.timestamp("ms"))


def _random_ms(rng: np.random.Generator, n: int, start: str, end: np.datetime64) -> np.ndarray:
    """Random whole-second timestamps in [start, end)."""
    low, high = _ms(start) // 1000, _ms(end) // 1000
    return rng.integers(low, high, n) * 1000


def _money(units: np.ndarray) -> pa.Array:
    """Exact numeric from integer ten-thousandths."""
    return _decimal(units, 4)


def _decimal(units: np.ndarray, scale: int, mask: np.ndarray | None = None) -> pa.Array:
    """A decimal128 column holding `units / 10**scale` exactly (no float on the way)."""
    values = np.asarray(units, dtype=np.int64)
    # decimal128 is a 16-byte little-endian two's complement: low word, then sign extension.
    words = np.stack([values, values >> 63], axis=1)
    array = pa.Array.from_buffers(
        pa.decimal128(19, scale), len(values), [None, pa.py_buffer(words.tobytes())]
    )
    if mask is not None:
        array = pc.if_else(pa.array(mask), pa.scalar(None, array.type), array)
    return array


def _fixed_strings(chars: np.ndarray) -> pa.Array:
    """A string column from an (n, width) array of ASCII codes, without a Python loop."""
    n, width = chars.shape
    data = np.ascontiguousarray(chars, dtype=np.uint8).tobytes()
    offsets = (np.arange(n + 1, dtype=np.int32) * width).tobytes()
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _uuids(rng: np.random.Generator, n: int) -> pa.Array:
    """Version-4 UUID strings drawn from `rng` (deterministic, unlike uuid.uuid4)."""
    raw = rng.integers(0, 256, (n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexchars = _HEX[np.stack([raw >> 4, raw & 0x0F], axis=2).reshape(n, 32)]
    chars = np.insert(hexchars, [8, 12, 16, 20], ord("-"), axis=1)
    return _fixed_strings(chars)


def _digits(rng: np.random.Generator, n: int, width: int) -> pa.Array:
    """Random digit strings of a fixed width (leading zeros kept)."""
    return _fixed_strings(rng.integers(0, 10, (n, width), dtype=np.uint8) + ord("0"))


def _zero_padded(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), width=width, padding="0")


def _pick(rng: np.random.Generator, pool: pa.Array, n: int) -> pa.Array:
    return pool.take(pa.array(rng.integers(0, len(pool), n)))


def _blank_to_null(values: np.ndarray) -> pa.Array:
    array = pa.array(values.astype(str))
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)


def _text_where(mask: np.ndarray, text: str) -> pa.Array:
    """`text` where `mask` holds, NULL elsewhere."""
    return pc.if_else(pa.array(mask), pa.scalar(text), pa.scalar(None, pa.string()))


def _pad(value: object, width: int) -> str | None:
    """char(n) values as PostgreSQL returns them: blank-padded."""
    return None if value is None else str(value).ljust(width)
