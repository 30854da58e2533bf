"""The source PostgreSQL: the embedded server (pgserver) or the one a DSN names.

With no DSN configured every command uses an embedded PostgreSQL whose data folder lives in the
project (`.adventure/pg/` by default). It listens on a unix socket only, so it never collides with
another server's port, and it keeps running between commands until `oltp down`.

The embedded server is configured for logical replication (`cdc`): `wal_level = logical` and at
least `REPLICATION_CAPACITY` replication slots and WAL senders, set with `ALTER SYSTEM`. These
settings take effect only at a restart: a server `start` starts itself is restarted at once; one
that was already running (a data folder from an older version) keeps running and picks them up at
its next `oltp down` + `oltp up`.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import psycopg2.extensions
import psycopg2.extras
from psycopg2 import sql

from adventure_elt.errors import (
    ConfigError,
    EmbeddedServerError,
    SourceLoginRefusedError,
    SourceUnreachableError,
    first_line,
)
from adventure_elt.redact import redact
from adventure_elt.settings import Settings

DATABASE = "adventureworks"
# Slots and WAL senders the embedded server allows at least (PostgreSQL's default is 10 each).
REPLICATION_CAPACITY = 10
# What a server that answered says when it will not let this login in, whenever asked (libpq
# gives no SQLSTATE for a failed connection; a server speaking another language is retried).
LOGIN_REFUSED = re.compile(
    r'FATAL: +(?:(?:database|role) ".*" does not exist|password authentication failed'
    r"|no pg_hba\.conf entry)|fe_sendauth: no password supplied"
)


@dataclass(frozen=True)
class ServerStatus:
    """What `oltp status` reports."""

    embedded: bool
    running: bool
    dsn: str | None
    pg_data: Path | None

    def describe(self) -> str:
        """One line for people, with any password masked."""
        where = redact(self.dsn) if self.dsn else "-"
        if not self.embedded:
            state = "reachable" if self.running else "unreachable"
            return f"external source {state}: {where}"
        state = "running" if self.running else "stopped"
        return f"embedded PostgreSQL {state} (data {self.pg_data}): {where}"


def start(settings: Settings) -> str:
    """Start the embedded server if it is not running, create the database, return its DSN.

    Idempotent: calling it while the server runs just returns the DSN.
    """
    pg_data = settings.pg_data_dir.resolve()
    _check_data_folder(pg_data)
    try:
        pg_data.parent.mkdir(parents=True, exist_ok=True)
        pgserver = _import_pgserver()

        was_running = _running_dsn(pg_data) is not None
        server = pgserver.get_server(pg_data, cleanup_mode=None)
        if _running_dsn(pg_data) is None:  # pgserver caches a handle that may since have stopped
            server.ensure_postgres_running()
        if _configure_replication(server.get_uri()) and not was_running:
            # Nobody else uses a server started a moment ago: restart it to apply the settings.
            _stop(pg_data)
            server.ensure_postgres_running()
        admin_dsn: str = server.get_uri()
    except Exception as exc:  # pgserver raises bare CalledProcessError/RuntimeError/OSError
        raise EmbeddedServerError(
            f"could not start the embedded PostgreSQL in {pg_data}: {first_line(exc)}; "
            f"see {pg_data / 'log'}"
        ) from None
    _ensure_database(admin_dsn)
    return _with_database(admin_dsn, DATABASE)


def _check_data_folder(pg_data: Path) -> None:
    """Refuse a data folder that holds something other than a PostgreSQL cluster: initdb
    would fail on it with a page of output, after pgserver had given the folder to its own
    system user."""
    if pg_data.exists() and not pg_data.is_dir():
        raise EmbeddedServerError(
            f"the embedded PostgreSQL's data folder {pg_data} is a file;"
            " set ADVENTURE_ELT_PG_DATA to a new or empty folder"
        )
    if pg_data.is_dir() and any(pg_data.iterdir()) and not (pg_data / "PG_VERSION").is_file():
        raise EmbeddedServerError(
            f"{pg_data} is not empty and holds no PostgreSQL data; set ADVENTURE_ELT_PG_DATA to"
            " a new or empty folder (or the folder of an earlier embedded server)"
        )


def stop(settings: Settings) -> bool:
    """Stop the embedded server. Returns False when it was not running."""
    pg_data = settings.pg_data_dir.resolve()
    if _running_dsn(pg_data) is None:
        return False
    _stop(pg_data)
    return True


def _stop(pg_data: Path) -> None:
    _import_pgserver()
    from pgserver import _commands

    user = "pgserver" if platform.system() != "Windows" and os.geteuid() == 0 else None
    try:
        pg_ctl = _commands.pg_ctl  # type: ignore[attr-defined]  # defined at import time
        pg_ctl(["-m", "fast", "-w", "stop"], pgdata=pg_data, user=user, timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise EmbeddedServerError(
            f"could not stop the embedded PostgreSQL in {pg_data}: {first_line(exc)}"
        ) from None


def status(settings: Settings) -> ServerStatus:
    """Whether the source is up, without starting anything."""
    if not settings.embedded:
        assert settings.source_dsn is not None
        try:
            with connect_to(settings.source_dsn):
                reachable = True
        except SourceUnreachableError:
            reachable = False
        return ServerStatus(False, reachable, settings.source_dsn, None)
    pg_data = settings.pg_data_dir.resolve()
    admin_dsn = _running_dsn(pg_data)
    dsn = _with_database(admin_dsn, DATABASE) if admin_dsn else None
    return ServerStatus(True, admin_dsn is not None, dsn, pg_data)


def source_dsn(settings: Settings) -> str:
    """The DSN of the configured source; starts the embedded server on demand."""
    return settings.source_dsn if settings.source_dsn is not None else start(settings)


@contextmanager
def connect(settings: Settings) -> Iterator[psycopg2.extensions.connection]:
    """A connection to the source, committed on success and closed afterwards."""
    with connect_to(source_dsn(settings)) as conn:
        yield conn


@contextmanager
def connect_to(
    dsn: str, *, autocommit: bool = False, **kwargs: Any
) -> Iterator[psycopg2.extensions.connection]:
    """Open `dsn`; a refused or failed login becomes a one-line SourceUnreachableError, and so
    does a connection lost in the block (the server stopped, the network dropped).

    Without `autocommit` the block is one transaction: committed when it ends normally, rolled
    back on an exception.
    """
    try:
        conn = psycopg2.connect(_libpq_dsn(dsn), connect_timeout=10, **kwargs)
    except psycopg2.ProgrammingError as exc:  # libpq cannot parse it: an unknown ?option, a '['
        raise ConfigError(
            f"the source DSN is not valid ({first_line(exc).removeprefix('invalid dsn: ')})"
            " — check ADVENTURE_ELT_SOURCE_DSN (or --source-dsn)"
        ) from None
    except psycopg2.OperationalError as exc:
        reason = first_line(exc)
        if LOGIN_REFUSED.search(reason):
            raise SourceLoginRefusedError(
                f"the source at {redact(dsn)} refused the login: {reason} — check the"
                " database, user and password in ADVENTURE_ELT_SOURCE_DSN"
            ) from None
        raise SourceUnreachableError(
            f"cannot connect to the source at {redact(dsn)}: {reason} "
            "— is it running? check ADVENTURE_ELT_SOURCE_DSN"
        ) from None
    try:
        if autocommit:
            # A replication connection is always in autocommit mode and refuses the attribute.
            if not isinstance(conn, psycopg2.extras.LogicalReplicationConnection):
                conn.autocommit = True
            yield conn
        else:
            with conn:
                yield conn
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
        if not conn.closed:
            raise
        raise connection_lost(dsn, exc) from None
    finally:
        conn.close()


def connection_lost(dsn: str, exc: BaseException) -> SourceUnreachableError:
    """The one-line error of a source connection lost while in use."""
    return SourceUnreachableError(
        f"lost the connection to the source at {redact(dsn)}: {first_line(exc)} — was it"
        " stopped (`oltp down`)? nothing was half-written; run the command again once it is up"
    )


def _libpq_dsn(dsn: str) -> str:
    """libpq does not know SQLAlchemy's driver suffix (`postgresql+psycopg2://`)."""
    scheme, sep, rest = dsn.partition("://")
    return f"{scheme.split('+')[0]}{sep}{rest}"


