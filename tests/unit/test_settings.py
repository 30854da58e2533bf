from __future__ import annotations

from pathlib import Path

import pytest

from adventure_elt import paths
from adventure_elt.errors import ConfigError, WarehouseError
from adventure_elt.redact import redact
from adventure_elt.settings import Settings
from adventure_elt.warehouse.duckdb import DuckDBWarehouse


def test_defaults_are_embedded_duckdb_in_the_project_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings.load(environ={}, project_dir=tmp_path)
    assert settings.embedded
    assert settings.warehouse == "duckdb"
    assert settings.duckdb_path == tmp_path / "adventure.duckdb"
    assert settings.pg_data_dir == tmp_path / ".adventure" / "pg"
    # Run from the project folder itself, the paths stay short.
    monkeypatch.chdir(tmp_path)
    settings = Settings.load(environ={})
    assert settings.duckdb_path == Path("adventure.duckdb")
    assert settings.pg_data_dir == Path(".adventure/pg")


def project(tmp_path: Path, config: str = '[adventure_elt]\nwarehouse = "duckdb"\n') -> Path:
    """A project folder with a `.dlt/config.toml` and a `notebooks/` subfolder."""
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text(config)
    (tmp_path / "notebooks").mkdir()
    return tmp_path


def test_a_subfolder_of_the_project_reads_the_projects_settings_and_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path, '[adventure_elt]\nduckdb_path = "build/w.duckdb"\n')
    monkeypatch.chdir(root / "notebooks")  # where a notebook's kernel starts
    settings = Settings.load(environ={})
    assert settings.duckdb_path == root / "build" / "w.duckdb"
    assert settings.home == root / ".adventure"
    # A path typed as an option or an environment variable is the user's, relative to here.
    env = {"ADVENTURE_ELT_HOME": "mine"}
    settings = Settings.load({"duckdb_path": "x.duckdb"}, environ=env)
    assert (settings.duckdb_path, settings.home) == (Path("x.duckdb"), Path("mine"))
    absolute = {"ADVENTURE_ELT_DUCKDB_PATH": str(tmp_path / "elsewhere.duckdb")}
    assert Settings.load(environ=absolute).duckdb_path == tmp_path / "elsewhere.duckdb"


def test_a_dlt_project_of_another_tool_is_not_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path, "[runtime]\nlog_level = 'INFO'\n")  # no [adventure_elt] table
    monkeypatch.chdir(root / "notebooks")
    assert paths.project_dir() == root / "notebooks"
    assert Settings.load(environ={}).duckdb_path == Path("adventure.duckdb")


def test_the_missing_warehouse_error_names_the_absolute_path_it_looked_at(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path)
    monkeypatch.chdir(root / "notebooks")
    with pytest.raises(WarehouseError) as error:
        DuckDBWarehouse.open(Settings.load(environ={}), read_only=True)
    assert str(error.value).startswith(f"warehouse {root / 'adventure.duckdb'} does not exist")
    assert not (root / "adventure.duckdb").exists()  # a reader creates nothing


def test_precedence_option_then_env_then_secrets_then_config(tmp_path: Path) -> None:
    dlt = tmp_path / ".dlt"
    dlt.mkdir()
    (dlt / "config.toml").write_text(
        '[adventure_elt]\nhome = "from-config"\nduckdb_path = "c.db"\n'
    )
    (dlt / "secrets.toml").write_text(
        '[sources.adventureworks]\ncredentials = "postgresql://u:p@secrets/db"\n'
        '[adventure_elt]\nhome = "from-secrets"\n'
    )
    env = {"ADVENTURE_ELT_HOME": "from-env"}
    settings = Settings.load({"home": None}, environ=env, project_dir=tmp_path)
    assert settings.home == Path("from-env")
    assert settings.duckdb_path == tmp_path / "c.db"  # the project's file
    assert settings.source_dsn == "postgresql://u:p@secrets/db"
    settings = Settings.load({"home": "from-option"}, environ=env, project_dir=tmp_path)
    assert settings.home == Path("from-option")


def test_dlt_style_env_var_names_the_source(tmp_path: Path) -> None:
    env = {"SOURCES__ADVENTUREWORKS__CREDENTIALS": "postgresql://a@b/c"}
    assert Settings.load(environ=env, project_dir=tmp_path).source_dsn == "postgresql://a@b/c"


