"""Stream a slot's changes in micro-batches that end on transaction boundaries.

`ChangeReader` opens a replication connection, starts `pgoutput` (protocol 1) on the slot and
publication, decodes every message and yields a `Batch` once it holds `max_changes` changes or
its first transaction is `max_seconds` old — always after a Commit, never inside a transaction.

Exactly-once effect rests on one rule: the reader never tells PostgreSQL a position is done on
its own. The caller writes a batch downstream, commits it, and only then calls
`acknowledge(batch.end_lsn)`; after a crash the slot re-delivers everything not acknowledged, and
the downstream merge absorbs the repeats. Keepalives are answered with the last acknowledged
position. (psycopg2 moves that position up to the server's WAL end on a keepalive only when
every message received so far has been acknowledged — then nothing is pending and an idle slot
does not pin WAL. The reader therefore stops reading after a batch's last Commit, and asking for
the next batch before acknowledging the previous one is refused.)

`request_stop()` — safe to call from a signal handler — makes the reader finish the transaction
in flight, yield what it holds and end.

Keep each batch's downstream write shorter than the server's `wal_sender_timeout` (60 s by
default): the reader answers nothing while the caller works, and the server drops a silent
connection. Nothing is lost then — the next reader gets the batch again.
"""

from __future__ import annotations

import select
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any

import psycopg2

from adventure_elt.catalog import TABLES, SourceTable
from adventure_elt.errors import AdventureEltError, SourceUnreachableError
from adventure_elt.oltp import server
from adventure_elt.replicate.cdc import pgoutput
from adventure_elt.replicate.cdc.changes import (
    Change,
    SchemaChange,
    Transaction,
    TransactionAssembler,
)
from adventure_elt.replicate.cdc.lsn import format_lsn
from adventure_elt.replicate.cdc.session import replication_connection, replication_error
from adventure_elt.replicate.cdc.values import TypeNames, catalog_type_name
from adventure_elt.replicate.extract import SourceColumn

# How long one wait for data lasts: the longest a stop request goes unnoticed.
_POLL_SECONDS = 0.2
# How long a closing reader waits for the server to let the slot go.
_RELEASE_SECONDS = 10.0


@dataclass(frozen=True)
class Batch:
    """Whole transactions, in commit order. Acknowledge `end_lsn` once they are applied.

    Args:
        changes: every change of the batch's transactions, in the order they were made.
        schema_changes: columns added, dropped or changed in type since the previous Relation
            message of a table in this session (after a restart compare `columns` with raw).
        transactions: how many transactions the batch holds (some may touch no catalog table).
        end_lsn: the end of the last transaction: the position to acknowledge.
        last_committed_at: when the last transaction committed (UTC).
        columns: the latest source columns of every table described so far in this session.
    """

    changes: tuple[Change, ...]
    schema_changes: tuple[SchemaChange, ...]
    transactions: int
    end_lsn: int
    last_committed_at: datetime
    columns: Mapping[SourceTable, tuple[SourceColumn, ...]]

    def changes_of(self, table: SourceTable) -> list[Change]:
        """This batch's changes to one table, in order."""
        return [c for c in self.changes if c.table == table]


