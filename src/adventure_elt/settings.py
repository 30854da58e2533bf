"""One `Settings` object that says where the source is and which warehouse to use.

Values are taken, first match wins, from: explicit overrides (CLI options), environment variables,
`.dlt/secrets.toml`, `.dlt/config.toml` (dlt's conventions, read from the working directory), and
defaults. The defaults need nothing installed: an embedded PostgreSQL under `.adventure/pg/` and a
DuckDB file `adventure.duckdb` in the working directory.

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

=========================================  =================================================
``ADVENTURE_ELT_BIGQUERY_PROJECT``         the Google Cloud project (default: the credentials')
``ADVENTURE_ELT_BIGQUERY_LOCATION``        where datasets live (default ``US``)
``ADVENTURE_ELT_BIGQUERY_DATASET_PREFIX``  datasets are ``<prefix>_raw``, ``_staging`` …
                                           (default ``adventure``)
=========================================  =================================================

Credentials come the standard Google ways and never from a committed file: a service-account
JSON in ``.dlt/secrets.toml`` under ``[destination.bigquery.credentials]`` (or the environment
variable ``DESTINATION__BIGQUERY__CREDENTIALS`` holding that JSON or a path to it), else
Application Default Credentials (``GOOGLE_APPLICATION_CREDENTIALS`` or ``gcloud auth
application-default login``). ``BIGQUERY_EMULATOR_HOST`` points the client at another endpoint.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload
from urllib.parse import urlsplit

from adventure_elt.errors import ConfigError

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
    "bigquery_credentials": (
        ("DESTINATION__BIGQUERY__CREDENTIALS",),
        ("destination", "bigquery", "credentials"),
    ),
}

_DATASET_PREFIX = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,1000}$")
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
    bigquery_credentials: Mapping[str, Any] | str | None = field(
        default=None, repr=False, compare=False
    )

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

        Args:
            overrides: values given explicitly (CLI options); None values are ignored.
            environ: the environment to read (default `os.environ`).
            project_dir: where `.dlt/` lives (default: the working directory).

        >>> Settings.load({"warehouse": "duckdb"}, environ={}).warehouse
        'duckdb'
        """
        environ = os.environ if environ is None else environ
        project_dir = Path.cwd() if project_dir is None else project_dir
        files = [_read_toml(project_dir / ".dlt" / n) for n in ("secrets.toml", "config.toml")]
        given = {k: v for k, v in (overrides or {}).items() if v is not None}
        values: dict[str, Any] = {}
        for name, (env_names, key_path) in _SOURCES.items():
            if name in given:
                values[name] = given[name]
                continue
            found = next((environ[e] for e in env_names if environ.get(e)), None)
            if found is None:
                found = next((v for f in files if (v := _dig(f, key_path)) is not None), None)
            if found is not None:
                values[name] = found
        return cls._from_raw(values)

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
            dsn = validate_dsn(str(dsn))
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


def _cdc_values(values: dict[str, Any]) -> dict[str, str]:
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


def _bigquery_values(values: dict[str, Any]) -> dict[str, Any]:
    """The BigQuery settings, checked; the credentials are kept as given (never echoed)."""
    found: dict[str, Any] = {}
    project = values.get("bigquery_project")
    if project is not None and str(project).strip():
        project = str(project).strip()
        if not _PROJECT.match(project):
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
    credentials = values.get("bigquery_credentials")
    if isinstance(credentials, Mapping) or (isinstance(credentials, str) and credentials.strip()):
        found["bigquery_credentials"] = credentials
    return found


def validate_dsn(dsn: str) -> str:
    """Return `dsn` if it is a PostgreSQL URL, else raise a ConfigError (password masked)."""
    parts = urlsplit(dsn.strip())
    if parts.scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise ConfigError(
            f"source DSN {mask_dsn(dsn)!r} is not a PostgreSQL URL; "
            "use postgresql://user:password@host:5432/dbname"
        )
    return dsn.strip()


_PASSWORD = re.compile(r"(?P<head>://[^:/@?#]*:)(?P<pw>[^@/?#]*)(?P<tail>@)")
_PASSWORD_PARAM = re.compile(r"(?P<head>[?&]password=)(?P<pw>[^&#]*)", re.IGNORECASE)


def mask_dsn(dsn: str) -> str:
    """The DSN with its password replaced by `***`, safe to print or log.

    >>> mask_dsn("postgresql://etl:s3cret@db:5432/aw")
    'postgresql://etl:***@db:5432/aw'
    >>> mask_dsn("postgresql://db/aw?user=etl&password=s3cret")
    'postgresql://db/aw?user=etl&password=***'
    """
    masked = _PASSWORD.sub(lambda m: m["head"] + ("***" if m["pw"] else "") + m["tail"], dsn)
    return _PASSWORD_PARAM.sub(lambda m: m["head"] + "***", masked)


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
