"""The hostile `--where` corpus through the CLI on DuckDB: refused, and nothing touched.

The warehouse is a private copy of the session's demo warehouse (built by the real pipeline).
After each filter: exit 2 with one line naming what is not allowed, no new or grown file in the
working folder or the warehouse's, every table with the rows it had. Honest filters still
answer, each checked against a plain SQL query over the marts; Canada's revenue on the real
AdventureWorks data too.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from adventure_elt.paths import adventureworks_dir
from adventure_elt.settings import Settings
from hostile.hostile_checks import assert_refused, duckdb_row_counts, files_under, run_cli
from hostile.hostile_filters import (
    HARMLESS,
    HONEST,
    HOSTILE,
    HOSTILE_FIELDS,
    SALES_BY_COUNTRY,
)

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

ADVENTUREWORKS = adventureworks_dir()


@dataclass(frozen=True)
class Warehouse:
    """A DuckDB warehouse of the test's own, and the folder the CLI runs in."""

    path: Path
    workdir: Path

    def query(self, *args: str) -> list[str]:
        return ["--duckdb-path", str(self.path), "query", *args]

    def sql(self, statement: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(statement).fetchall()

    def untouched(self) -> tuple[dict[Path, int], dict[str, int]]:
        return files_under(self.workdir, self.path.parent), duckdb_row_counts(self.path)


@pytest.fixture(scope="module")
def warehouse(demo_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    folder = tmp_path_factory.mktemp("hostile-duckdb")
    (folder / "warehouse").mkdir()
    (folder / "work").mkdir()
    path = folder / "warehouse" / "warehouse.duckdb"
    shutil.copyfile(demo_warehouse.duckdb_path, path)
    return Warehouse(path, folder / "work")


@pytest.fixture
def in_workdir(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    monkeypatch.chdir(warehouse.workdir)
    return warehouse


@pytest.mark.parametrize(("name", "text", "word"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_filter_is_refused_and_changes_nothing(
    in_workdir: Warehouse, name: str, text: str, word: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = in_workdir.untouched()

    result = run_cli(
        in_workdir.query("revenue", "--by", "geography.country", "--where", text), capsys
    )

    assert_refused(result, word)
    assert in_workdir.untouched() == before


@pytest.mark.parametrize(
    ("name", "args", "word"), HOSTILE_FIELDS, ids=[h[0] for h in HOSTILE_FIELDS]
)
def test_hostile_names_are_refused_and_change_nothing(
    in_workdir: Warehouse,
    name: str,
    args: list[str],
    word: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = in_workdir.untouched()

    assert_refused(run_cli(in_workdir.query(*args), capsys), word)
    assert in_workdir.untouched() == before


def test_the_corpus_is_big_enough() -> None:
    assert len(HOSTILE) >= 30
    assert len({name for name, _, _ in HOSTILE}) == len(HOSTILE)


@pytest.mark.parametrize(("name", "text"), HARMLESS, ids=[h[0] for h in HARMLESS])
def test_hostile_looking_strings_stay_data(
    in_workdir: Warehouse, name: str, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = in_workdir.untouched()

    code, out, err = run_cli(
        in_workdir.query("revenue", "--by", "geography.country", "--where", text, "--json"), capsys
    )

    assert (code, err) == (0, "")
    assert json.loads(out) == []  # compared as a value: no country has that name
    assert in_workdir.untouched() == before


@pytest.mark.parametrize(("where", "sql"), HONEST, ids=[" and ".join(h[0]) for h in HONEST])
def test_honest_filters_still_answer(
    in_workdir: Warehouse, where: list[str], sql: str, capsys: pytest.CaptureFixture[str]
) -> None:
    options = [item for text in where for item in ("--where", text)]

    code, out, err = run_cli(
        in_workdir.query("revenue", "--by", "geography.country", *options, "--json"), capsys
    )

    assert (code, err) == (0, "")
    answer = {row["geography_country"]: round(row["revenue"], 2) for row in json.loads(out)}
    expected = {
        country: float(round(value, 2))
        for country, value in in_workdir.sql(sql.format(marts="marts"))
    }
    assert answer == expected and answer


@pytest.fixture(scope="module")
def real_warehouse(
    pg_admin_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Warehouse]:
    """The real AdventureWorks data, loaded, synced and transformed by the real pipeline."""
    from adventure_elt.oltp import server
    from adventure_elt.oltp.loader import load_csv
    from adventure_elt.replicate.sync import sync
    from adventure_elt.transform import transform
    from pg_databases import fresh_database

    folder = tmp_path_factory.mktemp("hostile-real")
    with fresh_database(pg_admin_dsn) as db, pytest.MonkeyPatch.context() as patch:
        patch.setenv("DLT_DATA_DIR", str(folder / "dlt-data"))
        settings = Settings(source_dsn=db.dsn, duckdb_path=folder / "w.duckdb", home=folder)
        with server.connect(settings) as conn:
            load_csv(conn, ADVENTUREWORKS)
        sync(settings)
        transform(settings)
        (folder / "work").mkdir()
        yield Warehouse(settings.duckdb_path, folder / "work")


def test_canadas_revenue_on_the_real_data(
    real_warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(real_warehouse.workdir)
    (expected,) = real_warehouse.sql(
        f"{SALES_BY_COUNTRY} where a.country_name = 'Canada' group by 1".format(marts="marts")
    )

    code, out, err = run_cli(
        real_warehouse.query("revenue", "--where", "geography.country = 'Canada'", "--json"), capsys
    )

    assert (code, err) == (0, "")
    assert [round(row["revenue"], 2) for row in json.loads(out)] == [float(round(expected[1], 2))]
    assert round(expected[1], 2) == Decimal("16355770.45")  # as the README shows

    before = real_warehouse.untouched()
    result = run_cli(
        real_warehouse.query(
            "revenue", "--where", "revenue > 0; copy marts.fct_sales to 'out.csv'"
        ),
        capsys,
    )
    assert_refused(result, "several statements")
    assert real_warehouse.untouched() == before
