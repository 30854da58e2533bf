"""The synthetic generator's invariants, checked on small scales without a database."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adventure_elt.catalog import TABLES
from adventure_elt.errors import ConfigError
from adventure_elt.oltp.generator import LAST_ORDER_DATE, RECENT_DAYS, Sizes, generate, to_csv
from adventure_elt.oltp.schema import ddl_path

# (child table, column) → (parent table, column): every foreign key among the 12 tables.
FOREIGN_KEYS = {
    ("person.stateprovince", "countryregioncode"): ("person.countryregion", "countryregioncode"),
    ("person.address", "stateprovinceid"): ("person.stateprovince", "stateprovinceid"),
    ("sales.customer", "personid"): ("person.person", "businessentityid"),
    ("sales.customer", "storeid"): ("sales.store", "businessentityid"),
    ("production.productsubcategory", "productcategoryid"): (
        "production.productcategory",
        "productcategoryid",
    ),
    ("production.product", "productsubcategoryid"): (
        "production.productsubcategory",
        "productsubcategoryid",
    ),
    ("sales.salesorderheader", "customerid"): ("sales.customer", "customerid"),
    ("sales.salesorderheader", "billtoaddressid"): ("person.address", "addressid"),
    ("sales.salesorderheader", "shiptoaddressid"): ("person.address", "addressid"),
    ("sales.salesorderheader", "creditcardid"): ("sales.creditcard", "creditcardid"),
    ("sales.salesorderdetail", "salesorderid"): ("sales.salesorderheader", "salesorderid"),
    ("sales.salesorderdetail", "productid"): ("production.product", "productid"),
}

small_scales = st.floats(min_value=0.005, max_value=0.02, allow_nan=False)
seeds = st.integers(min_value=0, max_value=2**31 - 1)
few = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def tables(scale: float, seed: int) -> dict[str, pa.Table]:
    return generate(scale=scale, seed=seed)


def ddl_columns(table_name: str) -> list[str]:
    table = next(t for t in TABLES if t.qualified_name == table_name)
    body = ddl_path(table).read_text().split("(", 1)[1].split("\n);", 1)[0]
    return [m for m in re.findall(r"^    (\w+) ", body, flags=re.M) if m != "primary"]


def test_tables_have_the_ddl_columns_in_load_order() -> None:
    data = tables(0.01, 0)
    assert list(data) == [t.qualified_name for t in TABLES]
    for name, table in data.items():
        assert table.column_names == ddl_columns(name), name


@few
@given(scale=small_scales, seed=seeds)
def test_every_foreign_key_resolves_and_keys_are_unique(scale: float, seed: int) -> None:
    data = generate(scale=scale, seed=seed)
    for (child, column), (parent, key) in FOREIGN_KEYS.items():
        values = data[child][column].drop_null()
        orphans = pc.invert(pc.is_in(values, value_set=data[parent][key]))
        assert pc.sum(orphans).as_py() in (0, None), f"{child}.{column} → {parent}"
    for table in TABLES:
        keys = data[table.qualified_name].select(list(table.primary_key))
        assert keys.group_by(list(table.primary_key)).aggregate([]).num_rows == keys.num_rows


@few
@given(scale=small_scales, seed=seeds)
def test_order_totals_are_exact(scale: float, seed: int) -> None:
    data = generate(scale=scale, seed=seed)
    sums: dict[int, Decimal] = {}
    for line in data["sales.salesorderdetail"].to_pylist():
        total = line["orderqty"] * line["unitprice"] * (1 - line["unitpricediscount"])
        sums[line["salesorderid"]] = sums.get(line["salesorderid"], Decimal(0)) + total
    for order in data["sales.salesorderheader"].to_pylist():
        expected = sums[order["salesorderid"]].quantize(Decimal("0.0001"), ROUND_HALF_UP)
        assert order["subtotal"] == expected
        assert order["totaldue"] == order["subtotal"] + order["taxamt"] + order["freight"]
        assert order["taxamt"] > 0 and order["freight"] > 0


@few
@given(seed=seeds)
def test_same_seed_gives_the_same_bytes(seed: int) -> None:
    first = {name: to_csv(t) for name, t in generate(scale=0.005, seed=seed).items()}
    second = {name: to_csv(t) for name, t in generate(scale=0.005, seed=seed).items()}
    assert first == second
    other = {name: to_csv(t) for name, t in generate(scale=0.005, seed=seed + 1).items()}
    assert other["sales.salesorderheader"] != first["sales.salesorderheader"]
    assert other["person.person"] != first["person.person"]


@settings(max_examples=3, deadline=None)
@given(scale=st.floats(min_value=0.05, max_value=0.1), seed=seeds)
def test_recent_orders_use_all_six_statuses_and_old_ones_shipped(scale: float, seed: int) -> None:
    orders = generate(scale=scale, seed=seed)["sales.salesorderheader"]
    cutoff = pa.scalar((LAST_ORDER_DATE - RECENT_DAYS).astype("datetime64[ms]"))
    recent = pc.greater(orders["orderdate"], cutoff)
    statuses = set(orders.filter(recent)["status"].to_pylist())
    assert statuses == {1, 2, 3, 4, 5, 6}
    old = orders.filter(pc.invert(recent))["status"].to_numpy()
    assert (old == 5).mean() > 0.95


def test_counts_follow_the_scale() -> None:
    one, ten = Sizes.for_scale(1.0), Sizes.for_scale(10.0)
    assert (one.orders, one.addresses, one.cards) == (31_465, 19_614, 19_118)
    assert one.stores + one.individuals + one.store_contact_customers == 19_820
    assert one.other_persons + one.store_contacts + one.individuals == 19_972
    assert ten.orders == 10 * one.orders and ten.individuals == 10 * one.individuals
    small, double = tables(0.01, 3), tables(0.02, 3)
    for name in ("person.countryregion", "person.stateprovince", "production.product"):
        assert small[name].num_rows == double[name].num_rows
    assert small["production.product"].num_rows == 504
    assert small["production.productsubcategory"].num_rows == 37
    assert small["person.countryregion"].num_rows == 238
    assert small["person.stateprovince"].num_rows == 181
    for name in ("sales.customer", "person.person", "person.address", "sales.salesorderheader"):
        assert abs(double[name].num_rows - 2 * small[name].num_rows) <= 2, name
    lines = double["sales.salesorderdetail"].num_rows / small["sales.salesorderdetail"].num_rows
    assert 1.7 < lines < 2.3


def test_the_data_looks_like_adventureworks() -> None:
    data = tables(0.1, 0)
    orders, lines = data["sales.salesorderheader"], data["sales.salesorderdetail"]
    assert data["production.productcategory"]["name"].to_pylist() == [
        "Bikes",
        "Components",
        "Clothing",
        "Accessories",
    ]
    # Orders span the real three years and grow: the last year has more than the first.
    dates = orders["orderdate"].to_numpy()
    assert str(dates.min())[:10] >= "2011-05-31" and str(dates.max())[:10] <= "2014-06-30"
    years = dates.astype("datetime64[Y]").astype(int) + 1970
    assert (years == 2013).sum() > 2 * (years == 2011).sum()
    # Ship-to countries: the US first, then Australia, Canada, UK, France, Germany.
    state_of = dict(
        zip(
            data["person.address"]["addressid"].to_pylist(),
            data["person.address"]["stateprovinceid"].to_pylist(),
            strict=True,
        )
    )
    country_of = data["person.stateprovince"]["countryregioncode"].to_pylist()
    countries = [country_of[state_of[a] - 1] for a in orders["shiptoaddressid"].to_pylist()]
    ranking = sorted(set(countries), key=countries.count, reverse=True)
    assert ranking[:4] == ["US", "AU", "CA", "GB"] and set(ranking[4:]) == {"FR", "DE"}
    # Bikes bring most of the revenue.
    products = data["production.product"]
    subcategory = dict(
        zip(
            products["productid"].to_pylist(),
            products["productsubcategoryid"].to_pylist(),
            strict=True,
        )
    )
    category = data["production.productsubcategory"]["productcategoryid"].to_pylist()
    revenue = np.zeros(5)
    for line in lines.select(["productid", "orderqty", "unitprice"]).to_pylist():
        revenue[category[subcategory[line["productid"]] - 1]] += line["orderqty"] * float(
            line["unitprice"]
        )
    assert revenue[1] > 0.6 * revenue.sum()
    # Stores and individuals buy; some orders have no credit card; nothing changes before it exists.
    customers = data["sales.customer"]
    assert customers["storeid"].null_count > 0 and customers["personid"].null_count > 0
    assert 0 < orders["creditcardid"].null_count < orders.num_rows / 10
    assert pc.all(pc.greater_equal(orders["modifieddate"], orders["orderdate"])).as_py()
    assert set(data["person.person"]["persontype"].to_pylist()) >= {"IN", "SC"}


@pytest.mark.parametrize("scale", [0, -1, 1000])
def test_a_scale_out_of_range_is_a_config_error(scale: float) -> None:
    with pytest.raises(ConfigError, match="scale must be"):
        generate(scale=scale)
