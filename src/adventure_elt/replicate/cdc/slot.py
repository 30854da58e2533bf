"""The logical replication slot (`pgoutput`): create it with an exported snapshot, describe, drop.

A slot keeps every WAL segment from its `restart_lsn` on until its consumer acknowledges
progress: a forgotten slot fills the source's disk. `slot_status` reports that retained WAL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from adventure_elt.errors import ReplicationSetupError
from adventure_elt.replicate.cdc.lsn import parse_lsn
from adventure_elt.replicate.cdc.session import replication_connection, replication_error

PLUGIN = "pgoutput"


@dataclass(frozen=True)
class SlotSnapshot:
    """A slot just created, and the snapshot that shows the database exactly as of its start.

    Every transaction committed before `consistent_lsn` is in the snapshot; every one committed
    after it comes through the slot. `snapshot_name` is valid only while `create_slot`'s block
    runs (`snapshot.snapshot_connection` imports it).
    """

    slot: str
    consistent_lsn: int
    snapshot_name: str


@dataclass(frozen=True)
class SlotStatus:
    """A slot as `pg_replication_slots` shows it, with its lag and retained WAL in bytes.

    Args:
        slot: its name.
        plugin: the output plugin (`pgoutput` for ours).
        database: the database it decodes.
        active_pid: the process streaming from it now, or None.
        confirmed_flush_lsn: everything committed before it has been acknowledged.
        restart_lsn: the oldest WAL it still needs.
        lag_bytes: WAL written since `confirmed_flush_lsn` (not yet acknowledged).
        retained_bytes: WAL the server keeps for it (since `restart_lsn`).
        wal_status: `reserved`/`extended` (fine), `unreserved` (at risk), `lost` (unusable).
    """

    slot: str
    plugin: str
    database: str
    active_pid: int | None
    confirmed_flush_lsn: str | None
    restart_lsn: str | None
    lag_bytes: int | None
    retained_bytes: int | None
    wal_status: str | None


@contextmanager
def create_slot(dsn: str, slot: str) -> Iterator[SlotSnapshot]:
    """Create the logical slot `slot` on `pgoutput`, exporting its snapshot for the block.

    Run the initial copy in the block (`snapshot.snapshot_connection(dsn, s.snapshot_name)`):
    the copy then holds exactly what the slot does not stream. If the block raises, the slot is
    dropped again, since a slot without its initial copy would lose the rows before it.

    Creating a slot waits until every transaction that has written something and is open on
    the server at that moment has ended: hold none open meanwhile, not even in this process.

    Raises:
        ReplicationSetupError: the slot exists already, or the server refuses (the message of
            `preflight.check_source` says why before it comes to this).
    """
    with replication_connection(dsn) as conn, conn.cursor() as cur:
        command = sql.SQL("CREATE_REPLICATION_SLOT {} LOGICAL {} (SNAPSHOT 'export')")
        try:
            cur.execute(command.format(sql.Identifier(slot), sql.Identifier(PLUGIN)))
            row = cur.fetchone()
        except psycopg2.Error as exc:
            raise replication_error(exc, slot) from None
        assert row is not None  # CREATE_REPLICATION_SLOT always answers one row
        try:
            yield SlotSnapshot(str(row[0]), parse_lsn(str(row[1])), str(row[2]))
        except BaseException:
            with suppress(psycopg2.Error):  # a lost connection: the slot stays, status shows it
                cur.execute(sql.SQL("DROP_REPLICATION_SLOT {}").format(sql.Identifier(slot)))
            raise


def slot_status(conn: psycopg2.extensions.connection, slot: str) -> SlotStatus | None:
    """The slot's state, or None when the server has no slot of that name."""
    with conn.cursor() as cur:
        cur.execute(
            "select slot_name, coalesce(plugin, 'physical'), coalesce(database, ''), active_pid,"
            " confirmed_flush_lsn::text, restart_lsn::text,"
            " pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint,"
            " pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint, wal_status"
            " from pg_replication_slots where slot_name = %s",
            (slot,),
        )
        row = cur.fetchone()
    return None if row is None else SlotStatus(*row)


def drop_slot(conn: psycopg2.extensions.connection, slot: str) -> bool:
    """Drop the slot (the server frees the WAL it kept); False when there was none.

    Raises:
        ReplicationSetupError: a process is streaming from it.
    """
    status = slot_status(conn, slot)
    if status is None:
        return False
    if status.active_pid is not None:
        raise ReplicationSetupError(
            f"replication slot {slot} is in use by process {status.active_pid}; stop"
            " `adventure-elt cdc start` first"
        )
    try:
        with conn.cursor() as cur:
            cur.execute("select pg_drop_replication_slot(%s)", (slot,))
    except psycopg2.Error as exc:
        raise replication_error(exc, slot) from None
    return True
