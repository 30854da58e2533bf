"""Bad BigQuery configuration: exit 2, one line on stderr, no secret printed, and no embedded
source left running behind the error.

No emulator needed: each case fails before a query is sent.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from bq_helpers import anonymous_credentials

from adventure_elt.settings import Settings
from cli_parse import run_cli

SECRET = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-not-a-real-key"
COMMANDS = [["report"], ["transform"], ["sync"], ["reconcile"], ["transform", "--dry-run"]]


def key_file(tmp_path: Path, **fields: str) -> Path:
    """A service-account JSON whose private key is a recognisable secret that does not parse."""
    path = tmp_path / "key.json"
    key = {
        "type": "service_account",
        "client_email": "etl@example-project.iam.gserviceaccount.com",
        "private_key_id": "0123",
        "private_key": f"-----BEGIN PRIVATE KEY-----\n{SECRET}\n-----END PRIVATE KEY-----\n",
        "token_uri": "https://oauth2.googleapis.com/token",
        **fields,
    }
    path.write_text(json.dumps(key))
    return path


def assert_one_line_exit_2(result: tuple[int, str, str], *expected: str) -> str:
    code, out, err = result
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for text in expected:
        assert text in lines[0]
    assert SECRET not in err
    return lines[0]


def assert_no_source_started(project: Path) -> None:
    """The warehouse is checked before the embedded PostgreSQL is started on demand."""
    assert not Settings.load(project_dir=project).pg_data_dir.exists()


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_missing_project_is_one_line(
    command: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    import google.auth

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(google.auth, "default", anonymous_credentials)  # credentials, no project
    result = run_cli(["--warehouse", "bigquery", *command], capsys)
    assert_one_line_exit_2(result, "no BigQuery project", "ADVENTURE_ELT_BIGQUERY_PROJECT")
    assert_no_source_started(tmp_path)


def test_unreachable_endpoint_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import google.auth

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(google.auth, "default", anonymous_credentials)
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", f"http://127.0.0.1:{closed}")
    monkeypatch.setenv("ADVENTURE_ELT_BIGQUERY_PROJECT", "some-project")
    result = run_cli(["--warehouse", "bigquery", "report", "--json"], capsys)
    assert_one_line_exit_2(result, "cannot reach BigQuery", f"127.0.0.1:{closed}")


def test_bad_credentials_file_is_one_line_without_its_content(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    path = key_file(tmp_path, project_id="example-project")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    monkeypatch.setenv("ADVENTURE_ELT_BIGQUERY_PROJECT", "example-project")
    result = run_cli(["--warehouse", "bigquery", "sync"], capsys)
    assert_one_line_exit_2(result, str(path), "service-account JSON key")
    assert_no_source_started(tmp_path)


def test_bad_dlt_secret_is_one_line_without_its_content(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    secret = key_file(tmp_path).read_text()
    monkeypatch.setenv("DESTINATION__BIGQUERY__CREDENTIALS", secret)
    monkeypatch.setenv("ADVENTURE_ELT_BIGQUERY_PROJECT", "example-project")
    result = run_cli(["--warehouse", "bigquery", "transform"], capsys)
    assert_one_line_exit_2(result, "not a service-account JSON key")


def test_missing_credentials_file_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "absent.json"))
    result = run_cli(["--warehouse", "bigquery", "report"], capsys)
    assert_one_line_exit_2(result, "absent.json", "GOOGLE_APPLICATION_CREDENTIALS")


def test_dry_run_on_duckdb_says_it_needs_bigquery(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(["transform", "--dry-run"], capsys)
    assert_one_line_exit_2(result, "--warehouse bigquery")
