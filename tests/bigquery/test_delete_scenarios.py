"""`sync --detect-deletes`, written once and run on every engine (`engine_settings`).

Rows deleted in the source (order lines of the composite-key table, a whole order, a country
whose text key is the empty string) disappear from raw (hard, the default) or get
`_is_deleted = true` (soft), the summary counts them, `reconcile` is clean afterwards, and a
second run finds nothing more. The BigQuery case runs on the emulator.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from adventure_elt.oltp import generator, server
from adventure_elt.replicate.reconcile import reconcile
from adventure_elt.replicate.sync import sync
from adventure_elt.settings import Settings
from adventure_elt.warehouse import open_warehouse
from cli_parse import run_cli

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("emulator_alter_table_metadata")]

HEADER = "sales.salesorderheader"
DETAIL = "sales.salesorderdetail"
COUNTRY = "person.countryregion"
EXTRA_COUNTRY = ""  # an empty text key nothing references, so the test can delete it

# What rows already in raw when the flag column came read: DuckDB fills the column's default
# in, BigQuery applies a default to new rows only (readers coalesce NULL to false).
UNFLAGGED = {"duckdb": [(False,)], "bigquery": [(None,)]}


@dataclass(frozen=True)
class Deleted:
    """What the test deleted in the source."""

    kept_order: int  # lost one line, keeps the others
    lost_line: tuple[int, int]
    lost_order: int  # deleted with all its lines
    lost_order_lines: list[tuple[int, int]]

    @property
    def detail_keys(self) -> set[tuple[int, int]]:
        return {self.lost_line, *self.lost_order_lines}


@pytest.fixture
def synced(engine_settings: Settings) -> Iterator[Settings]:
    """A small synthetic source (plus one unreferenced country) synced to the engine's
    warehouse."""
    settings = engine_settings
    with server.connect(settings) as conn, conn.cursor() as cur:
        generator.seed(conn, scale=0.01, seed=5)
        cur.execute(
            "insert into person.countryregion (countryregioncode, name) values (%s, 'Nowhere')",
            (EXTRA_COUNTRY,),
        )
    sync(settings)
    yield settings


def delete_in_source(settings: Settings) -> Deleted:
    """Delete one line of an order, a whole order (its lines cascade) and the extra country."""
    with server.connect(settings) as conn, conn.cursor() as cur:
        cur.execute(
            "select salesorderid from sales.salesorderdetail group by 1 having count(*) >= 3"
            " order by 1 limit 2"
        )
        kept, lost = (int(r[0]) for r in cur.fetchall())
        cur.execute(
            "select salesorderid, salesorderdetailid from sales.salesorderdetail"
            " where salesorderid = %s order by 2",
            (lost,),
        )
        lost_lines = [(int(a), int(b)) for a, b in cur.fetchall()]
        cur.execute(
            "delete from sales.salesorderdetail where salesorderid = %s and salesorderdetailid ="
            " (select min(salesorderdetailid) from sales.salesorderdetail where salesorderid = %s)"
            " returning salesorderid, salesorderdetailid",
            (kept, kept),
        )
        (line,) = cur.fetchall()
        cur.execute("delete from sales.salesorderheader where salesorderid = %s", (lost,))
        cur.execute(
            "delete from person.countryregion where countryregioncode = %s", (EXTRA_COUNTRY,)
        )
    return Deleted(kept, (int(line[0]), int(line[1])), lost, lost_lines)


def deleted_counts(summary: dict[str, Any]) -> dict[str, int]:
    """Table → rows deleted (or flagged), for the tables where it is not 0."""
    return {t["table"]: t["deleted"] for t in summary["tables"] if t["deleted"]}


def raw_rows(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    """Rows of `sql`, where `{detail}`, `{header}`, `{country}` and `{product}` name the raw
    tables."""
    with open_warehouse(settings) as wh:
        names = {
            "detail": wh.relation("raw", "sales_salesorderdetail"),
            "header": wh.relation("raw", "sales_salesorderheader"),
            "country": wh.relation("raw", "person_countryregion"),
            "product": wh.relation("raw", "production_product"),
        }
        return [tuple(r) for r in wh.fetch_all(sql.format(**names))]


def not_clean(settings: Settings) -> dict[str, str]:
    return {r.table: r.describe() for r in reconcile(settings) if not r.clean}


def expected_counts(deleted: Deleted) -> dict[str, int]:
    return {HEADER: 1, DETAIL: len(deleted.detail_keys), COUNTRY: 1}


def test_sync_detect_deletes_removes_gone_rows(
    synced: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    deleted = delete_in_source(synced)
    assert not_clean(synced) == {
        HEADER: "1 extra key",
        DETAIL: f"{len(deleted.detail_keys)} extra keys",
        COUNTRY: "1 extra key",
    }

    code, out, err = run_cli(
        ["--warehouse", synced.warehouse, "sync", "--detect-deletes", "--json"], capsys
    )

    assert code == 0, err
    assert deleted_counts(json.loads(out)) == expected_counts(deleted)
    orders = f"({deleted.kept_order}, {deleted.lost_order})"
    lines = raw_rows(
        synced,
        "select salesorderid, salesorderdetailid from {detail} where salesorderid in " + orders,
    )
    assert lines and not deleted.detail_keys & set(lines)
    assert {o for o, _ in lines} == {deleted.kept_order}  # the order keeps its other lines
    headers = raw_rows(synced, "select salesorderid from {header} where salesorderid in " + orders)
    assert headers == [(deleted.kept_order,)]
    gone = f"select * from {{country}} where countryregioncode = '{EXTRA_COUNTRY}'"
    assert raw_rows(synced, gone) == []
    assert not_clean(synced) == {}
    with open_warehouse(synced) as wh:  # the staged key tables are dropped again
        assert [t for t in wh.list_tables("raw") if t.startswith("_source_keys")] == []
        assert "_is_deleted" not in wh.column_types("raw", "sales_salesorderdetail")

    again = sync(synced, detect_deletes=True)

    assert deleted_counts(again.as_dict()) == {}
    assert not_clean(synced) == {}

    # a source table emptied completely: every raw row goes (no key table to stage)
    with server.connect(synced) as conn, conn.cursor() as cur:
        cur.execute("delete from sales.salesorderdetail")
    ((remaining,),) = raw_rows(synced, "select count(*) from {detail}")
    emptied = sync(synced, tables=DETAIL, detect_deletes=True)
    assert deleted_counts(emptied.as_dict()) == {DETAIL: remaining}
    assert raw_rows(synced, "select count(*) from {detail}") == [(0,)]
    assert not_clean(synced) == {}


def test_soft_mode_flags_gone_rows_and_reconcile_treats_them_as_deleted(
    synced: Settings,
) -> None:
    settings = dataclasses.replace(synced, delete_mode="soft")
    deleted = delete_in_source(settings)
    ((before,),) = raw_rows(settings, "select count(*) from {detail}")

    summary = sync(settings, detect_deletes=True)

    assert deleted_counts(summary.as_dict()) == expected_counts(deleted)
    flagged = raw_rows(
        settings,
        "select salesorderid, salesorderdetailid from {detail}"
        " where coalesce(_is_deleted, false) order by 1, 2",
    )
    assert set(flagged) == deleted.detail_keys
    assert raw_rows(settings, "select count(*) from {detail}") == [(before,)]  # rows stay
    assert raw_rows(
        settings, "select salesorderid from {header} where coalesce(_is_deleted, false)"
    ) == [(deleted.lost_order,)]
    assert raw_rows(
        settings, "select countryregioncode from {country} where coalesce(_is_deleted, false)"
    ) == [(EXTRA_COUNTRY,)]
    # the rows not flagged, and every row of a table with nothing deleted, read "not deleted"
    unflagged = UNFLAGGED[settings.warehouse]
    live = "select distinct _is_deleted from {detail} where not coalesce(_is_deleted, false)"
    assert raw_rows(settings, live) == unflagged
    assert raw_rows(settings, "select distinct _is_deleted from {product}") == unflagged
    # soft-deleted rows count as deleted: the warehouse holds exactly the source's live rows
    assert not_clean(settings) == {}
    (detail,) = reconcile(settings, tables=DETAIL)
    assert detail.warehouse_rows == detail.source_rows == before - len(deleted.detail_keys)
    assert detail.compared_by == "fingerprint"  # the flagged rows are left out of it too

    again = sync(settings, detect_deletes=True)

    assert deleted_counts(again.as_dict()) == {}
    assert raw_rows(settings, "select count(*) from {detail} where _is_deleted") == [
        (len(deleted.detail_keys),)
    ]
    assert not_clean(settings) == {}

    # a flagged key that comes back in the source but was not synced again is reported missing
    with server.connect(settings) as conn, conn.cursor() as cur:
        cur.execute(
            "insert into person.countryregion (countryregioncode, name) values (%s, 'Nowhere')",
            (EXTRA_COUNTRY,),
        )
    (country,) = reconcile(settings, tables=COUNTRY)
    assert (country.missing_keys, country.extra_keys, country.clean) == (1, 0, False)
