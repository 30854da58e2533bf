"""The SQL models keep the project's rules: they parse, staging stays thin, every model is
documented with its grain and a checked key, and `_models.yml` only names columns that exist."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import sqlglot
import yaml
from sqlglot import exp

SQL = Path(__file__).resolve().parents[2] / "sql"
LAYERS = ("staging", "marts", "reports")
MODEL_FILES = sorted(p for layer in LAYERS for p in (SQL / layer).glob("*.sql"))
STAGING_FILES = sorted((SQL / "staging").glob("*.sql"))


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _parse(path: Path) -> exp.Expression:
    statements = [s for s in sqlglot.parse(path.read_text(), read="bigquery") if s is not None]
    assert len(statements) == 1, f"{_id(path)}: expected one statement"
    return statements[0]


def _entries(layer: str) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((SQL / layer / "_models.yml").read_text())
    return {str(e["name"]): e for e in data["models"]}


def _tables(ast: exp.Expression) -> set[str]:
    ctes = {cte.alias_or_name for cte in ast.find_all(exp.CTE)}
    return {
        f"{t.db}.{t.name}"
        for t in ast.find_all(exp.Table)
        if t.name and not isinstance(t.this, exp.Func | exp.Unnest) and t.name not in ctes
    }


def _final_columns(ast: exp.Expression) -> list[str]:
    final = next(c for c in ast.find_all(exp.CTE) if c.alias_or_name == "final")
    query = final.this
    while isinstance(query, exp.SetOperation):
        query = query.left
    assert isinstance(query, exp.Select)
    return [e.alias_or_name for e in query.expressions]


def _column_tests(column: dict[str, Any]) -> set[str]:
    names = set()
    for test in column.get("tests") or []:
        names.add(test if isinstance(test, str) else next(iter(test)))
    return names


def test_each_raw_table_has_one_staging_model() -> None:
    """The twelve replicated tables, plus the streamed web events."""
    from adventure_elt.catalog import TABLES

    read = {next(iter(_tables(_parse(p)))) for p in STAGING_FILES}
    assert read == {f"raw.{t.raw_name}" for t in TABLES} | {"raw.web_events"}
    assert len(STAGING_FILES) == 13


@pytest.mark.parametrize("path", MODEL_FILES, ids=_id)
def test_model_parses_as_bigquery_and_ends_with_select_star_from_final(path: Path) -> None:
    ast = _parse(path)
    assert isinstance(ast, exp.Select), f"{_id(path)} is not a single select"
    assert ast.sql(dialect="bigquery").lower().endswith("select * from final"), (
        f"{_id(path)} must end with `select * from final`"
    )
    assert path.stem == path.stem.lower()
    for table in _tables(ast):
        layer = table.split(".")[0]
        assert layer in ("raw", "seeds", *LAYERS), f"{_id(path)} reads {table} without a layer"


@pytest.mark.parametrize("path", STAGING_FILES, ids=_id)
def test_staging_model_reads_one_raw_table_without_joins_or_aggregation(path: Path) -> None:
    ast = _parse(path)
    tables = _tables(ast)
    assert len(tables) == 1 and next(iter(tables)).startswith("raw."), tables
    assert not list(ast.find_all(exp.Join)), f"{_id(path)} joins"
    assert not list(ast.find_all(exp.AggFunc)), f"{_id(path)} aggregates"
    assert not list(ast.find_all(exp.Group)), f"{_id(path)} groups"
    assert path.stem.startswith("stg_") and "__" in path.stem
    # Rows a soft-delete sync flagged stop here (transform gives every raw table the flag).
    if path.stem != "stg_web__events":
        assert "where not coalesce(_is_deleted, false)" in path.read_text()


@pytest.mark.parametrize("path", MODEL_FILES, ids=_id)
def test_model_is_documented_with_its_grain_and_a_checked_key(path: Path) -> None:
    entries = _entries(path.parent.name)
    assert path.stem in entries, f"{_id(path)} has no entry in _models.yml"
    entry = entries[path.stem]
    description = " ".join(str(entry.get("description", "")).lower().split())
    assert "one row per" in description or "exactly one row" in description, (
        f"{_id(path)}: the description must state the grain"
    )
    keyed = any(
        {"not_null", "unique"} <= _column_tests(column) for column in entry.get("columns") or []
    )
    composite = any(t.get("name") == "grain_is_unique" for t in entry.get("tests") or [])
    assert keyed or composite, f"{_id(path)}: no not_null+unique key and no grain_is_unique check"


@pytest.mark.parametrize("layer", LAYERS)
def test_models_yml_names_only_existing_models_and_columns(layer: str) -> None:
    for name, entry in _entries(layer).items():
        path = SQL / layer / f"{name}.sql"
        assert path.is_file(), f"_models.yml declares {layer}.{name} but {path} is missing"
        columns = set(_final_columns(_parse(path)))
        for column in entry.get("columns") or []:
            assert column["name"] in columns, f"{layer}.{name} has no column {column['name']}"
        for key in entry.get("unique_key") or []:
            assert key in columns


def test_every_relationship_points_at_an_existing_model_or_seed() -> None:
    known = {f"seeds.{p.stem}" for p in (SQL / "seeds").glob("*.csv")}
    known |= {f"{p.parent.name}.{p.stem}" for p in MODEL_FILES}
    for layer in LAYERS:
        for name, entry in _entries(layer).items():
            for column in entry.get("columns") or []:
                for test in column.get("tests") or []:
                    if isinstance(test, dict) and "relationships" in test:
                        target = test["relationships"]["to"]
                        assert target in known, f"{layer}.{name}.{column['name']} → {target}"


def test_the_facts_are_incremental_on_their_grain_and_partitioned() -> None:
    marts = _entries("marts")
    assert marts["fct_sales"]["materialized"] == "incremental"
    assert marts["fct_sales"]["unique_key"] == ["sales_order_id", "sales_order_detail_id"]
    for fact in ("fct_sales", "fct_orders"):
        assert marts[fact]["partition_by"]["field"] == "order_date"
        assert marts[fact]["cluster_by"]


def test_seeds_name_every_status_and_both_ways_of_ordering() -> None:
    with (SQL / "seeds" / "order_status.csv").open(newline="") as f:
        statuses = {int(r["status_code"]): r["status_name"] for r in csv.DictReader(f)}
    assert statuses == {
        1: "In process",
        2: "Approved",
        3: "Backordered",
        4: "Rejected",
        5: "Shipped",
        6: "Cancelled",
    }
    with (SQL / "seeds" / "online_order_flag.csv").open(newline="") as f:
        flags = {r["online_order_flag"]: r["online_order_flag_name"] for r in csv.DictReader(f)}
    assert flags == {"false": "Placed by a sales person", "true": "Placed online"}


def test_model_unit_tests_name_existing_models_and_their_inputs() -> None:
    tests = sorted((SQL.parent / "tests" / "models").glob("*.yml"))
    assert {yaml.safe_load(p.read_text())["model"] for p in tests} >= {
        "marts.dim_customer",
        "marts.fct_sales",
        "marts.dim_date",
        "reports.rpt_new_customers",
    }
    for path in tests:
        spec = yaml.safe_load(path.read_text())
        layer, name = spec["model"].split(".")
        model = SQL / layer / f"{name}.sql"
        assert model.is_file(), f"{path.name}: no model {spec['model']}"
        assert set(spec["inputs"]) == _tables(_parse(model)), f"{path.name}: inputs ≠ upstreams"
        columns = set(_final_columns(_parse(model)))
        for row in spec["expected"]:
            assert set(row) <= columns, f"{path.name}: unknown columns {set(row) - columns}"
