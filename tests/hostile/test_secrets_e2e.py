"""No password gets out: failing `sync`, `run`, `reconcile` and `oltp status`, end to end.

Each case draws a password from all printable characters (`#/@%?:` and quotes included),
writes it the way a user would — a URL pasted unencoded, URL-encoded, `--source-dsn`, dlt's
`[sources.adventureworks.credentials]` table or URL in `.dlt/secrets.toml`, a keyword DSN — and
runs the real console script against a source that fails: a closed port, or the tests' embedded
PostgreSQL with a database that does not exist. The password must appear nowhere: not on stdout
or stderr, not in `ops.runs`, not in any file under the home, dlt and warehouse folders. The
test runs every form against both failures (12 cases), one drawn password each — it holds all of
`#/@?:'"`, `%41`, a backslash and a space, in drawn order around drawn printable text — as each
case runs five commands (`run` retries a closed port once, after 2 s); the draws are fixed
(derandomized), so a run is repeatable. The pure-function property test in
tests/unit/test_redact.py draws many.
"""

from __future__ import annotations

import json
import os
import socket
import string
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

CLI = Path(sys.executable).parent / "adventure-elt"
PRINTABLE = "".join(c for c in string.printable if c not in "\n\r\x0b\x0c")
# `run` tries once more after 2 s (its default, 2 retries, would wait 2 s and then 4 s more)
COMMANDS = [
    ["oltp", "status"], ["oltp", "status", "--json"], ["sync"], ["reconcile"],
    ["run", "--retries", "1"],
]  # fmt: skip
FORMS = ["url env", "encoded url dlt env", "option", "dlt table", "secrets url", "keyword env"]


def closed_port() -> int:
    """A loopback port nothing listens on: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Source:
    """Where the failing source is, as a URL's tail, dlt's credential fields and keywords."""

    url_tail: str  # what follows `user:password@`
    table: dict[str, object]  # dlt's fields but the password
    keywords: str  # host=… port=… dbname=…


@pytest.fixture(scope="module")
def sources(pg_admin_dsn: str) -> dict[str, Source]:
    port = closed_port()
    query = pg_admin_dsn.split("?", 1)[1]  # host=<the embedded server's unix socket folder>
    socket_folder = dict(p.split("=", 1) for p in query.split("&"))["host"]
    return {
        "closed port": Source(
            f"127.0.0.1:{port}/aw",
            {"username": "etl", "host": "127.0.0.1", "port": port, "database": "aw"},
            f"host=127.0.0.1 port={port} dbname=aw",
        ),
        "missing database": Source(
            f"/no_such_database?{query}",
            {
                "username": "etl",
                "host": "localhost",
                "database": "no_such_database",
                "query": {"host": socket_folder},
            },
            f"host={socket_folder} dbname=no_such_database",
        ),
    }


def configure(
    form: str, password: str, source: Source, work: Path
) -> tuple[dict[str, str], list[str]]:
    """The environment and global options that give the CLI this password in this form."""
    url = f"postgresql://etl:{password}@{source.url_tail}"
    encoded = f"postgresql://etl:{quote(password, safe='')}@{source.url_tail}"
    dlt = work / ".dlt"
    dlt.mkdir(exist_ok=True)
    if form == "url env":
        return {"ADVENTURE_ELT_SOURCE_DSN": url}, []
    if form == "encoded url dlt env":
        return {"SOURCES__ADVENTUREWORKS__CREDENTIALS": encoded}, []
    if form == "option":
        return {}, ["--source-dsn", url]
    if form == "dlt table":
        (dlt / "secrets.toml").write_text(
            "[sources.adventureworks.credentials]\n"
            + "".join(f"{key} = {toml_value(value)}\n" for key, value in source.table.items())
            + f"password = {json.dumps(password)}\n"
        )
        return {}, []
    if form == "secrets url":
        (dlt / "secrets.toml").write_text(
            f"[sources.adventureworks]\ncredentials = {json.dumps(url)}\n"
        )
        return {}, []
    assert form == "keyword env"
    quoted = password.replace("\\", "\\\\").replace("'", "\\'")
    return {"ADVENTURE_ELT_SOURCE_DSN": f"{source.keywords} user=etl password='{quoted}'"}, []


def toml_value(value: object) -> str:
    """A TOML value: JSON strings and numbers are TOML too; a mapping becomes an inline table."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def leaked_forms(password: str) -> set[str]:
    """The password as it might leak: as typed, URL-encoded, URL-decoded (6+ characters)."""
    return {f for f in (password, quote(password, safe=""), unquote(password)) if len(f) >= 6}


# The characters that break a URL or a keyword DSN, each in every drawn password, somewhere.
RISKY = ["#", "/", "@", "%41", "?", ":", "'", '"', "\\", " "]
passwords = st.tuples(
    st.text(PRINTABLE, min_size=4, max_size=16), st.permutations(RISKY), st.integers(0, 16)
).map(lambda drawn: drawn[0][: drawn[2]] + "".join(drawn[1]) + drawn[0][drawn[2] :])


@pytest.mark.parametrize("where", ["closed port", "missing database"])
@pytest.mark.parametrize("form", FORMS)
@settings(
    max_examples=1,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(password=passwords)
def test_no_password_in_any_output_or_file(
    password: str,
    form: str,
    where: str,
    sources: dict[str, Source],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    root = tmp_path_factory.mktemp("secrets")
    work, home, dlt_data = root / "work", root / "home", root / "dlt-data"
    work.mkdir()
    extra_env, options = configure(form, password, sources[where], work)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(root),
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "DLT_DATA_DIR": str(dlt_data),
        "ADVENTURE_ELT_HOME": str(home),
        "ADVENTURE_ELT_DUCKDB_PATH": str(root / "warehouse" / "adventure.duckdb"),
        **extra_env,
    }
    (root / "warehouse").mkdir()
    secrets = leaked_forms(password)

    # all five at once (they wait for each other's DuckDB lock): `run`'s backoff sets the pace
    running = [
        (command, subprocess.Popen(
            [str(CLI), *options, *command], cwd=work, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        ))
        for command in COMMANDS
    ]  # fmt: skip
    for command, process in running:
        out, err = process.communicate(timeout=300)
        assert "Traceback" not in out + err, out + err
        assert not any(s in out + err for s in secrets), f"{command}: {out}{err}"
        assert process.returncode == 2, out + err
        if command[0] != "oltp":  # status describes the unreachable source on stdout instead
            assert err.count("\n") == 1, out + err

    runs = root / "warehouse" / "adventure.duckdb"
    if runs.exists():
        with duckdb.connect(str(runs), read_only=True) as con:
            errors = [e for (e,) in con.execute("select error from ops.runs").fetchall()]
        assert errors and not any(s in e for s in secrets for e in errors if e)
    for folder in (home, dlt_data, root / "warehouse", work):
        for path in folder.rglob("*"):
            if path.is_file() and path.parent.name != ".dlt":  # .dlt/ is the user's own input
                data = path.read_bytes()
                assert not any(s.encode() in data for s in secrets), path
