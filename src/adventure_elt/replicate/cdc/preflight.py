"""Check that the source can feed log-based replication, before anything is created.

Each problem is one `ReplicationSetupError` line naming the setting and how to set it (the CLI
exits 2): `wal_level` not `logical`, a role without the REPLICATION privilege, no free
replication slot or WAL sender, a catalog table missing or without a replica identity, an
existing slot that is not ours to use. The publication is checked by `publication`.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg2.extensions

from adventure_elt.catalog import TABLES, SourceTable
from adventure_elt.errors import ConfigError, ReplicationSetupError
from adventure_elt.replicate.cdc.slot import PLUGIN, slot_status

_RESTART = (
    "and restart PostgreSQL (the embedded server: `adventure-elt oltp down` then"
    " `adventure-elt oltp up`)"
)


def check_source(
    conn: psycopg2.extensions.connection, slot: str, tables: Sequence[SourceTable] = TABLES
) -> None:
    """Raise a ReplicationSetupError for the first thing that keeps `slot` from streaming.

    Args:
        conn: a connection to the source database, as the role replication will use.
        slot: the slot `cdc` reads (it may not exist yet).
        tables: the tables to replicate.

    Raises:
        ReplicationSetupError: the source is not set up for logical replication.
        ConfigError: a catalog table is missing (`adventure-elt oltp init` creates them).
    """
    settings = _settings(conn)
    if settings["wal_level"] != "logical":
        raise ReplicationSetupError(
            f"the source has wal_level = {settings['wal_level']}, logical replication needs"
            f" logical: run ALTER SYSTEM SET wal_level = logical as a superuser {_RESTART}"
        )
    _check_privilege(conn)
    _check_slot(conn, slot, int(settings["max_replication_slots"]))
    _check_wal_senders(conn, int(settings["max_wal_senders"]))
    _check_tables(conn, tables)


def _settings(conn: psycopg2.extensions.connection) -> dict[str, str]:
    with conn.cursor() as cur:
        cur.execute(
            "select name, setting from pg_settings"
            " where name in ('wal_level', 'max_replication_slots', 'max_wal_senders')"
        )
        return {str(name): str(value) for name, value in cur.fetchall()}


def _check_privilege(conn: psycopg2.extensions.connection) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "select current_user, rolsuper or rolreplication from pg_roles"
            " where rolname = current_user"
        )
        row = cur.fetchone()
    if row is None or not row[1]:
        role = row[0] if row else "this role"
        raise ReplicationSetupError(
            f"role {role} has no REPLICATION privilege, which log-based replication needs: run"
            f" ALTER ROLE {role} REPLICATION as a superuser, or connect as a role that has it"
        )


def _check_slot(conn: psycopg2.extensions.connection, slot: str, capacity: int) -> None:
    status = slot_status(conn, slot)
    if status is None:
        with conn.cursor() as cur:
            cur.execute("select count(*) from pg_replication_slots")
            row = cur.fetchone()
        used = int(row[0]) if row else 0
        if used >= capacity:
            raise ReplicationSetupError(
                f"all {capacity} replication slots of the source are taken"
                f" (max_replication_slots = {capacity}): drop unused ones"
                " (pg_drop_replication_slot, see pg_replication_slots) or run ALTER SYSTEM SET"
                f" max_replication_slots = {capacity + 1} {_RESTART}"
            )
        return
    with conn.cursor() as cur:
        cur.execute("select current_database()")
        row = cur.fetchone()
    database = str(row[0]) if row else ""
    if status.plugin != PLUGIN or status.database != database:
        raise ReplicationSetupError(
            f"replication slot {slot} exists but is not a {PLUGIN} slot of database {database}"
            f" ({status.plugin} on {status.database or 'no database'}): choose another name with"
            " ADVENTURE_ELT_CDC_SLOT, or drop it with `adventure-elt cdc drop`"
        )
    if status.wal_status == "lost":
        raise ReplicationSetupError(
            f"replication slot {slot} is unusable: the server removed WAL it still needed"
            " (max_slot_wal_keep_size); drop it with `adventure-elt cdc drop` and start again"
        )
    if status.active_pid is not None:
        raise ReplicationSetupError(
            f"replication slot {slot} is in use by process {status.active_pid}; is another"
            " `adventure-elt cdc start` running?"
        )


def _check_wal_senders(conn: psycopg2.extensions.connection, capacity: int) -> None:
    with conn.cursor() as cur:
        cur.execute("select count(*) from pg_stat_activity where backend_type = 'walsender'")
        row = cur.fetchone()
    if (int(row[0]) if row else 0) >= capacity:
        raise ReplicationSetupError(
            f"all {capacity} WAL senders of the source are busy (max_wal_senders = {capacity}):"
            f" run ALTER SYSTEM SET max_wal_senders = {capacity + 1} {_RESTART}"
        )


def _check_tables(conn: psycopg2.extensions.connection, tables: Sequence[SourceTable]) -> None:
    """Every table exists and has a replica identity (its primary key, or FULL / an index), so
    its updates and deletes carry the key."""
    with conn.cursor() as cur:
        cur.execute(
            "select n.nspname || '.' || c.relname, c.relreplident,"
            " exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary)"
            " from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where c.relkind in ('r', 'p') and n.nspname || '.' || c.relname = any(%s)",
            ([t.qualified_name for t in tables],),
        )
        found = {str(name): (str(identity), bool(has_key)) for name, identity, has_key in cur}
    for table in tables:
        if table.qualified_name not in found:
            raise ConfigError(
                f"the source has no table {table.qualified_name} (or this login cannot read it);"
                " run `adventure-elt oltp init` or check ADVENTURE_ELT_SOURCE_DSN"
            )
        identity, has_key = found[table.qualified_name]
        if identity == "n" or (identity == "d" and not has_key):
            raise ReplicationSetupError(
                f"table {table.qualified_name} has no replica identity, so its updates and"
                " deletes cannot be streamed: add its primary key, or run ALTER TABLE"
                f" {table.qualified_name} REPLICA IDENTITY FULL"
            )