class ChangeReader:
    """Read a slot's changes as batches; use it as a context manager.

    Args:
        dsn: the source database (a role with the REPLICATION privilege).
        slot: an existing `pgoutput` slot (`slot.create_slot`).
        publication: the publication of the tables (`publication.ensure_publication`).
        max_changes: a batch is closed at the first Commit after this many changes.
        max_seconds: ... or at the first Commit this long after its first transaction arrived.
        tables: the tables whose changes are kept (others in the publication are skipped).
    """

    def __init__(
        self,
        dsn: str,
        slot: str,
        publication: str,
        *,
        max_changes: int = 10_000,
        max_seconds: float = 1.0,
        tables: Sequence[SourceTable] = TABLES,
    ) -> None:
        if max_changes < 1 or max_seconds <= 0:
            raise ValueError("max_changes must be at least 1 and max_seconds above 0")
        self._dsn = dsn
        self._slot = slot
        self._publication = publication
        self._max_changes = max_changes
        self._max_seconds = max_seconds
        self._assembler = TransactionAssembler(TypeNames(self._type_name), tables)
        self._stop_requested = False
        self._connection: Any = None
        self._cursor: Any = None
        self._delivered_lsn = 0
        self._unacknowledged: int | None = None

    def __enter__(self) -> ChangeReader:
        with ExitStack() as stack:
            self._connection = stack.enter_context(replication_connection(self._dsn))
            self._sender_pid = self._connection.get_backend_pid()
            self._cursor = self._connection.cursor()
            try:
                self._cursor.start_replication(
                    slot_name=self._slot,
                    options={"proto_version": "1", "publication_names": self._publication},
                )
            except psycopg2.Error as exc:
                raise replication_error(exc, self._slot) from None
            self._open = stack.pop_all()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._open.close()
        # The server's WAL sender lets the slot go a moment after the connection closes; wait,
        # so the next reader (or `drop_slot`) finds it free.
        with suppress(AdventureEltError, psycopg2.Error):
            _wait_for_release(self._dsn, self._sender_pid)

    def request_stop(self) -> None:
        """Finish the transaction in flight, yield the open batch and end `batches()`.

        Only sets a flag: safe in a signal handler.
        """
        self._stop_requested = True

    def batches(self) -> Iterator[Batch]:
        """Yield batches until `request_stop()`; each must be acknowledged before the next.

        Raises:
            RuntimeError: the next batch was asked for before `acknowledge`.
            ReplicationSetupError: the publication is missing, the slot is taken, ...
            SourceUnreachableError: the connection was lost (nothing acknowledged is lost).
        """
        while True:
            if self._unacknowledged is not None:
                raise RuntimeError(
                    f"acknowledge the batch ending at {format_lsn(self._unacknowledged)} before"
                    " reading on (or stop: it is delivered again next time)"
                )
            transactions = self._collect()
            if not transactions:
                return
            last = transactions[-1]
            self._delivered_lsn = self._unacknowledged = last.end_lsn
            yield Batch(
                changes=tuple(c for t in transactions for c in t.changes),
                schema_changes=tuple(s for t in transactions for s in t.schema_changes),
                transactions=len(transactions),
                end_lsn=last.end_lsn,
                last_committed_at=last.committed_at,
                columns=self._assembler.columns,
            )

    def acknowledge(self, lsn: int) -> None:
        """Tell PostgreSQL everything up to `lsn` (a batch's `end_lsn`) is applied downstream.

        Call it only after the batch is committed there: the slot then lets that WAL go, and a
        restart resumes after it.

        Raises:
            ValueError: `lsn` is beyond the last batch delivered.
        """
        if lsn > self._delivered_lsn:
            raise ValueError(
                f"cannot acknowledge {format_lsn(lsn)}: the last batch delivered ends at"
                f" {format_lsn(self._delivered_lsn)}"
            )
        try:
            self._cursor.send_feedback(write_lsn=lsn, flush_lsn=lsn, apply_lsn=lsn, force=True)
        except psycopg2.Error as exc:
            raise replication_error(exc, self._slot) from None
        if self._unacknowledged is not None and lsn >= self._unacknowledged:
            self._unacknowledged = None

    def _collect(self) -> list[Transaction]:
        """Read until the batch is full, old enough, or a stop is requested — at a Commit."""
        transactions: list[Transaction] = []
        changes = 0
        deadline = 0.0
        while True:
            between = not self._assembler.in_transaction
            if between and self._stop_requested:
                return transactions
            full = changes >= self._max_changes or time.monotonic() >= deadline
            if between and transactions and full:
                return transactions
            message = self._read()
            if message is None:
                if self._connection.closed:
                    raise SourceUnreachableError(
                        "the source closed the replication connection; run the command again"
                    )
                wait = _POLL_SECONDS
                if transactions:
                    wait = max(0.0, min(wait, deadline - time.monotonic()))
                select.select([self._cursor], [], [], wait)
                continue
            done = self._assembler.feed(pgoutput.decode(message.payload))
            if done is not None:
                if not transactions:
                    deadline = time.monotonic() + self._max_seconds
                transactions.append(done)
                changes += len(done.changes)

    def _read(self) -> Any:
        try:
            return self._cursor.read_message()
        except psycopg2.Error as exc:
            raise replication_error(exc, self._slot) from None

    def _type_name(self, type_oid: int) -> str:
        """Name a type that is not built in, from the source's catalog (once per type)."""
        with server.connect_to(self._dsn) as conn:
            return catalog_type_name(conn, type_oid)


def _wait_for_release(dsn: str, pid: int) -> None:
    """Wait until the process `pid` holds no replication slot (at most _RELEASE_SECONDS)."""
    give_up = time.monotonic() + _RELEASE_SECONDS
    with server.connect_to(dsn, autocommit=True) as conn, conn.cursor() as cur:
        while time.monotonic() < give_up:
            cur.execute("select 1 from pg_replication_slots where active_pid = %s", (pid,))
            if cur.fetchone() is None:
                return
            time.sleep(_POLL_SECONDS / 10)
