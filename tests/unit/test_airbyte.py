"""The Airbyte alternate path: committed files, connector specs, API and protocol models."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import jsonschema
import pytest
import sqlglot
from airbyte_api.models import (
    ConnectionCreateRequest,
    ConnectionSyncModeEnum,
    DestinationBigquery,
    DestinationCreateRequest,
    NamespaceDefinitionEnum,
    ScheduleTypeEnum,
    SourceCreateRequest,
    SourcePostgres,
)
from airbyte_protocol.models import ConfiguredAirbyteCatalog, DestinationSyncMode, SyncMode

from adventure_elt.catalog import TABLES
from adventure_elt.errors import ConfigError, WarehouseError
from adventure_elt.oltp.schema import ddl_path
from adventure_elt.replicate.airbyte import (
    CONNECTION_FILE,
    DESTINATION_FILE,
    SOURCE_FILE,
    AirbyteTarget,
    build_airbyte_config,
    placeholder,
    render_airbyte_config,
    stale_airbyte_files,
    write_airbyte_config,
)
from adventure_elt.replicate.airbyte_views import (
    AIRBYTE_COLUMNS,
    AIRBYTE_DATASET,
    VIEWS_FILE,
    apply_raw_views,
    render_raw_views,
)
from adventure_elt.settings import Settings
from adventure_elt.transform import transform
from airbyte_shapes import SYNC_ID, contract_columns, create_airbyte_table
from reference_facts import airbyte_reference

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "airbyte"
PLACEHOLDER = re.compile(r"\$\{[A-Z_][A-Z0-9_]*\}")

CONFIGS = {
    SOURCE_FILE: "source-postgres.spec.json",
    DESTINATION_FILE: "destination-bigquery.spec.json",
}


def shared(name: str) -> Any:
    """The facts of one Airbyte reference file (tests/reference/, see reference_facts.py)."""
    return airbyte_reference(name)


def committed(name: str) -> Any:
    return json.loads((COMMITTED / name).read_text(encoding="utf-8"))


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adventure_elt", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


# ----------------------------------------------------------------------------- drift


def test_committed_files_are_what_the_catalog_generates() -> None:
    committed_files = [*COMMITTED.glob("*.json"), *COMMITTED.glob("*.sql")]
    assert sorted(p.name for p in committed_files) == sorted(render_airbyte_config())
    assert stale_airbyte_files(COMMITTED) == [], (
        "airbyte/ drifted from catalog.py: run `adventure-elt airbyte-config` and commit"
    )


def test_check_flags_drift_and_write_repairs_it(tmp_path: Path) -> None:
    out = tmp_path / "airbyte"
    written = write_airbyte_config(out)
    assert [p.name for p in written] == [SOURCE_FILE, DESTINATION_FILE, CONNECTION_FILE, VIEWS_FILE]
    assert all(p.read_text(encoding="utf-8").endswith(("}\n", ";\n")) for p in written)
    assert cli("airbyte-config", "--out", str(out), "--check").returncode == 0

    # A catalog change the committed file does not have: one stream fewer.
    doc = json.loads((out / CONNECTION_FILE).read_text(encoding="utf-8"))
    doc["configurations"]["streams"].pop()
    (out / CONNECTION_FILE).write_text(json.dumps(doc, indent=2), encoding="utf-8")
    check = cli("airbyte-config", "--out", str(out), "--check")
    assert check.returncode == 1
    assert "connection.json" in check.stderr and len(check.stderr.strip().splitlines()) == 1

    assert cli("airbyte-config", "--out", str(out)).returncode == 0
    assert stale_airbyte_files(out) == []


def test_unwritable_out_folder_is_a_one_line_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = cli("airbyte-config", "--out", str(blocker / "airbyte"))
    assert result.returncode == 2
    assert "cannot write the Airbyte config" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_output_is_deterministic() -> None:
    assert render_airbyte_config() == render_airbyte_config()
    text = render_airbyte_config()[SOURCE_FILE]
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


# ----------------------------------------------------------------------------- connector specs


@pytest.mark.parametrize("config_file", sorted(CONFIGS))
def test_config_validates_against_the_connector_spec(config_file: str) -> None:
    spec = shared(CONFIGS[config_file])
    jsonschema.Draft7Validator.check_schema(spec)
    errors = sorted(jsonschema.Draft7Validator(spec).iter_errors(committed(config_file)), key=str)
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def unknown_keys(config: Any, schema: dict[str, Any], path: str = "") -> Iterator[str]:
    """Keys of `config` the schema does not declare, at any depth (oneOf: the matching branch)."""
    if "oneOf" in schema:
        branches = [b for b in schema["oneOf"] if jsonschema.Draft7Validator(b).is_valid(config)]
        if len(branches) != 1:
            yield f"{path or '/'}: matches {len(branches)} oneOf branches, expected 1"
            return
        schema = branches[0]
    if isinstance(config, dict):
        properties = schema.get("properties", {})
        for key, value in config.items():
            if key not in properties:
                yield f"{path}/{key}"
            else:
                yield from unknown_keys(value, properties[key], f"{path}/{key}")
    elif isinstance(config, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(config):
            yield from unknown_keys(item, schema["items"], f"{path}/{i}")


@pytest.mark.parametrize("config_file", sorted(CONFIGS))
def test_every_key_exists_in_the_spec(config_file: str) -> None:
    assert list(unknown_keys(committed(config_file), shared(CONFIGS[config_file]))) == []


def test_key_check_catches_typos_the_schema_accepts() -> None:
    spec = shared(CONFIGS[SOURCE_FILE])
    config = build_airbyte_config()[SOURCE_FILE]
    config["ssl_mode"] = {"mode": "require", "ca_cert": "x"}
    config["jdbc_params"] = "a=b"
    assert jsonschema.Draft7Validator(spec).is_valid(config)
    assert list(unknown_keys(config, spec)) == ["/ssl_mode/ca_cert", "/jdbc_params"]


def test_source_reads_the_three_schemas_with_a_cursor() -> None:
    source = committed(SOURCE_FILE)
    assert source["replication_method"] == {"method": "Standard"}
    assert (
        source["schemas"] == sorted({t.schema for t in TABLES}) == ["person", "production", "sales"]
    )
    assert source["database"] == "adventureworks"


@pytest.mark.parametrize(("given", "written"), [("eu", "EU"), ("Europe-West1", "europe-west1")])
def test_dataset_location_is_spelt_as_the_spec_wants(given: str, written: str) -> None:
    config = build_airbyte_config(AirbyteTarget(dataset_location=given))[DESTINATION_FILE]
    assert config["dataset_location"] == written
    assert jsonschema.Draft7Validator(shared(CONFIGS[DESTINATION_FILE])).is_valid(config)


@pytest.mark.parametrize(
    "bad",
    [
        {"port": 0},
        {"ssl_mode": "verify-ca"},
        {"cron": "0 2 * * *"},
        {"dataset_id": "adventure-raw"},
        {"password_env": "my password"},
        {"host": " "},
    ],
)
def test_bad_parameters_raise_a_config_error(bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        AirbyteTarget(**bad)


# ----------------------------------------------------------------------------- connection


def api_fields(facts: dict[str, Any], obj: str) -> tuple[set[str], set[str]]:
    fields = facts["objects"][obj]["fields"]
    return {f["name"] for f in fields}, {f["name"] for f in fields if f["required"]}


def test_connection_body_parses_with_the_airbyte_api_models() -> None:
    doc = committed(CONNECTION_FILE)
    request = ConnectionCreateRequest.model_validate(doc)
    # The SDK drops unknown keys silently: a lossless round trip proves none were dropped.
    assert request.model_dump(by_alias=True, mode="json", exclude_unset=True) == doc
    assert request.configurations is not None and request.configurations.streams is not None
    streams = request.configurations.streams
    assert len(streams) == len(TABLES)
    assert all(s.sync_mode is ConnectionSyncModeEnum.INCREMENTAL_DEDUPED_HISTORY for s in streams)
    assert request.namespace_definition is NamespaceDefinitionEnum.DESTINATION
    assert request.schedule is not None
    assert request.schedule.schedule_type is ScheduleTypeEnum.MANUAL


def test_connection_body_keys_and_enums_match_the_api_facts() -> None:
    facts = shared("connection-api.json")
    doc = committed(CONNECTION_FILE)
    enums = {name: set(e["values"]) for name, e in facts["enums"].items()}

    allowed, required = api_fields(facts, "ConnectionCreateRequest")
    assert required <= set(doc) <= allowed
    assert "dataResidency" not in doc  # deprecated
    assert doc["namespaceDefinition"] in enums["NamespaceDefinitionEnum"]
    assert doc["nonBreakingSchemaUpdatesBehavior"] in enums["NonBreakingSchemaUpdatesBehaviorEnum"]
    assert doc["status"] in enums["ConnectionStatusEnum"]

    allowed, required = api_fields(facts, "AirbyteAPIConnectionSchedule")
    assert required <= set(doc["schedule"]) <= allowed
    assert doc["schedule"]["scheduleType"] in enums["ScheduleTypeEnum"]

    assert set(doc["configurations"]) <= api_fields(facts, "StreamConfigurations")[0]
    allowed, required = api_fields(facts, "StreamConfiguration")
    for stream in doc["configurations"]["streams"]:
        assert required <= set(stream) <= allowed, stream["name"]
        assert stream["syncMode"] in enums["ConnectionSyncModeEnum"]
        # Neither the SDK nor the protocol enforces these: incremental needs a cursor,
        # deduped needs a primary key.
        assert stream["cursorField"] and stream["primaryKey"], stream["name"]


def test_configs_wrap_into_the_api_create_bodies_losslessly() -> None:
    # What the README tells users to send: POST /v1/sources and /v1/destinations.
    source = {**committed(SOURCE_FILE), "sourceType": "postgres"}
    request = SourceCreateRequest.model_validate(
        {"name": "adventureworks", "workspaceId": "w", "configuration": source}
    )
    assert isinstance(request.configuration, SourcePostgres)
    assert (
        request.configuration.model_dump(by_alias=True, mode="json", exclude_unset=True) == source
    )

    destination = {**committed(DESTINATION_FILE), "destinationType": "bigquery"}
    created = DestinationCreateRequest.model_validate(
        {"name": "warehouse", "workspaceId": "w", "configuration": destination}
    )
    assert isinstance(created.configuration, DestinationBigquery)
    dumped = created.configuration.model_dump(by_alias=True, mode="json", exclude_unset=True)
    assert dumped == destination


def test_cron_schedule_is_a_valid_api_schedule() -> None:
    doc = build_airbyte_config(AirbyteTarget(cron="0 0 2 * * ?"))[CONNECTION_FILE]
    request = ConnectionCreateRequest.model_validate(doc)
    assert request.schedule is not None
    assert request.schedule.schedule_type is ScheduleTypeEnum.CRON
    assert request.schedule.cron_expression == "0 0 2 * * ?"


def test_streams_are_incremental_append_dedup_in_the_protocol() -> None:
    to_protocol = shared("connection-api.json")["syncModeToProtocol"]
    streams = []
    for s in committed(CONNECTION_FILE)["configurations"]["streams"]:
        modes = to_protocol[s["syncMode"]]
        streams.append(
            {
                "stream": {
                    "name": s["name"],
                    "namespace": s["namespace"],
                    "json_schema": {"type": "object"},  # discovered by Airbyte, not ours to state
                    "supported_sync_modes": ["full_refresh", "incremental"],
                    "source_defined_cursor": False,
                },
                "sync_mode": modes["sync_mode"],
                "destination_sync_mode": modes["destination_sync_mode"],
                "cursor_field": s["cursorField"],
                "primary_key": s["primaryKey"],
            }
        )
    catalog = ConfiguredAirbyteCatalog.model_validate({"streams": streams})
    assert len(catalog.streams) == len(TABLES)
    for stream in catalog.streams:
        assert stream.sync_mode is SyncMode.incremental
        assert stream.destination_sync_mode is DestinationSyncMode.append_dedup
        assert stream.cursor_field == ["modifieddate"]


# ----------------------------------------------------------------------------- catalog


def test_every_catalog_table_is_one_stream_with_its_cursor_and_keys() -> None:
    streams = committed(CONNECTION_FILE)["configurations"]["streams"]
    counts = Counter((s["namespace"], s["name"]) for s in streams)
    assert counts == Counter((t.schema, t.name) for t in TABLES)
    by_name = {f"{s['namespace']}.{s['name']}": s for s in streams}
    for table in TABLES:
        stream = by_name[table.qualified_name]
        assert stream["cursorField"] == [table.cursor]
        assert stream["primaryKey"] == [[column] for column in table.primary_key]
        ddl = ddl_path(table).read_text(encoding="utf-8").lower()
        for column in (table.cursor, *table.primary_key):
            assert re.search(rf"\b{column}\b", ddl), f"{table.qualified_name}.{column} not in DDL"
    assert by_name["sales.salesorderdetail"]["primaryKey"] == [
        ["salesorderid"],
        ["salesorderdetailid"],
    ]


# ----------------------------------------------------------------------------- secrets


def secret_fields(config: Any, schema: dict[str, Any], path: str = "") -> Iterator[str]:
    """Paths of the values in `config` that the spec marks `airbyte_secret`."""
    if "oneOf" in schema:
        matching = [b for b in schema["oneOf"] if jsonschema.Draft7Validator(b).is_valid(config)]
        schema = matching[0] if matching else {}
    if schema.get("airbyte_secret"):
        yield path
    if isinstance(config, dict):
        for key, value in config.items():
            yield from secret_fields(
                value, schema.get("properties", {}).get(key, {}), f"{path}/{key}"
            )


def value_at(config: Any, path: str) -> Any:
    for part in path.strip("/").split("/"):
        config = config[part]
    return config


@pytest.mark.parametrize("config_file", sorted(CONFIGS))
def test_secrets_are_placeholders_naming_their_env_var(config_file: str) -> None:
    config = committed(config_file)
    secrets = list(secret_fields(config, shared(CONFIGS[config_file])))
    assert secrets, "expected the password / service-account key field"
    for path in secrets:
        assert PLACEHOLDER.fullmatch(value_at(config, path)), path


def test_no_file_holds_a_literal_secret() -> None:
    texts = "".join(
        (COMMITTED / name).read_text(encoding="utf-8") for name in render_airbyte_config()
    )
    assert "PRIVATE KEY" not in texts and "private_key" not in texts
    source = committed(SOURCE_FILE)
    assert source["password"] == "${AIRBYTE_SOURCE_PASSWORD}"
    assert committed(DESTINATION_FILE)["credentials_json"] == "${AIRBYTE_BIGQUERY_CREDENTIALS_JSON}"
    with pytest.raises(ConfigError):
        placeholder("hunter2!")


# ----------------------------------------------------------------------------- raw views

STAGING = REPO / "sql" / "staging"


def catalog_staging_models() -> list[str]:
    """The staging models that read a catalog table (not the web events)."""
    return sorted(p.stem for p in STAGING.glob("stg_*.sql") if "from raw.web_" not in p.read_text())


def test_raw_views_file_has_one_view_per_catalog_table() -> None:
    text = (COMMITTED / VIEWS_FILE).read_text(encoding="utf-8")
    assert text == render_raw_views() == render_raw_views()
    statements = [s for s in sqlglot.parse(text, read="bigquery") if s is not None]
    assert len(statements) == len(TABLES)
    for table, statement in zip(TABLES, statements, strict=True):
        assert isinstance(statement, sqlglot.exp.Create) and statement.kind == "VIEW"
        view = statement.this
        assert (view.db, view.name) == ("adventure_raw", table.raw_name)
        source = statement.expression.find(sqlglot.exp.Table)
        assert source is not None and (source.db, source.name) == (AIRBYTE_DATASET, table.name)
        select = statement.expression
        assert [e.alias_or_name for e in select.expressions][1:] == [
            "_extracted_at",
            "_dlt_load_id",
            "_dlt_id",
            "_is_deleted",
        ]
        star = select.expressions[0]
        excluded = star.args.get("except_") or star.args.get("except")  # sqlglot renamed it
        assert [c.name for c in excluded] == list(AIRBYTE_COLUMNS)


def test_raw_views_read_the_dataset_and_prefix_they_are_given() -> None:
    text = render_airbyte_config(AirbyteTarget(dataset_id="ab_prod"), raw_dataset="shop_raw")
    assert "from `ab_prod`.`salesorderdetail`;" in text[VIEWS_FILE]
    assert "create or replace view `shop_raw`.`sales_salesorderdetail` as" in text[VIEWS_FILE]
    with pytest.raises(ConfigError, match="not a BigQuery dataset"):
        render_raw_views(raw_dataset="shop-raw; drop")


def airbyte_duckdb(tmp_path: Path) -> Settings:
    """A DuckDB warehouse whose schema `adventure_elt_airbyte` holds Airbyte-shaped tables."""
    settings = Settings(duckdb_path=tmp_path / "warehouse.duckdb", home=tmp_path / "home")
    with duckdb.connect(str(settings.duckdb_path)) as con:
        con.execute(f"create schema {AIRBYTE_DATASET}")
        for table in TABLES:
            con.execute(create_airbyte_table(table, AIRBYTE_DATASET, "duckdb"))
        con.execute(
            f"insert into {AIRBYTE_DATASET}.countryregion values ('US', 'United States', "
            "timestamp '2024-01-02 03:04:05', 'raw-1', timestamptz '2024-05-01 00:00:00+00', "
            f"""'{{"sync_id": {SYNC_ID}, "changes": []}}', 1)"""
        )
    return settings


def test_views_expose_the_raw_contract_and_feed_the_staging_models(tmp_path: Path) -> None:
    settings = airbyte_duckdb(tmp_path)

    applied = apply_raw_views(settings)
    assert [a.view for a in applied] == [f'"raw"."{t.raw_name}"' for t in TABLES]

    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        for table in TABLES:
            columns = con.execute(
                "select column_name from information_schema.columns where table_schema = 'raw'"
                " and table_name = ? order by ordinal_position",
                [table.raw_name],
            ).fetchall()
            assert [c for (c,) in columns] == contract_columns(table), table.raw_name
        row = con.execute(
            "select countryregioncode, _dlt_load_id, _dlt_id, _extracted_at"
            " from raw.person_countryregion"
        ).fetchone()
    assert row is not None and row[:3] == ("US", str(SYNC_ID), "raw-1")

    summary = transform(settings, select=catalog_staging_models())
    assert summary is not None
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        built = con.execute(
            "select country_region_code, country_region_name"
            " from staging.stg_person__country_regions"
        ).fetchall()
    assert built == [("US", "United States")]

    # Idempotent: the next Airbyte sync is followed by the same command.
    assert len(apply_raw_views(settings)) == len(TABLES)


def test_views_need_every_airbyte_table_and_a_free_raw_name(tmp_path: Path) -> None:
    settings = airbyte_duckdb(tmp_path)
    with duckdb.connect(str(settings.duckdb_path)) as con:
        con.execute(f"drop table {AIRBYTE_DATASET}.salesorderdetail")
    with pytest.raises(ConfigError, match="Airbyte has not written salesorderdetail"):
        apply_raw_views(settings)

    with duckdb.connect(str(settings.duckdb_path)) as con:
        con.execute(create_airbyte_table(TABLES[-1], AIRBYTE_DATASET, "duckdb"))
        con.execute("create schema raw")
        con.execute("create table raw.person_address (addressid bigint)")
    with pytest.raises(ConfigError, match=r"raw\.person_address is a table"):
        apply_raw_views(settings)


def test_tables_from_before_airbyte_refreshes_lack_the_generation_id_and_still_work(
    tmp_path: Path,
) -> None:
    """Destinations older than Airbyte's 2024 refreshes release write no
    `_airbyte_generation_id`: `* except` may only name the columns the table has."""
    settings = airbyte_duckdb(tmp_path)
    with duckdb.connect(str(settings.duckdb_path)) as con:
        for table in TABLES:
            con.execute(
                f"alter table {AIRBYTE_DATASET}.{table.name} drop column _airbyte_generation_id"
            )

    apply_raw_views(settings)

    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        columns = con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw'"
            " and table_name = 'person_countryregion' order by ordinal_position"
        ).fetchall()
        row = con.execute("select countryregioncode, _dlt_id from raw.person_countryregion")
        assert row.fetchall() == [("US", "raw-1")]
    assert [c for (c,) in columns] == contract_columns(TABLES[0])


def test_a_table_without_airbyte_columns_is_a_one_line_error(tmp_path: Path) -> None:
    settings = airbyte_duckdb(tmp_path)
    with duckdb.connect(str(settings.duckdb_path)) as con:
        con.execute(f"alter table {AIRBYTE_DATASET}.product drop column _airbyte_meta")
    with pytest.raises(
        WarehouseError, match=r"cannot create the view raw\.production_product"
    ) as e:
        apply_raw_views(settings)
    assert "\n" not in str(e.value)


def test_airbyte_views_cli_reports_a_missing_dataset_in_one_line(tmp_path: Path) -> None:
    result = cli(
        "--duckdb-path", str(tmp_path / "w.duckdb"), "airbyte-views", "--dataset", "nowhere"
    )
    assert result.returncode == 2
    assert "Airbyte has not written countryregion" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
