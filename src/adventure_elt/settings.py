"""One `Settings` object that says where the source is and which warehouse to use.

Values are taken, first match wins, from: explicit overrides (CLI options), environment variables,
`.dlt/secrets.toml`, `.dlt/config.toml` (dlt's conventions, read from the project folder: the
nearest at or above the working directory whose `.dlt/config.toml` has an `[adventure_elt]` table),
and defaults. The defaults need nothing installed: an embedded PostgreSQL under `.adventure/pg/`
and a DuckDB file `adventure.duckdb`, both in the project folder.

Environment variables (a public contract, Kestra sets them):

==============================  ============================================================
``ADVENTURE_ELT_SOURCE_DSN``    PostgreSQL URL of the source; unset = the embedded server
                                (dlt-style alternative: ``SOURCES__ADVENTUREWORKS__CREDENTIALS``)
``ADVENTURE_ELT_WAREHOUSE``     ``duckdb`` (default) or ``bigquery``
``ADVENTURE_ELT_DUCKDB_PATH``   the DuckDB file (default ``adventure.duckdb``)
``ADVENTURE_ELT_HOME``          embedded server, pipeline state and logs (default ``.adventure``)
``ADVENTURE_ELT_PG_DATA``       the embedded server's data folder (default ``<home>/pg``)
==============================  ============================================================

Delete detection: ``ADVENTURE_ELT_DETECT_DELETES=true`` makes every sync compare primary keys and
remove rows gone from the source; ``ADVENTURE_ELT_DELETE_MODE`` says how: ``hard`` (default,
delete them from raw) or ``soft`` (set their ``_is_deleted`` to true).

Log-based replication (``cdc``) reads one logical replication slot through one publication:
``ADVENTURE_ELT_CDC_SLOT`` and ``ADVENTURE_ELT_CDC_PUBLICATION`` name them (default
``adventure_elt`` both; lower-case letters, digits and ``_``, at most 63 characters).

BigQuery (``ADVENTURE_ELT_WAREHOUSE=bigquery``):

===========================================  ===============================================
``ADVENTURE_ELT_BIGQUERY_PROJECT``           the Google Cloud project (default: the credentials')
``ADVENTURE_ELT_BIGQUERY_LOCATION``          where datasets live (default ``US``)
``ADVENTURE_ELT_BIGQUERY_DATASET_PREFIX``    datasets are ``<prefix>_raw``, ``_staging`` …
                                             (default ``adventure``)
``ADVENTURE_ELT_BIGQUERY_MAX_BYTES_BILLED``  BigQuery refuses a query job that would bill more
                                             bytes (default 10 GB; ``0`` = no limit)
===========================================  ===============================================

Credentials come the standard Google ways and never from a committed file: a service-account
JSON in ``.dlt/secrets.toml`` under ``[destination.bigquery.credentials]`` (or the environment
variable ``DESTINATION__BIGQUERY__CREDENTIALS`` holding that JSON or a path to it), else
Application Default Credentials (``GOOGLE_APPLICATION_CREDENTIALS`` or ``gcloud auth
application-default login``). ``BIGQUERY_EMULATOR_HOST`` points the client at another endpoint.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, overload
from urllib.parse import quote, urlencode

from adventure_elt import paths
from adventure_elt.errors import ConfigError
from adventure_elt.redact import is_secret_key, redact, remember_secret

WarehouseKind = Literal["duckdb", "bigquery"]
WAREHOUSES: tuple[WarehouseKind, ...] = ("duckdb", "bigquery")
DeleteMode = Literal["hard", "soft"]
DELETE_MODES: tuple[DeleteMode, ...] = ("hard", "soft")

# setting name -> (environment variables, key path in .dlt/*.toml)
_SOURCES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "source_dsn": (
        ("ADVENTURE_ELT_SOURCE_DSN", "SOURCES__ADVENTUREWORKS__CREDENTIALS"),
        ("sources", "adventureworks", "credentials"),
    ),
    "warehouse": (("ADVENTURE_ELT_WAREHOUSE",), ("adventure_elt", "warehouse")),
    "duckdb_path": (("ADVENTURE_ELT_DUCKDB_PATH",), ("adventure_elt", "duckdb_path")),
    "home": (("ADVENTURE_ELT_HOME",), ("adventure_elt", "home")),
    "pg_data": (("ADVENTURE_ELT_PG_DATA",), ("adventure_elt", "pg_data")),
    "detect_deletes": (("ADVENTURE_ELT_DETECT_DELETES",), ("adventure_elt", "detect_deletes")),
    "delete_mode": (("ADVENTURE_ELT_DELETE_MODE",), ("adventure_elt", "delete_mode")),
    "cdc_slot": (("ADVENTURE_ELT_CDC_SLOT",), ("adventure_elt", "cdc", "slot")),
    "cdc_publication": (
        ("ADVENTURE_ELT_CDC_PUBLICATION",),
        ("adventure_elt", "cdc", "publication"),
    ),
    "bigquery_project": (
        ("ADVENTURE_ELT_BIGQUERY_PROJECT",),
        ("adventure_elt", "bigquery", "project"),
    ),
    "bigquery_location": (
        ("ADVENTURE_ELT_BIGQUERY_LOCATION",),
        ("adventure_elt", "bigquery", "location"),
    ),
    "bigquery_dataset_prefix": (
        ("ADVENTURE_ELT_BIGQUERY_DATASET_PREFIX",),
        ("adventure_elt", "bigquery", "dataset_prefix"),
    ),
    "bigquery_max_bytes_billed": (
        ("ADVENTURE_ELT_BIGQUERY_MAX_BYTES_BILLED",),
        ("adventure_elt", "bigquery", "max_bytes_billed"),
    ),
    "bigquery_credentials": (
        ("DESTINATION__BIGQUERY__CREDENTIALS",),
        ("destination", "bigquery", "credentials"),
    ),
}

# The settings that are paths: relative ones from .dlt/ files or defaults are the project's.
_PROJECT_PATHS = ("duckdb_path", "home", "pg_data")

_DATASET_PREFIX = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,1000}$")
# A query job's default ceiling: 10 GB is under 6 US cents on demand ($6.25 per TiB) and about
# 1,000 times the largest build query on the real data (fct_sales, 10.5 MB in the README's
# estimate), so only a runaway query meets it.
DEFAULT_MAX_BYTES_BILLED = 10_000_000_000
# BigQuery bills at least 10 MiB per query, and refuses a lower maximum_bytes_billed
MIN_MAX_BYTES_BILLED = 10 * 1024 * 1024
_PROJECT = re.compile(r"^[a-z][a-z0-9.:-]{3,62}[a-z0-9]$")
# PostgreSQL's rule for replication slot names, applied to the publication too.
_REPLICATION_NAME = re.compile(r"^[a-z0-9_]{1,63}$")


@dataclass(frozen=True)
class Settings:
    """Where the source is and which warehouse every step uses.

    Args:
        source_dsn: PostgreSQL URL of the source, or None for the embedded server.
        warehouse: `duckdb` or `bigquery`.
        duckdb_path: the DuckDB file of the local warehouse.
        home: folder for the embedded server, pipeline state and logs.
        pg_data: the embedded server's data folder.
        detect_deletes: every sync compares primary keys and removes rows gone from the source.
        delete_mode: `hard` deletes those rows from raw; `soft` sets their `_is_deleted`.
        cdc_slot: the logical replication slot `cdc` reads.
        cdc_publication: the publication of the 12 tables that slot streams.
        bigquery_project: the BigQuery project; None = the one the credentials name.
        bigquery_location: the location of the datasets (`US`, `EU`, `europe-west1` …).
        bigquery_dataset_prefix: datasets are `<prefix>_<layer>` (`adventure_raw` …).
        bigquery_max_bytes_billed: BigQuery refuses a query job that would bill more bytes
            (each job's `maximum_bytes_billed`); None = no limit.
        bigquery_credentials: a service-account JSON (mapping or text) or a path to one, from
            dlt's secrets key; None = Application Default Credentials. Never printed.
    """

    source_dsn: str | None = None
    warehouse: WarehouseKind = "duckdb"
    duckdb_path: Path = Path("adventure.duckdb")
    home: Path = Path(".adventure")
    pg_data: Path | None = None
    detect_deletes: bool = False
    delete_mode: DeleteMode = "hard"
    cdc_slot: str = "adventure_elt"
    cdc_publication: str = "adventure_elt"
    bigquery_project: str | None = None
    bigquery_location: str = "US"
    bigquery_dataset_prefix: str = "adventure"
    bigquery_max_bytes_billed: int | None = DEFAULT_MAX_BYTES_BILLED
    bigquery_credentials: Mapping[str, Any] | str | None = field(
        default=None, repr=False, compare=False
    )

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
        return redact(f"Settings({shown})")  # the DSN's password never reaches a log

    def bigquery_dataset(self, layer: str) -> str:
        """The BigQuery dataset of a layer: `<prefix>_<layer>`.

        >>> Settings(bigquery_dataset_prefix="aw").bigquery_dataset("raw")
        'aw_raw'
        """
        return f"{self.bigquery_dataset_prefix}_{layer}"

    @property
    def embedded(self) -> bool:
        """True when the source is the embedded PostgreSQL server."""
        return self.source_dsn is None

    @property
    def pg_data_dir(self) -> Path:
        """The embedded server's data folder."""
        return self.pg_data if self.pg_data is not None else self.home / "pg"

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, Any] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        project_dir: Path | None = None,
    ) -> Settings:
        """Read settings from overrides, environment and `.dlt/` files, in that order.

        Relative paths from `.dlt/` files and the defaults (`adventure.duckdb`, `.adventure`)
        are the project folder's; those given as options or environment variables stay relative
        to the working directory, as any path typed on a command line.

        Args:
            overrides: values given explicitly (CLI options); None values are ignored.
            environ: the environment to read (default `os.environ`).
            project_dir: where `.dlt/` lives (default: the nearest folder at or above the working
                directory whose `.dlt/config.toml` configures adventure_elt, see
                `paths.project_dir`; else the working directory).

        >>> Settings.load({"warehouse": "duckdb"}, environ={}).warehouse
        'duckdb'
        """
        environ = os.environ if environ is None else environ
        project_dir = paths.project_dir() if project_dir is None else project_dir
        files = [_read_toml(project_dir / ".dlt" / n) for n in ("secrets.toml", "config.toml")]
        given = {k: v for k, v in (overrides or {}).items() if v is not None}
        values: dict[str, Any] = {}
        typed: set[str] = set()  # given as an option or an environment variable
        for name, (env_names, key_path) in _SOURCES.items():
            if name in given:
                values[name] = given[name]
                typed.add(name)
                continue
            found = next((environ[e] for e in env_names if environ.get(e)), None)
            if found is not None:
                typed.add(name)
            else:
                found = next((v for f in files if (v := _dig(f, key_path)) is not None), None)
            if found is not None:
                values[name] = found
        return cls._from_raw(values)._in_project(project_dir, keep=typed)

    def _in_project(self, project_dir: Path, *, keep: set[str]) -> Settings:
        """These settings with their relative paths, except those in `keep`, under
        `project_dir`; unchanged when that is the working directory (the usual case)."""
        if project_dir.absolute() == Path.cwd():
            return self
        moved = {
            name: project_dir / path
            for name in _PROJECT_PATHS
            if name not in keep
            and (path := getattr(self, name)) is not None
            and not path.is_absolute()
        }
        return dataclasses.replace(self, **moved)

    @classmethod
    def _from_raw(cls, values: dict[str, Any]) -> Settings:
        warehouse = str(values.get("warehouse", "duckdb")).strip().lower()
        if warehouse not in WAREHOUSES:
            raise ConfigError(
                f"unknown warehouse {warehouse!r}; "
                "set ADVENTURE_ELT_WAREHOUSE to duckdb or bigquery"
            )
        dsn = values.get("source_dsn")
        if dsn is not None:
            dsn = validate_dsn(dsn)
        delete_mode = str(values.get("delete_mode", "hard")).strip().lower()
        if delete_mode not in DELETE_MODES:
            raise ConfigError(
                f"unknown delete mode {delete_mode!r}; "
                "set ADVENTURE_ELT_DELETE_MODE to hard or soft"
            )
        default = cls()
        return cls(
            source_dsn=dsn,
            warehouse=warehouse,
            duckdb_path=_path(values.get("duckdb_path"), default.duckdb_path),
            home=_path(values.get("home"), default.home),
            pg_data=_path(values.get("pg_data"), None),
            detect_deletes=_flag("detect_deletes", values.get("detect_deletes"), False),
            delete_mode=delete_mode,
            **_cdc_values(values),
            **_bigquery_values(values),
        )


