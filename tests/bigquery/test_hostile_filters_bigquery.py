"""The hostile `--where` corpus through the CLI on BigQuery (the emulator, the real client).

On BigQuery a multi-statement query runs as a script with the job's rights, so every filter of
`tests/hostile/hostile_filters.py` must be refused here too: exit 2 and one line, no new file in
the working folder or home, and not a single BigQuery job started (nothing reached the
warehouse). After the corpus, every table still has the rows it had, counted by a plain query
(the emulator's table metadata does not follow DML, and counting 63 tables after each filter
took 3 s each). The honest filters still answer (Canada's revenue among them), each equal to the
same question in plain BigQuery SQL over the marts.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from bq_helpers import PROJECT, emulator_environment, unique_prefix

from adventure_elt.settings import Settings
from adventure_elt.warehouse import BigQueryWarehouse
from hostile.hostile_checks import assert_refused, files_under, run_cli
from hostile.hostile_filters import HARMLESS, HONEST, HOSTILE
from pg_databases import fresh_database

pytestmark = [pytest.mark.postgres, pytest.mark.bigquery, pytest.mark.e2e]


@pytest.fixture(scope="module")
def cloud(
    bq_emulator: str, pg_admin_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """A small synthetic source synced and transformed into BigQuery datasets of its own."""
    from adventure_elt.oltp import generator, server
    from adventure_elt.replicate.sync import sync
    from adventure_elt.transform import transform

    home = tmp_path_factory.mktemp("hostile-bq")
    (home / "work").mkdir()
    prefix = unique_prefix()
    with fresh_database(pg_admin_dsn) as db, pytest.MonkeyPatch.context() as patch:
        emulator_environment(patch, bq_emulator, prefix)
        patch.setenv("DLT_DATA_DIR", str(home / "dlt-data"))
        settings = Settings(
            source_dsn=db.dsn,
            warehouse="bigquery",
            home=home,
            bigquery_project=PROJECT,
            bigquery_dataset_prefix=prefix,
        )
        with server.connect(settings) as conn:
            generator.seed(conn, scale=0.01, seed=5)
        sync(settings)
        transform(settings)
        yield dataclasses.replace(settings, source_dsn=None)


@pytest.fixture
def on_emulator(cloud: Settings, bq_emulator: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The CLI pointed at the emulator's datasets, run from an empty working folder."""
    emulator_environment(monkeypatch, bq_emulator, cloud.bigquery_dataset_prefix)
    monkeypatch.chdir(cloud.home / "work")
    return cloud


@pytest.fixture(scope="module")
def baseline(cloud: Settings, bq_emulator: str) -> tuple[dict[Path, int], dict[str, int]]:
    """Files and table rows before any filter ran (each test compares with it afterwards)."""
    with pytest.MonkeyPatch.context() as patch:
        emulator_environment(patch, bq_emulator, cloud.bigquery_dataset_prefix)
        return untouched(cloud)


def tables_and_rows(settings: Settings) -> dict[str, int]:
    """Every table of the test's datasets and its rows, by one plain SQL query of our own."""
    with BigQueryWarehouse(settings) as warehouse:
        client = warehouse.client
        names = [
            f"{dataset.dataset_id}.{table.table_id}"
            for dataset in client.list_datasets(PROJECT)
            if dataset.dataset_id.startswith(f"{settings.bigquery_dataset_prefix}_")
            for table in client.list_tables(dataset.reference)
        ]
        counts = " union all ".join(
            f"select '{name}' as name, count(*) as n from `{PROJECT}.{name}`" for name in names
        )
        return {row["name"]: row["n"] for row in client.query(counts).result()}


def untouched(settings: Settings) -> tuple[dict[Path, int], dict[str, int]]:
    return files_under(settings.home), tables_and_rows(settings)


def job_ids(settings: Settings) -> set[str]:
    """Every query or load job the emulator has seen."""
    with BigQueryWarehouse(settings) as warehouse:
        return {job.job_id for job in warehouse.client.list_jobs()}


def query_args(*args: str) -> list[str]:
    return ["--warehouse", "bigquery", "query", "revenue", "--by", "geography.country", *args]


@pytest.mark.parametrize(("name", "text", "word"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_filter_is_refused_and_changes_nothing_on_bigquery(
    on_emulator: Settings,
    baseline: tuple[dict[Path, int], dict[str, int]],
    name: str,
    text: str,
    word: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    files, _ = baseline
    jobs = job_ids(on_emulator)

    result = run_cli(query_args("--where", text), capsys)

    assert_refused(result, word)
    assert files_under(on_emulator.home) == files
    assert job_ids(on_emulator) == jobs


def test_every_table_keeps_its_rows_after_the_corpus(
    on_emulator: Settings, baseline: tuple[dict[Path, int], dict[str, int]]
) -> None:
    assert untouched(on_emulator) == baseline


@pytest.mark.parametrize(("name", "text"), HARMLESS, ids=[h[0] for h in HARMLESS])
def test_hostile_looking_strings_stay_data_on_bigquery(
    on_emulator: Settings, name: str, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(query_args("--where", text, "--json"), capsys)

    assert (code, err) == (0, "")
    assert json.loads(out) == []


@pytest.mark.parametrize(("where", "sql"), HONEST, ids=[" and ".join(h[0]) for h in HONEST])
def test_honest_filters_answer_as_plain_sql_on_bigquery(
    on_emulator: Settings, where: list[str], sql: str, capsys: pytest.CaptureFixture[str]
) -> None:
    marts = f"`{PROJECT}.{on_emulator.bigquery_dataset('marts')}`"
    with BigQueryWarehouse(on_emulator) as warehouse:
        rows = warehouse.client.query(sql.format(marts=marts)).result()
        expected = {row["country"]: round(float(row["revenue"]), 2) for row in rows}
    options = [item for text in where for item in ("--where", text)]

    code, out, err = run_cli(query_args(*options, "--json"), capsys)

    assert (code, err) == (0, "")
    answer = {row["geography_country"]: round(row["revenue"], 2) for row in json.loads(out)}
    assert answer == expected and answer
