"""BigQuery settings: environment variables, `.dlt/config.toml`, validation (no emulator)."""

from __future__ import annotations

from pathlib import Path

import pytest

from adventure_elt.errors import ConfigError
from adventure_elt.settings import Settings


def test_environment_names_the_project_location_and_datasets() -> None:
    settings = Settings.load(
        environ={
            "ADVENTURE_ELT_WAREHOUSE": "bigquery",
            "ADVENTURE_ELT_BIGQUERY_PROJECT": "acme-analytics",
            "ADVENTURE_ELT_BIGQUERY_LOCATION": "EU",
            "ADVENTURE_ELT_BIGQUERY_DATASET_PREFIX": "aw",
        },
        project_dir=Path("/nonexistent"),
    )
    assert (settings.warehouse, settings.bigquery_project, settings.bigquery_location) == (
        "bigquery",
        "acme-analytics",
        "EU",
    )
    assert [settings.bigquery_dataset(layer) for layer in ("raw", "marts")] == [
        "aw_raw",
        "aw_marts",
    ]


def test_config_toml_and_secrets_key(tmp_path: Path) -> None:
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text(
        '[adventure_elt.bigquery]\nproject = "acme-analytics"\ndataset_prefix = "prod"\n'
    )
    (tmp_path / ".dlt" / "secrets.toml").write_text(
        '[destination.bigquery.credentials]\nclient_email = "etl@x.iam.gserviceaccount.com"\n'
        'private_key = "s3cret-key"\n'
    )
    settings = Settings.load(environ={}, project_dir=tmp_path)
    assert settings.bigquery_project == "acme-analytics"
    assert settings.bigquery_dataset_prefix == "prod"
    assert settings.bigquery_location == "US"
    assert isinstance(settings.bigquery_credentials, dict)
    assert "s3cret-key" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ADVENTURE_ELT_BIGQUERY_DATASET_PREFIX", "my-prefix", "letters, digits and _"),
        ("ADVENTURE_ELT_BIGQUERY_PROJECT", "Not A Project", "not a valid project id"),
    ],
)
def test_malformed_values_are_config_errors(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.load(environ={name: value}, project_dir=Path("/nonexistent"))