def _cdc_values(values: dict[str, Any]) -> dict[str, Any]:
    """The slot and publication names, checked (they end up quoted in SQL, but must be simple).

    >>> _cdc_values({"cdc_slot": " Orders_1 "})
    {'cdc_slot': 'orders_1'}
    """
    found: dict[str, str] = {}
    for name, variable in (("cdc_slot", "SLOT"), ("cdc_publication", "PUBLICATION")):
        value = values.get(name)
        if value is None:
            continue
        text = str(value).strip().lower()
        if not _REPLICATION_NAME.match(text):
            raise ConfigError(
                f"{name.replace('_', ' ')} name {str(value)[:80]!r} may hold only lower-case"
                " letters, digits and _ (at most 63 characters); set"
                f" ADVENTURE_ELT_CDC_{variable} to e.g. adventure_elt"
            )
        found[name] = text
    return found


def is_bigquery_project(text: str) -> bool:
    """Whether `text` is a Google Cloud project id (optionally `domain.com:id`).

    >>> is_bigquery_project("my-project-123"), is_bigquery_project("p`; x")
    (True, False)
    """
    return _PROJECT.match(text) is not None


def _bigquery_values(values: dict[str, Any]) -> dict[str, Any]:
    """The BigQuery settings, checked; the credentials are kept as given (never echoed)."""
    found: dict[str, Any] = {}
    project = values.get("bigquery_project")
    if project is not None and str(project).strip():
        project = str(project).strip()
        if not is_bigquery_project(project):
            raise ConfigError(
                f"BigQuery project {project!r} is not a valid project id; "
                "set ADVENTURE_ELT_BIGQUERY_PROJECT to e.g. my-project-123"
            )
        found["bigquery_project"] = project
    location = values.get("bigquery_location")
    if location is not None and str(location).strip():
        found["bigquery_location"] = str(location).strip()
    prefix = values.get("bigquery_dataset_prefix")
    if prefix is not None:
        prefix = str(prefix).strip()
        if not _DATASET_PREFIX.match(prefix):
            raise ConfigError(
                f"BigQuery dataset prefix {prefix!r} may hold only letters, digits and _; "
                "set ADVENTURE_ELT_BIGQUERY_DATASET_PREFIX to e.g. adventure"
            )
        found["bigquery_dataset_prefix"] = prefix
    if values.get("bigquery_max_bytes_billed") is not None:
        found["bigquery_max_bytes_billed"] = max_bytes_billed(values["bigquery_max_bytes_billed"])
    credentials = values.get("bigquery_credentials")
    if isinstance(credentials, Mapping) or (isinstance(credentials, str) and credentials.strip()):
        _remember_keys(credentials)
        found["bigquery_credentials"] = credentials
    return found


