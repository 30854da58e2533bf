"""The Airbyte views on BigQuery (the emulator): Airbyte-shaped tables in, the raw contract out.

A dataset holds the 12 tables the way destination-bigquery writes them (stream-named, typed
source columns plus `_airbyte_*`), a few rows in two of them; `airbyte-views` creates
`<prefix>_raw` views over them and the staging models of the catalog tables build from those.
No PostgreSQL is involved: Airbyte, not `sync`, fills the warehouse on this path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bq_helpers import PROJECT, emulator_environment, unique_prefix

from adventure_elt.catalog import TABLES
from adventure_elt.settings import Settings
from adventure_elt.transform import transform
from adventure_elt.warehouse import BigQueryWarehouse
from airbyte_shapes import SYNC_ID, contract_columns, create_airbyte_table
from cli_parse import run_cli

pytestmark = pytest.mark.bigquery

STAGING = Path(__file__).resolve().parents[2] / "sql" / "staging"
META = f"""json '{{"sync_id": {SYNC_ID}, "changes": []}}'"""


@pytest.fixture
def airbyte_output(
    bq_emulator: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[Settings, str]:
    """Settings on the emulator and the name of a dataset filled like Airbyte's."""
    prefix = unique_prefix()
    emulator_environment(monkeypatch, bq_emulator, prefix)
    settings = Settings(
        warehouse="bigquery",
        bigquery_project=PROJECT,
        bigquery_dataset_prefix=prefix,
        home=tmp_path,
    )
    dataset = f"{prefix}_airbyte"
    with BigQueryWarehouse(settings) as warehouse:
        warehouse.client.create_dataset(f"{PROJECT}.{dataset}")
        for table in TABLES:
            warehouse.execute(create_airbyte_table(table, dataset))
        warehouse.execute(
            f"insert into `{dataset}`.countryregion values "
            f"('US', 'United States', datetime '2024-01-02 03:04:05', 'raw-us', "
            f"timestamp '2024-05-01 00:00:00+00', {META}, 1), "
            f"('CA', 'Canada', datetime '2024-01-02 03:04:05', 'raw-ca', "
            f"timestamp '2024-05-01 00:00:00+00', {META}, 1)"
        )
        warehouse.execute(
            f"insert into `{dataset}`.stateprovince values "
            f"(79, 'WA ', 'US', false, 'Washington', 1, 'a9d6e2f0-0000-4000-8000-000000000001', "
            f"datetime '2024-01-02 03:04:05', 'raw-wa', timestamp '2024-05-01 00:00:00+00', "
            f"{META}, 1)"
        )
    return settings, dataset


def test_views_expose_the_raw_contract_and_the_staging_models_build(
    airbyte_output: tuple[Settings, str], capsys: pytest.CaptureFixture[str]
) -> None:
    settings, dataset = airbyte_output

    code, out, err = run_cli(
        ["--warehouse", "bigquery", "airbyte-views", "--dataset", dataset, "--json"], capsys
    )
    assert code == 0, err
    raw = settings.bigquery_dataset("raw")
    assert [v["view"] for v in json.loads(out)] == [
        f"`{PROJECT}.{raw}.{t.raw_name}`" for t in TABLES
    ]

    with BigQueryWarehouse(settings) as warehouse:
        for table in TABLES:
            assert warehouse.table_kind("raw", table.raw_name) == "view"
            columns = list(warehouse.column_types("raw", table.raw_name))
            assert columns == contract_columns(table), table.raw_name
        loaded = warehouse.fetch_all(
            f"select countryregioncode, _dlt_load_id, _dlt_id from `{raw}`.person_countryregion"
            " order by 1"
        )
    assert loaded == [("CA", str(SYNC_ID), "raw-ca"), ("US", str(SYNC_ID), "raw-us")]

    models = sorted(
        p.stem for p in STAGING.glob("stg_*.sql") if "from raw.web_" not in p.read_text()
    )
    transform(settings, select=models)
    with BigQueryWarehouse(settings) as warehouse:
        built = warehouse.fetch_all(
            "select state_province_code, country_region_code, is_only_state_province"
            f" from `{settings.bigquery_dataset('staging')}`.stg_person__state_provinces"
        )
    assert built == [("WA", "US", False)]


def test_tables_without_a_generation_id_get_views_too(
    airbyte_output: tuple[Settings, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Destinations from before Airbyte's 2024 refreshes release write no
    `_airbyte_generation_id`; `* except` of a missing column fails, so the views except only
    the Airbyte columns each table has."""
    settings, dataset = airbyte_output
    with BigQueryWarehouse(settings) as warehouse:
        # created anew without the column (quirk: the emulator's table metadata does not
        # follow `alter table … drop column`)
        for table in TABLES:
            ddl = create_airbyte_table(table, dataset)
            warehouse.execute(ddl.replace(", _airbyte_generation_id INT64", ""))
        warehouse.execute(
            f"insert into `{dataset}`.countryregion values "
            f"('US', 'United States', datetime '2024-01-02 03:04:05', 'raw-us', "
            f"timestamp '2024-05-01 00:00:00+00', {META}), "
            f"('CA', 'Canada', datetime '2024-01-02 03:04:05', 'raw-ca', "
            f"timestamp '2024-05-01 00:00:00+00', {META})"
        )
        assert "_airbyte_generation_id" not in warehouse.dataset_columns(dataset, "countryregion")

    code, _, err = run_cli(
        ["--warehouse", "bigquery", "airbyte-views", "--dataset", dataset], capsys
    )

    assert code == 0, err
    with BigQueryWarehouse(settings) as warehouse:
        view = warehouse.relation("raw", TABLES[0].raw_name)
        columns = list(warehouse.column_types("raw", TABLES[0].raw_name))
        rows = warehouse.fetch_all(f"select countryregioncode, _dlt_id from {view} order by 1")
    assert columns == contract_columns(TABLES[0])
    assert rows == [("CA", "raw-ca"), ("US", "raw-us")]
