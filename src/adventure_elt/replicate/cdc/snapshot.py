"""The initial copy: read the tables inside the snapshot a new slot exported.

`sync` reads a table with `extract.read_batches` inside its own REPEATABLE READ transaction; the
initial copy reads it the same way inside a transaction that imported the slot's snapshot, so
the copy shows the database exactly as of the slot's start — nothing the stream will deliver,
nothing it will not.

Example (with a running source)::

    with create_slot(dsn, "aw") as start, snapshot_connection(dsn, start.snapshot_name) as conn:
        for batch in read_batches(conn, table, source_columns(conn, table)):
            ...  # write the batch downstream
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions

from adventure_elt.errors import ReplicationSetupError, first_line
from adventure_elt.oltp import server
from adventure_elt.replicate.extract import prepare_session


@contextmanager
def snapshot_connection(dsn: str, snapshot_name: str) -> Iterator[psycopg2.extensions.connection]:
    """A connection whose read-only transaction sees the exported snapshot `snapshot_name`.

    Enter it inside `slot.create_slot`'s block (the snapshot exists only while the slot's
    creating connection is idle); once entered, the transaction keeps the snapshot however long
    the copy takes. Read with `extract.source_columns` and `extract.read_batches`.

    Raises:
        ReplicationSetupError: the snapshot is gone (its slot's block ended) or malformed.
    """
    with server.connect_to(dsn, client_encoding="UTF8") as conn:
        conn.set_session(
            isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True
        )
        use_snapshot(conn, snapshot_name)
        prepare_session(conn)
        yield conn


def use_snapshot(conn: psycopg2.extensions.connection, snapshot_name: str) -> None:
    """Make the connection's REPEATABLE READ transaction see `snapshot_name` (call it first in
    the transaction; `sync`'s initial copy for `cdc start` reads this way too).

    Raises:
        ReplicationSetupError: the snapshot is gone (its slot's block ended) or malformed.
    """
    try:
        with conn.cursor() as cur:
            cur.execute("set transaction snapshot %s", (snapshot_name,))
    except psycopg2.Error as exc:
        raise ReplicationSetupError(
            f"cannot read in the slot's snapshot {snapshot_name!r}: {first_line(exc)}; "
            "it exists only while the slot is being created — drop the slot and start again"
        ) from None