def _remember_keys(credentials: Mapping[str, Any] | str) -> None:
    """Remember the secret fields of a service-account key (a mapping or its JSON text)."""
    if isinstance(credentials, str):
        try:
            credentials = json.loads(credentials)
        except ValueError:
            return  # a path to the key file: nothing secret in the setting itself
    if isinstance(credentials, Mapping):
        for key, value in credentials.items():
            if is_secret_key(key):
                remember_secret(value)


def max_bytes_billed(value: Any) -> int | None:
    """A `maximum_bytes_billed` from a setting or option: bytes (at least BigQuery's 10 MiB),
    or 0 for no limit (None).

    >>> max_bytes_billed("20_000_000"), max_bytes_billed(0)
    (20000000, None)
    """
    try:
        count = int(str(value).strip())
    except ValueError:
        count = -1
    if count == 0:
        return None
    if count < MIN_MAX_BYTES_BILLED:
        raise ConfigError(
            f"max bytes billed {value!r} must be a number of bytes of at least "
            f"{MIN_MAX_BYTES_BILLED:,} (BigQuery's minimum), or 0 for no limit; set "
            "ADVENTURE_ELT_BIGQUERY_MAX_BYTES_BILLED (or --max-bytes) accordingly"
        )
    return count


def validate_dsn(dsn: object) -> str:
    """The source DSN as a well-formed PostgreSQL URL; a ConfigError (password masked) if it is not.

    Accepts a URL (`postgresql://user:password@host:5432/db`, `postgresql+psycopg2://…`) or a
    dlt-style credentials mapping (`drivername`, `username`, `password`, `host`, `port`,
    `database`, `query`). A password pasted unencoded — `#`, `/`, `@`, `?`, `%` or `:` in it — is
    read as everything up to the last `@` and URL-encoded, so drivers see what was meant. The
    password is remembered for redaction.

    >>> validate_dsn("postgresql://etl:Hash#Pw9@db:5432/aw")
    'postgresql://etl:Hash%23Pw9@db:5432/aw'
    >>> validate_dsn({"username": "etl", "password": "p@ss", "host": "db", "database": "aw"})
    'postgresql://etl:p%40ss@db/aw'
    """
    if isinstance(dsn, Mapping):
        return _dsn_from_mapping(dsn)
    text = str(dsn).strip()
    scheme, sep, rest = text.partition("://")
    if not sep or scheme.split("+")[0].lower() not in ("postgresql", "postgres"):
        # The DSN itself is not shown: a secret may sit in any part of what was pasted, and
        # redaction masks a URL's password up to the line's last '@', which is the hint's.
        if not sep and "=" in text:
            form = "is a keyword DSN (key=value pairs)"
        else:
            form = f"starts with {scheme[:30] + sep!r}, not postgresql://" if sep else "is no URL"
        raise ConfigError(
            f"the source DSN {form}; "
            "use a URL, postgresql://user@host:5432/dbname with :password after the user"
        )
    userinfo, at, location = rest.rpartition("@")
    if not at:
        return text
    user, colon, password = userinfo.partition(":")
    remember_secret(password)
    encoded = _url_encoded(user) + (colon and ":" + _url_encoded(password))
    return f"{scheme}://{encoded}@{location}"


