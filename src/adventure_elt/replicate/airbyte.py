"""The Airbyte alternate path: source, destination and connection configs built from the catalog.

`adventure-elt sync` is the main replication path. Teams that already run Airbyte can replicate
the same 12 tables with an Airbyte connection instead: source-postgres in cursor ("Standard")
mode → destination-bigquery, every stream `incremental_deduped_history` (protocol: `incremental`
+ `append_dedup`) on `modifieddate` with the catalog's primary keys. The files are generated here
so they cannot drift from `catalog.py`; a test compares the committed `airbyte/` folder with
this output. The folder also holds `raw_views.sql`, the views that expose Airbyte's tables as the
raw layer the models read (see `airbyte_views.py`; `adventure-elt airbyte-views` applies them).

Secrets never enter the files: fields Airbyte marks `airbyte_secret` hold a `${ENV_VAR}`
placeholder that names the variable to substitute (with `jq`: `envsubst` breaks JSON on
quotes) before the config is sent to Airbyte. Values nobody can guess (host, project, ids) are
placeholders too.

>>> files = build_airbyte_config()
>>> sorted(files)
['connection.json', 'destination-bigquery.json', 'source-postgres.json']
>>> files["source-postgres.json"]["password"]
'${AIRBYTE_SOURCE_PASSWORD}'
>>> files["connection.json"]["configurations"]["streams"][-1]["primaryKey"]
[['salesorderid'], ['salesorderdetailid']]
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adventure_elt.catalog import TABLES, SourceTable
from adventure_elt.errors import CheckFailedError, ConfigError
from adventure_elt.replicate.airbyte_views import (
    AIRBYTE_DATASET,
    DEFAULT_RAW_DATASET,
    VIEWS_FILE,
    render_raw_views,
)
from adventure_elt.settings import is_bigquery_project

SOURCE_FILE = "source-postgres.json"
DESTINATION_FILE = "destination-bigquery.json"
CONNECTION_FILE = "connection.json"

# Airbyte public API sync mode; the protocol spells it sync_mode=incremental +
# destination_sync_mode=append_dedup (read incrementally, keep the latest row per key).
SYNC_MODE = "incremental_deduped_history"

_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
_PLACEHOLDER = re.compile(r"\$\{[A-Z_][A-Z0-9_]*\}")
_DATASET_ID = re.compile(r"[A-Za-z0-9_]{1,1024}")
# The SSL modes that need no certificate; verify-ca/verify-full need a CA certificate, which is
# a file's content and does not belong in a committed config.
_SSL_MODES = ("disable", "allow", "prefer", "require")
_MULTI_REGIONS = ("US", "EU")


def placeholder(env_var: str) -> str:
    """The `${NAME}` placeholder that stands for environment variable `env_var`.

    >>> placeholder("AIRBYTE_SOURCE_PASSWORD")
    '${AIRBYTE_SOURCE_PASSWORD}'
    """
    if not _ENV_NAME.fullmatch(env_var):
        raise ConfigError(
            f"{env_var!r} is not an environment variable name; use upper case letters, "
            "digits and underscores (e.g. AIRBYTE_SOURCE_PASSWORD)"
        )
    return "${" + env_var + "}"


@dataclass(frozen=True)
class AirbyteTarget:
    """Where the Airbyte connection reads from and writes to; defaults are placeholders.

    Args:
        host: PostgreSQL host name.
        port: PostgreSQL port (an integer: the connector spec rejects a placeholder here).
        database: database name (the embedded server's name by default).
        username: login with SELECT on the 12 tables.
        password_env: environment variable that holds the PostgreSQL password.
        ssl_mode: disable, allow, prefer or require.
        project_id: Google Cloud project of the BigQuery dataset.
        dataset_id: BigQuery dataset the 12 tables land in.
        dataset_location: BigQuery location (US, EU or a region such as europe-west1).
        credentials_env: environment variable that holds the service-account key JSON.
        source_id: id of the source once created in Airbyte.
        destination_id: id of the destination once created in Airbyte.
        cron: Quartz cron (seconds first, e.g. `0 0 2 * * ?`) for Airbyte's own scheduler;
            None = manual, the right choice when Kestra triggers the syncs.
    """

    host: str = placeholder("AIRBYTE_SOURCE_HOST")
    port: int = 5432
    database: str = "adventureworks"
    username: str = placeholder("AIRBYTE_SOURCE_USER")
    password_env: str = "AIRBYTE_SOURCE_PASSWORD"
    ssl_mode: str = "require"
    project_id: str = placeholder("AIRBYTE_BIGQUERY_PROJECT")
    dataset_id: str = AIRBYTE_DATASET
    dataset_location: str = "US"
    credentials_env: str = "AIRBYTE_BIGQUERY_CREDENTIALS_JSON"
    source_id: str = placeholder("AIRBYTE_SOURCE_ID")
    destination_id: str = placeholder("AIRBYTE_DESTINATION_ID")
    cron: str | None = None

    @classmethod
    def given(
        cls,
        host: str | None = None,
        username: str | None = None,
        project_id: str | None = None,
        **values: Any,
    ) -> AirbyteTarget:
        """The target from the options a user gave; an option not given (None) keeps its
        `${ENV_VAR}` placeholder.

        >>> AirbyteTarget.given(host="db.example.com").username
        '${AIRBYTE_SOURCE_USER}'
        """
        defaults = cls()
        return cls(
            host=host or defaults.host,
            username=username or defaults.username,
            project_id=project_id or defaults.project_id,
            **values,
        )

    def __post_init__(self) -> None:
        for name in ("host", "database", "username", "project_id", "source_id", "destination_id"):
            if not str(getattr(self, name)).strip():
                raise ConfigError(
                    f"Airbyte config: {name} is empty; give a value or leave the "
                    "default placeholder"
                )
        if not 1 <= self.port <= 65535:
            raise ConfigError(f"Airbyte config: port {self.port} is out of range; use 1-65535")
        if not self.project_id.startswith("${") and not is_bigquery_project(self.project_id):
            raise ConfigError(
                f"Airbyte config: project {self.project_id[:80]!r} is not a valid BigQuery"
                " project id; use e.g. my-project-123"
            )
        placeholder(self.password_env)
        placeholder(self.credentials_env)
        if self.ssl_mode not in _SSL_MODES:
            raise ConfigError(
                f"Airbyte config: ssl mode {self.ssl_mode!r} is not supported here; choose one of "
                f"{', '.join(_SSL_MODES)} (verify-ca/verify-full need a CA certificate: set it in "
                "the Airbyte UI)"
            )
        if not (_PLACEHOLDER.fullmatch(self.dataset_id) or _DATASET_ID.fullmatch(self.dataset_id)):
            raise ConfigError(
                f"Airbyte config: {self.dataset_id!r} is not a BigQuery dataset id; use letters, "
                "digits and underscores"
            )
        if self.cron is not None and len(self.cron.split()) not in (6, 7):
            raise ConfigError(
                f"Airbyte config: cron {self.cron!r} is not a Quartz cron expression; Airbyte "
                "wants seconds first, e.g. '0 0 2 * * ?' for 02:00 every day"
            )

    @property
    def location(self) -> str:
        """The dataset location as Airbyte's enum spells it: `US`/`EU` upper, regions lower."""
        value = self.dataset_location.strip()
        return value.upper() if value.upper() in _MULTI_REGIONS else value.lower()


def build_airbyte_config(
    target: AirbyteTarget | None = None, tables: Sequence[SourceTable] = TABLES
) -> dict[str, dict[str, Any]]:
    """The three Airbyte documents, file name → JSON object.

    Args:
        target: connection details; the defaults are placeholders.
        tables: the tables to replicate (all 12 catalog tables by default).

    Returns:
        `source-postgres.json` (source-postgres connector config), `destination-bigquery.json`
        (destination-bigquery connector config) and `connection.json` (body of the Airbyte public
        API call `POST /v1/connections`).
    """
    target = target or AirbyteTarget()
    return {
        SOURCE_FILE: _source(target, tables),
        DESTINATION_FILE: _destination(target),
        CONNECTION_FILE: _connection(target, tables),
    }


def render_airbyte_config(
    target: AirbyteTarget | None = None,
    tables: Sequence[SourceTable] = TABLES,
    raw_dataset: str = DEFAULT_RAW_DATASET,
) -> dict[str, str]:
    """The files' exact text, file name → text: the three JSON documents (sorted keys, 2-space
    indent, trailing newline: stable diffs) and `raw_views.sql` for `raw_dataset`."""
    target = target or AirbyteTarget()
    files = {
        name: json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        for name, doc in build_airbyte_config(target, tables).items()
    }
    files[VIEWS_FILE] = render_raw_views(target.dataset_id, raw_dataset, tables)
    return files


def write_airbyte_config(
    out_dir: Path,
    target: AirbyteTarget | None = None,
    tables: Sequence[SourceTable] = TABLES,
    raw_dataset: str = DEFAULT_RAW_DATASET,
) -> list[Path]:
    """Write the four files into `out_dir` (created if needed) and return their paths.

    Files whose content is already right are left untouched, so their mtime does not change.
    """
    paths = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, text in render_airbyte_config(target, tables, raw_dataset).items():
            path = out_dir / name
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
            paths.append(path)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the Airbyte config to {out_dir}: {exc.strerror}; "
            "pass --out with a writable folder"
        ) from None
    return paths


