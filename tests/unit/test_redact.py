"""`redact()`: every DSN form and credential shape masked, ordinary text left alone.

The property tests draw passwords from all printable characters (`#/@%?:` and quotes
included) and check that each form comes out exactly as it went in with `***` where the
password was. They never call `remember_secret`, so they test the patterns alone.
"""

from __future__ import annotations

import doctest
import json
import string
from urllib.parse import quote

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from adventure_elt import redact as redact_module
from adventure_elt.errors import AdventureEltError, ConfigError
from adventure_elt.redact import MASK, redact, remember_secret
from adventure_elt.settings import Settings, validate_dsn

# printable, without line breaks (a password spanning lines is masked only when remembered)
PRINTABLE = "".join(c for c in string.printable if c not in "\n\r\x0b\x0c")
passwords = st.text(PRINTABLE, min_size=1, max_size=30)


def keyword_quoted(password: str) -> str:
    """A value quoted for a libpq keyword DSN: backslash and quote escaped."""
    return "'" + password.replace("\\", "\\\\").replace("'", "\\'") + "'"


# form name -> (text with the password, the same text with the password masked)
def forms(pw: str) -> dict[str, tuple[str, str]]:
    url = "postgresql://etl:{}@db.example.com:5432/aw?sslmode=require"
    sa_key = {
        "type": "service_account",
        "private_key_id": "0123",
        "private_key": pw,
        "client_email": "etl@p.iam.gserviceaccount.com",
    }
    return {
        "url": (url.format(pw), url.format(MASK)),
        "url with driver": (
            f"postgresql+psycopg2://etl:{pw}@db/aw",
            f"postgresql+psycopg2://etl:{MASK}@db/aw",
        ),
        "url-encoded": (url.format(quote(pw, safe="")), url.format(MASK)),
        "url in a sentence": (
            f"cannot connect to the source at {url.format(pw)}: connection refused",
            f"cannot connect to the source at {url.format(MASK)}: connection refused",
        ),
        "query string": (
            f"postgresql://etl@db/aw?password={quote(pw, safe='')}&sslmode=require",
            f"postgresql://etl@db/aw?password={MASK}&sslmode=require",
        ),
        "keyword dsn": (
            f"host=db port=5432 user=etl password={keyword_quoted(pw)} dbname=aw",
            f"host=db port=5432 user=etl password='{MASK}' dbname=aw",
        ),
        "toml table": (
            f'[sources.adventureworks.credentials]\nhost = "db"\npassword = {json.dumps(pw)}\n',
            f'[sources.adventureworks.credentials]\nhost = "db"\npassword = "{MASK}"\n',
        ),
        "service-account json": (
            json.dumps(sa_key),
            json.dumps({**sa_key, "private_key": MASK}),
        ),
        "python repr": (
            repr({"host": "db", "password": pw, "port": 5432}),
            # built, not replaced: a password such as "db" or "password" is also a key or value
            "{'host': 'db', 'password': " + repr(pw)[0] + MASK + repr(pw)[0] + ", 'port': 5432}",
        ),
    }


@settings(max_examples=1000, deadline=None)
@given(password=passwords, form=st.sampled_from(sorted(forms("x"))))
@example(password="Hash#Pw9", form="url")
@example(password="a/b@c%zz?d:e", form="url in a sentence")
@example(password='it\'s \\ "quoted"', form="keyword dsn")
@example(password="password", form="python repr")  # the key's own name
def test_every_form_comes_out_masked(password: str, form: str) -> None:
    text, masked = forms(password)[form]

    assert redact(text) == masked
    assert redact(masked) == masked  # idempotent: masking twice changes nothing


@settings(max_examples=300, deadline=None)
@given(password=passwords)
def test_credential_mappings_are_masked_at_any_depth(password: str) -> None:
    credentials = {
        "sources": {"adventureworks": {"credentials": {"host": "db", "password": password}}},
        "destination": {"bigquery": {"credentials": {"private_key": password, "project": "p"}}},
    }

    shown = redact(credentials)

    assert shown == repr(
        {
            "sources": {"adventureworks": {"credentials": {"host": "db", "password": MASK}}},
            "destination": {"bigquery": {"credentials": {"private_key": MASK, "project": "p"}}},
        }
    )


@pytest.mark.parametrize(
    "text",
    [
        "unknown measure 'revenu'; did you mean revenue?",
        "cannot connect to the source at postgresql://etl@db:5432/aw: timeout expired",
        'password authentication failed for user "etl"',
        '{"token_uri": "https://oauth2.googleapis.com/token", "private_key_id": "0123"}',
        "filter not allowed: several statements (;) in 'revenue > 0; copy x to y'",
        "http://127.0.0.1:9050/bigquery/v2/projects/p/queries: 404",
    ],
)
def test_text_without_secrets_is_unchanged(text: str) -> None:
    assert redact(text) == text