def test_bad_values_are_config_errors_without_password(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown warehouse 'snowflake'"):
        Settings.load(environ={"ADVENTURE_ELT_WAREHOUSE": "snowflake"}, project_dir=tmp_path)
    with pytest.raises(ConfigError) as info:
        Settings.load(environ={"ADVENTURE_ELT_SOURCE_DSN": "mysql://u:hunter2@h/d"})
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(
    ("dsn", "masked"),
    [
        ("postgresql://etl:s3cret@db:5432/aw", "postgresql://etl:***@db:5432/aw"),
        ("postgresql+psycopg2://etl:p%40ss@db/aw", "postgresql+psycopg2://etl:***@db/aw"),
        ("postgresql://etl@db/aw", "postgresql://etl@db/aw"),
        ("postgresql://db/aw?password=x&user=y", "postgresql://db/aw?password=***&user=y"),
    ],
)
def test_redact_masks_dsn_passwords(dsn: str, masked: str) -> None:
    assert redact(dsn) == masked


def test_delete_detection_is_off_and_hard_by_default(tmp_path: Path) -> None:
    settings = Settings.load(environ={}, project_dir=tmp_path)
    assert settings.detect_deletes is False
    assert settings.delete_mode == "hard"


def test_delete_detection_from_env_and_config(tmp_path: Path) -> None:
    dlt = tmp_path / ".dlt"
    dlt.mkdir()
    (dlt / "config.toml").write_text(
        '[adventure_elt]\ndetect_deletes = true\ndelete_mode = "soft"\n'
    )
    settings = Settings.load(environ={}, project_dir=tmp_path)
    assert settings.detect_deletes is True
    assert settings.delete_mode == "soft"
    env = {"ADVENTURE_ELT_DETECT_DELETES": "false", "ADVENTURE_ELT_DELETE_MODE": "HARD"}
    settings = Settings.load(environ=env, project_dir=tmp_path)
    assert settings.detect_deletes is False
    assert settings.delete_mode == "hard"
    settings = Settings.load(environ={"ADVENTURE_ELT_DETECT_DELETES": "true"}, project_dir=tmp_path)
    assert settings.detect_deletes is True


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ADVENTURE_ELT_DELETE_MODE": "archive"}, "unknown delete mode 'archive'"),
        ({"ADVENTURE_ELT_DETECT_DELETES": "maybe"}, "detect_deletes must be true or false"),
    ],
)
def test_bad_delete_settings_are_config_errors(
    env: dict[str, str], message: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.load(environ=env, project_dir=tmp_path)


def test_bytes_billed_limit_from_default_config_env_and_option(tmp_path: Path) -> None:
    assert Settings.load(environ={}, project_dir=tmp_path).bigquery_max_bytes_billed == 10**10
    dlt = tmp_path / ".dlt"
    dlt.mkdir()
    (dlt / "config.toml").write_text("[adventure_elt.bigquery]\nmax_bytes_billed = 50_000_000\n")
    assert Settings.load(environ={}, project_dir=tmp_path).bigquery_max_bytes_billed == 50_000_000
    env = {"ADVENTURE_ELT_BIGQUERY_MAX_BYTES_BILLED": "0"}  # no limit
    assert Settings.load(environ=env, project_dir=tmp_path).bigquery_max_bytes_billed is None
    option = {"bigquery_max_bytes_billed": 20_000_000}
    assert Settings.load(option, environ=env, project_dir=tmp_path).bigquery_max_bytes_billed == (
        20_000_000
    )


@pytest.mark.parametrize("value", ["1000", "10GB", "-5", "1e10", "10485759"])
def test_a_bytes_billed_limit_bigquery_would_refuse_is_a_config_error(
    value: str, tmp_path: Path
) -> None:
    env = {"ADVENTURE_ELT_BIGQUERY_MAX_BYTES_BILLED": value}
    with pytest.raises(ConfigError, match="at least 10,485,760 \\(BigQuery's minimum\\)") as e:
        Settings.load(environ=env, project_dir=tmp_path)
    assert "\n" not in str(e.value)