def stale_airbyte_files(
    out_dir: Path,
    target: AirbyteTarget | None = None,
    tables: Sequence[SourceTable] = TABLES,
    raw_dataset: str = DEFAULT_RAW_DATASET,
) -> list[str]:
    """Names of the generated files that are missing from `out_dir` or differ from the catalog."""
    stale = []
    for name, text in render_airbyte_config(target, tables, raw_dataset).items():
        path = out_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale


def check_airbyte_files(
    out_dir: Path,
    target: AirbyteTarget | None = None,
    raw_dataset: str = DEFAULT_RAW_DATASET,
) -> None:
    """Raise CheckFailedError (naming the files) when `out_dir` differs from the catalog."""
    stale = stale_airbyte_files(out_dir, target, raw_dataset=raw_dataset)
    if stale:
        raise CheckFailedError(
            f"{out_dir}/ is out of date ({', '.join(stale)}); "
            "run `adventure-elt airbyte-config` and commit the result"
        )


def _source(target: AirbyteTarget, tables: Sequence[SourceTable]) -> dict[str, Any]:
    return {
        "host": target.host,
        "port": target.port,
        "database": target.database,
        "username": target.username,
        "password": placeholder(target.password_env),
        "schemas": sorted({t.schema for t in tables}),
        "ssl_mode": {"mode": target.ssl_mode},
        "tunnel_method": {"tunnel_method": "NO_TUNNEL"},
        # "Standard" = user-defined cursor (modifieddate), the same model as `sync`; CDC would
        # need a replication slot and publication on the source, Xmin ignores our cursor.
        "replication_method": {"method": "Standard"},
    }