def _dsn_from_mapping(credentials: Mapping[str, Any]) -> str:
    """A URL from dlt's credential fields (`[sources.adventureworks.credentials]`)."""
    known = {"drivername", "username", "password", "host", "port", "database", "query"}
    unknown = sorted(str(k) for k in credentials if k not in known)
    if unknown or not credentials.get("host"):
        # Names only: a value under a mistyped key (`pass`, `pw`) is a password redaction
        # cannot know by its key.
        problem = f"unknown keys {', '.join(unknown)}" if unknown else "no host"
        raise ConfigError(
            f"the source credentials (keys {', '.join(sorted(map(str, credentials)))}) have"
            f" {problem}; give drivername, username, password, host, port and database"
            " (dlt's names), or one postgresql:// URL"
        )
    password = credentials.get("password")
    remember_secret(password)
    # the fields hold plain values: every '%' is literal, so all of it is encoded
    user = quote(str(credentials.get("username") or ""), safe="")
    if password:
        user += ":" + quote(str(password), safe="")
    port = f":{credentials['port']}" if credentials.get("port") else ""
    query = credentials.get("query") or {}
    params = f"?{urlencode(query)}" if isinstance(query, Mapping) and query else ""
    url = (
        f"{credentials.get('drivername') or 'postgresql'}://{user}{'@' if user else ''}"
        f"{credentials['host']}{port}/{credentials.get('database') or ''}{params}"
    )
    return validate_dsn(url)


def _url_encoded(text: str) -> str:
    """`text` percent-encoded for a URL's user info; valid `%XX` escapes are kept as typed.

    >>> _url_encoded("a#b/c@d%41%zz")
    'a%23b%2Fc%40d%41%25zz'
    """
    parts = re.split(r"(%[0-9A-Fa-f]{2})", text)
    return "".join(p if i % 2 else quote(p, safe="") for i, p in enumerate(parts))


@overload
def _path(value: Any, default: Path) -> Path: ...
@overload
def _path(value: Any, default: None) -> Path | None: ...
def _path(value: Any, default: Path | None) -> Path | None:
    return default if value is None else Path(str(value)).expanduser()


_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def _flag(name: str, value: Any, default: bool) -> bool:
    """A boolean setting from TOML (a bool) or the environment (`true`/`false`)."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ConfigError(
        f"{name} must be true or false, not {value!r}; "
        f"set ADVENTURE_ELT_{name.upper()} to true or false"
    )


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix or remove the file") from None


def _dig(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node
