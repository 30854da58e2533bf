"""The replication connection, and the one-line errors replication failures become.

The connection speaks UTF-8 and prints values as `extract` parses them
(`extract.prepare_session`), so the stream produces the same values `sync` reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.errors
import psycopg2.extras

from adventure_elt.errors import (
    AdventureEltError,
    ReplicationSetupError,
    SourceUnreachableError,
    first_line,
)
from adventure_elt.oltp import server
from adventure_elt.replicate.extract import prepare_session


@contextmanager
def replication_connection(dsn: str) -> Iterator[psycopg2.extras.LogicalReplicationConnection]:
    """A logical replication connection to the source database (replication commands and
    simple SQL), closed afterwards."""
    with server.connect_to(
        dsn,
        autocommit=True,
        connection_factory=psycopg2.extras.LogicalReplicationConnection,
        client_encoding="UTF8",
    ) as conn:
        try:
            prepare_session(conn)
        except psycopg2.Error as exc:
            raise replication_error(exc) from None
        yield conn


def replication_error(exc: psycopg2.Error, slot: str | None = None) -> AdventureEltError:
    """The one-line error a failed replication command or stream becomes.

    A lost connection is a retryable `SourceUnreachableError`; a missing or busy slot, a missing
    publication or a refused privilege is a `ReplicationSetupError` saying what to do.
    """
    text = first_line(exc)
    named = f"replication slot {slot}" if slot else "the replication slot"
    if isinstance(exc, psycopg2.errors.UndefinedObject) and "publication" in text:
        return ReplicationSetupError(f"{text}; create it with `adventure-elt cdc start`")
    if isinstance(exc, psycopg2.errors.UndefinedObject):
        return ReplicationSetupError(
            f"{named} does not exist in the source; `adventure-elt cdc start` creates it"
        )
    if isinstance(exc, psycopg2.errors.ObjectInUse):
        return ReplicationSetupError(
            f"{named} is in use ({text}); is another `adventure-elt cdc start` running?"
        )
    if isinstance(exc, psycopg2.errors.DuplicateObject):
        return ReplicationSetupError(
            f"{named} already exists; drop it with `adventure-elt cdc drop` to start afresh"
        )
    if isinstance(exc, psycopg2.errors.InsufficientPrivilege):
        return ReplicationSetupError(
            f"{text}; grant it with ALTER ROLE <role> REPLICATION (as a superuser)"
        )
    if isinstance(exc, psycopg2.errors.ObjectNotInPrerequisiteState):
        return ReplicationSetupError(f"{text}; see `adventure-elt cdc status`")
    if isinstance(exc, psycopg2.OperationalError | psycopg2.InterfaceError):
        return SourceUnreachableError(
            f"lost the replication connection to the source: {text}; run the command again"
        )
    return ReplicationSetupError(f"replication failed: {text}")