def _destination(target: AirbyteTarget) -> dict[str, Any]:
    return {
        "project_id": target.project_id,
        "dataset_id": target.dataset_id,
        "dataset_location": target.location,
        "credentials_json": placeholder(target.credentials_env),
        # Batched inserts need no GCS bucket or HMAC key; fine at AdventureWorks sizes.
        "loading_method": {"method": "Standard"},
        # append_dedup needs the typed, deduplicated final tables; say so rather than rely on
        # the default.
        "disable_type_dedupe": False,
    }


def _connection(target: AirbyteTarget, tables: Sequence[SourceTable]) -> dict[str, Any]:
    schedule: dict[str, Any] = (
        {"scheduleType": "manual"}
        if target.cron is None
        else {"scheduleType": "cron", "cronExpression": target.cron}
    )
    return {
        "sourceId": target.source_id,
        "destinationId": target.destination_id,
        "name": "adventure_elt postgres to bigquery",
        # All streams land in the destination's dataset_id (table = source table name); the
        # source namespaces person/sales/production would otherwise become three datasets.
        "namespaceDefinition": "destination",
        # Like `sync`: a new source column shows up in the warehouse on the next run.
        "nonBreakingSchemaUpdatesBehavior": "propagate_columns",
        "status": "active",
        "schedule": schedule,
        "configurations": {"streams": [_stream(t) for t in tables]},
    }


def _stream(table: SourceTable) -> dict[str, Any]:
    # source-postgres names a stream after the table and puts the schema in the namespace.
    return {
        "name": table.name,
        "namespace": table.schema,
        "syncMode": SYNC_MODE,
        "cursorField": [table.cursor],
        "primaryKey": [[column] for column in table.primary_key],
    }