def test_a_pem_key_is_masked_whole() -> None:
    key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\nkqhkiG9w0\n-----END PRIVATE KEY-----"
    text = f"bad key:\n{key}\n"
    assert redact(text) == f"bad key:\n{MASK}\n"


def test_remembered_secrets_are_masked_wherever_they_appear() -> None:
    remember_secret("Unusual Secret/4711")
    assert redact("driver said: bad value Unusual Secret/4711 near x") == (
        f"driver said: bad value {MASK} near x"
    )
    assert redact("encoded: Unusual%20Secret%2F4711") == f"encoded: {MASK}"


def test_settings_remember_the_password_they_load() -> None:
    validate_dsn("postgresql://etl:Other-Secret-0815@db/aw")
    assert redact("echoed Other-Secret-0815") == f"echoed {MASK}"


def test_errors_are_redacted_when_made() -> None:
    error = AdventureEltError("cannot open postgresql://etl:Hash#Pw9@db/aw: refused")
    assert str(error) == f"cannot open postgresql://etl:{MASK}@db/aw: refused"
    assert "Hash" not in repr(error.args)


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        ("postgresql://u:Hash#Pw9@host/db", "postgresql://u:Hash%23Pw9@host/db"),
        ("postgresql://u:a/b@c@host:5432/db", "postgresql://u:a%2Fb%40c@host:5432/db"),
        ("postgresql://u:p%40ss@host/db", "postgresql://u:p%40ss@host/db"),
        ("postgresql://u:100%@host/db", "postgresql://u:100%25@host/db"),
        ("postgresql://u@host/db", "postgresql://u@host/db"),
        ("postgresql://host/db?sslmode=require", "postgresql://host/db?sslmode=require"),
    ],
)
def test_settings_url_encode_a_pasted_password(dsn: str, expected: str) -> None:
    assert validate_dsn(dsn) == expected


def test_a_keyword_dsn_is_refused_without_its_password() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.load({"source_dsn": "host=db user=etl password='s3cr\\'et' dbname=aw"}, environ={})
    message = str(caught.value)
    assert "is a keyword DSN" in message and "s3cr" not in message
    assert "use a URL, postgresql://user@host:5432/dbname with :password after the user" in message


def test_dlt_credentials_table_becomes_a_url() -> None:
    settings = Settings.load(
        {
            "source_dsn": {
                "drivername": "postgresql",
                "username": "etl",
                "password": "p@ss/w#rd%41",
                "host": "db",
                "port": 5433,
                "database": "aw",
            }
        },
        environ={},
    )
    assert settings.source_dsn == "postgresql://etl:p%40ss%2Fw%23rd%2541@db:5433/aw"
    assert "p@ss" not in repr(settings) and MASK in repr(settings)


def test_a_broken_credentials_table_is_refused_without_its_password() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.load({"source_dsn": {"password": "Tbl-Secret-99", "hots": "db"}}, environ={})
    assert "unknown keys hots" in str(caught.value) and "Tbl-Secret" not in str(caught.value)


@pytest.mark.parametrize("key", ["pass", "pw", "pword"])
def test_a_password_under_a_mistyped_key_is_not_shown(key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.load(
            {"source_dsn": {"username": "etl", key: "Zq9TomlSecret", "host": "db"}}, environ={}
        )
    message = redact(str(caught.value))
    assert f"unknown keys {key}" in message and "Zq9Toml" not in message


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("mysql://u:pw-Secret1@h/d", "starts with 'mysql://', not postgresql://"),
        ("host=db password=kw-Secret1 dbname=aw", "is a keyword DSN (key=value pairs)"),
        ("db.example.com", "is no URL"),
    ],
)
def test_a_dsn_of_another_kind_is_refused_whole_and_without_its_secret(
    dsn: str, shown: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.load({"source_dsn": dsn}, environ={})
    message = redact(str(caught.value))  # as the CLI prints it
    assert message == (
        f"the source DSN {shown}; "
        "use a URL, postgresql://user@host:5432/dbname with :password after the user"
    )


def test_docstring_examples_run() -> None:
    result = doctest.testmod(redact_module)
    assert result.attempted > 0 and result.failed == 0


def test_a_pem_key_is_masked_whole_after_another_key_was_remembered() -> None:
    # a remembered key's header line must not break up the next key's block
    remember_secret("-----BEGIN PRIVATE KEY-----\nQUJDREVGR0g\n-----END PRIVATE KEY-----\n")
    key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\nkqhkiG9w0\n-----END PRIVATE KEY-----"
    assert redact(f"bad key:\n{key}\n") == f"bad key:\n{MASK}\n"