def _running_dsn(pg_data: Path) -> str | None:
    """The admin DSN of a server running on `pg_data`, read from postmaster.pid, or None."""
    if not (pg_data / "postmaster.pid").exists():
        return None
    _import_pgserver()
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pg_data)
    if info is None or not info.is_running() or info.status != "ready":
        return None
    return str(info.get_uri())


def _ensure_database(admin_dsn: str) -> None:
    with connect_to(admin_dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("select 1 from pg_database where datname = %s", (DATABASE,))
        if cur.fetchone() is None:
            cur.execute(f"create database {DATABASE}")


def _configure_replication(admin_dsn: str) -> bool:
    """Persist what logical replication needs with ALTER SYSTEM; True when the running server
    lacks it (these settings change only at a restart)."""
    least = {"max_replication_slots": REPLICATION_CAPACITY, "max_wal_senders": REPLICATION_CAPACITY}
    changed = False
    with connect_to(admin_dsn, autocommit=True) as conn, conn.cursor() as cur:
        if _setting(cur, "wal_level") != "logical":
            cur.execute("alter system set wal_level = logical")
            changed = True
        for name, value in least.items():
            if int(_setting(cur, name)) < value:
                alter = sql.SQL("alter system set {} = {}")
                cur.execute(alter.format(sql.Identifier(name), sql.Literal(value)))
                changed = True
    return changed


def _setting(cur: psycopg2.extensions.cursor, name: str) -> str:
    cur.execute("select current_setting(%s)", (name,))
    row = cur.fetchone()
    return str(row[0]) if row else ""


def _with_database(dsn: str, database: str) -> str:
    """Point a pgserver URI (`postgresql://postgres:@/postgres?host=...`) at `database`."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(":@", "@"), path=f"/{database}"))


def _import_pgserver() -> Any:
    """Import pgserver, silencing its warning about a missing XDG_RUNTIME_DIR (harmless here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    return pgserver
