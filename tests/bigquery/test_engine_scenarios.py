"""Scenarios written once and run on every engine through the `engine` fixture.

The `engine` fixture yields an open adapter of each registered engine; the BigQuery case carries
the `bigquery` marker (it runs on the emulator), as dlt's `destinations_configs` does for its
destinations. A third engine adds one `pytest.param` to `ENGINE_CASES` (in `bq_helpers.py`).
Scenarios that also need a source and a sync take `engine_settings` (conftest.py) instead, as
test_delete_scenarios.py does.

Column names are mixed case on purpose: every statement must quote through the adapter.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from bq_helpers import ENGINE_CASES, PROJECT, emulator_environment, unique_prefix

from adventure_elt.settings import Settings
from adventure_elt.transform.materialize import Materializer
from adventure_elt.warehouse import ENGINES, Warehouse, open_warehouse

LAYER = "marts"


def test_every_registered_engine_is_a_case() -> None:
    assert sorted(ENGINES) == sorted(p.values[0] for p in ENGINE_CASES)


@pytest.fixture(params=ENGINE_CASES)
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Warehouse]:
    """An open warehouse of each engine, with the `marts` layer created."""
    settings = Settings(duckdb_path=tmp_path / "w.duckdb", home=tmp_path)
    if request.param == "bigquery":
        prefix = unique_prefix()
        emulator_environment(monkeypatch, request.getfixturevalue("bq_emulator"), prefix)
        settings = dataclasses.replace(
            settings,
            warehouse="bigquery",
            bigquery_project=PROJECT,
            bigquery_dataset_prefix=prefix,
        )
    with open_warehouse(settings) as warehouse:
        warehouse.create_layer(LAYER)
        yield warehouse


def _rows(wh: Warehouse, name: str, order: str) -> list[tuple[object, ...]]:
    return wh.fetch_all(f"select * from {wh.relation(LAYER, name)} order by {wh.quote(order)}")


def test_an_incremental_merge_of_mixed_case_columns_writes_only_changes(engine: Warehouse) -> None:
    wh, q = engine, engine.quote
    first = f"select 1 as {q('OrderID')}, 'a' as {q('Status Name')} union all select 2, 'b'"
    second = f"select 1 as {q('OrderID')}, 'A' as {q('Status Name')} union all select 3, 'c'"
    materializer = Materializer(wh)

    built = materializer.incremental(LAYER, "merged", first, ["OrderID"])
    merged = materializer.incremental(LAYER, "merged", second, ["OrderID"])

    assert built.full_refresh and built.rows == 2
    # one insert, one update, one delete (the emulator gives only the total of a MERGE)
    assert (merged.changed, merged.rows, merged.full_refresh) == (3, 2, False)
    if (merged.inserted, merged.deleted) != (0, 0):
        assert (merged.inserted, merged.updated, merged.deleted) == (1, 1, 1)
    assert _rows(wh, "merged", "OrderID") == [(1, "A"), (3, "c")]


def test_staged_keys_drive_one_delete_statement(engine: Warehouse) -> None:
    wh, q = engine, engine.quote
    wh.replace_table(
        LAYER,
        "lines",
        f"select 1 as {q('OrderID')}, 1 as {q('Line')} union all select 1, 2 union all select 2, 1",
    )
    keys = pa.table({"OrderID": pa.array([1], pa.int64()), "Line": pa.array([2], pa.int64())})
    target = wh.relation(LAYER, "lines")

    with wh.stage(keys, LAYER, "keys") as staged, wh.transaction():
        deleted = wh.execute_dml(
            f"delete from {target} as r where not exists (select 1 from {staged} as k"
            f" where k.{q('OrderID')} = r.{q('OrderID')} and k.{q('Line')} = r.{q('Line')})"
        )

    assert deleted == 2
    assert _rows(wh, "lines", "Line") == [(1, 2)]
    assert not [t for t in wh.list_tables(LAYER) if t.startswith("_keys")]  # staging is gone


def test_a_change_batch_is_applied_by_key_with_deletes(engine: Warehouse) -> None:
    wh, q = engine, engine.quote
    wh.replace_table(
        LAYER, "orders", f"select 1 as {q('ID')}, 'old' as v union all select 2, 'keep'"
    )
    batch = pa.table(
        {
            "ID": pa.array([1, 3, 2], pa.int64()),
            "v": ["new", "added", None],
            "_deleted": [False, False, True],
        }
    )

    wh.upsert(LAYER, "orders", batch, ["ID"], deleted="_deleted")

    assert _rows(wh, "orders", "ID") == [(1, "new"), (3, "added")]


def test_a_soft_delete_batch_flags_deleted_keys_and_clears_reinserted_ones(
    engine: Warehouse,
) -> None:
    wh, q = engine, engine.quote
    wh.replace_table(
        LAYER, "orders", f"select 1 as {q('ID')}, 'old' as v union all select 2, 'keep'"
    )
    batch = pa.table(
        {
            "ID": pa.array([1, 2], pa.int64()),
            "v": ["new", None],
            "_deleted": [False, True],
        }
    )

    wh.upsert(LAYER, "orders", batch, ["ID"], deleted="_deleted", flag="Is Deleted")
    wh.upsert(LAYER, "orders", batch, ["ID"], deleted="_deleted", flag="Is Deleted")

    assert _rows(wh, "orders", "ID") == [(1, "new", False), (2, "keep", True)]
    back = pa.table({"ID": pa.array([2], pa.int64()), "v": ["back"], "_deleted": [False]})
    wh.upsert(LAYER, "orders", back, ["ID"], deleted="_deleted", flag="Is Deleted")
    assert _rows(wh, "orders", "ID") == [(1, "new", False), (2, "back", False)]


def test_columns_a_table_lacks_are_added_and_take_upserted_rows(engine: Warehouse) -> None:
    wh, q = engine, engine.quote
    wh.replace_table(LAYER, "wide", f"select 1 as {q('ID')}")
    at = datetime(2024, 5, 1, 9, 30)
    rows = pa.table(
        {
            "ID": pa.array([1], pa.int64()),
            "Seen At": pa.array([at], pa.timestamp("us")),
            "Amount": pa.array([Decimal("1.5")], pa.decimal128(38, 9)),
        }
    )

    wh.add_columns(LAYER, "wide", rows.schema)
    wh.add_columns(LAYER, "wide", rows.schema)  # nothing lacking: nothing to do
    wh.upsert(LAYER, "wide", rows, ["ID"], deleted=None)

    assert _rows(wh, "wide", "ID") == [(1, at, Decimal("1.5"))]


def test_nested_transactions_are_one(engine: Warehouse) -> None:
    """Upserts inside an outer transaction commit or roll back together where the engine has
    transactions; elsewhere each statement stands on its own."""
    wh, q = engine, engine.quote
    wh.replace_table(LAYER, "pair", f"select 1 as {q('ID')}, 'a' as v")
    batch = pa.table({"ID": pa.array([1], pa.int64()), "v": ["b"]})

    with pytest.raises(ZeroDivisionError), wh.transaction():
        wh.upsert(LAYER, "pair", batch, ["ID"], deleted=None)
        with wh.transaction():
            _ = 1 / 0

    expected = [(1, "a")] if wh.transactional else [(1, "b")]
    assert _rows(wh, "pair", "ID") == expected
    wh.upsert(LAYER, "pair", batch, ["ID"], deleted=None)  # the handle is usable afterwards
    assert _rows(wh, "pair", "ID") == [(1, "b")]


def test_the_canonical_text_hash_is_the_same_on_every_engine(engine: Warehouse) -> None:
    """md5 of `1.5`, `2024-05-01 09:30:00.000500`, NULL-mark and `x`, joined by 0x1F: the
    expected value is computed here from the documented rule, not by the code under test."""
    wh = engine
    rows = pa.table(
        {
            "Amount": pa.array([Decimal("1.500000000")], pa.decimal128(38, 9)),
            "At": pa.array([datetime(2024, 5, 1, 9, 30, 0, 500)], pa.timestamp("us")),
            "Missing": pa.array([None], pa.string()),
            "Text": ["x"],
        }
    )
    wh.ensure_table(LAYER, "hashed", rows.schema)
    wh.append(LAYER, "hashed", rows)
    types = wh.column_types(LAYER, "hashed")
    texts = [wh.canonical_text(name, kind) for name, kind in types.items()]

    ((found,),) = wh.fetch_all(f"select {wh.row_hash(texts)} from {wh.relation(LAYER, 'hashed')}")

    text = "\x1f".join(["1.5", "2024-05-01 09:30:00.000500", "\x1e", "x"])
    assert found == hashlib.md5(text.encode()).hexdigest()


def test_an_early_year_is_written_with_four_digits_on_every_engine(engine: Warehouse) -> None:
    """Canonical text pads the year as PostgreSQL's `YYYY` does (`0001`): BigQuery's own `%Y`
    would write `1`, and a `0001-01-01` stand-in date would then differ in every row."""
    wh = engine
    at = [datetime(1, 1, 1), datetime(999, 3, 4, 5, 6, 7, 123), datetime(2024, 5, 1, 9, 30)]
    rows = pa.table(
        {
            "n": pa.array([1, 2, 3, 4], pa.int64()),
            "At": pa.array([*at, None], pa.timestamp("us")),
            "On": pa.array([t.date() for t in at] + [None], pa.date32()),
        }
    )
    wh.ensure_table(LAYER, "early", rows.schema)
    wh.append(LAYER, "early", rows)
    types = wh.column_types(LAYER, "early")
    texts = ", ".join(wh.canonical_text(name, types[name]) for name in ("At", "On"))

    found = wh.fetch_all(f"select {texts} from {wh.relation(LAYER, 'early')} order by n")

    assert found == [
        ("0001-01-01 00:00:00.000000", "0001-01-01"),
        ("0999-03-04 05:06:07.000123", "0999-03-04"),
        ("2024-05-01 09:30:00.000000", "2024-05-01"),
        (None, None),
    ]


def test_a_hash_slice_is_the_number_its_hex_digits_spell_on_every_engine(engine: Warehouse) -> None:
    """`reconcile`'s fingerprint sums 8-digit slices of row hashes: the same numbers as
    PostgreSQL's (`test_reconcile.py`), unsigned up to 2³² − 1, checked against Python's int()."""
    wh = engine
    digests = ["0cc175b9c0f1b6a831c399e269772661", "ffffffff8000000000000000000000ff"]
    rows = " union all ".join(f"select '{d}' as h" for d in digests)
    for start in (1, 9):
        expected = [int(d[start - 1 : start + 7], 16) for d in digests]
        found = wh.fetch_all(
            f"select {wh.hash_slice('h', start)} as n from ({rows}) as hashes order by n"
        )
        assert [n for (n,) in found] == sorted(expected)
        ((total,),) = wh.fetch_all(f"select sum({wh.hash_slice('h', start)}) from ({rows}) as t")
        assert total == sum(expected)
