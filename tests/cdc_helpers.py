"""Helpers for the log-based replication tests: names, DML, captured pgoutput bytes, draining."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from adventure_elt.oltp import schema, server
from adventure_elt.replicate.cdc import (
    Batch,
    Change,
    ChangeReader,
    create_slot,
    ensure_publication,
    parse_lsn,
)

# A safety net only: a reader that never gets the changes a test waits for is stopped after
# this long, so the test fails on its assertion instead of hanging. Nothing asserts on time.
GIVE_UP_SECONDS = 60.0


def unique_name(prefix: str) -> str:
    """A slot or publication name no other test uses (slots are server-wide)."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def execute(dsn: str, *statements: str | tuple[str, tuple[Any, ...]]) -> int:
    """Run statements (text, or text and parameters) in one transaction; return a WAL position
    just before its commit record (a stream has applied the transaction once past it)."""
    with server.connect_to(dsn) as conn, conn.cursor() as cur:
        for statement in statements:
            if isinstance(statement, tuple):
                cur.execute(statement[0], statement[1])
            else:
                cur.execute(statement)
        cur.execute("select pg_current_wal_insert_lsn()::text")
        row = cur.fetchone()
    assert row is not None
    return parse_lsn(str(row[0]))


def query(dsn: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of one query."""
    with server.connect_to(dsn) as conn, conn.cursor() as cur:
        cur.execute(statement, params)
        return list(cur.fetchall())


def capture(dsn: str, slot: str, publication: str) -> list[bytes]:
    """Consume the slot's pending changes through the SQL interface: pgoutput's raw bytes."""
    rows = query(
        dsn,
        "select data from pg_logical_slot_get_binary_changes(%s, null, null,"
        " 'proto_version', '1', 'publication_names', %s)",
        (slot, publication),
    )
    return [bytes(data) for (data,) in rows]


@contextmanager
def give_up_later(reader: ChangeReader) -> Iterator[None]:
    """Stop the reader after GIVE_UP_SECONDS whatever happens."""
    timer = threading.Timer(GIVE_UP_SECONDS, reader.request_stop)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


@contextmanager
def slot_in_use(dsn: str, slot: str, publication: str, seconds: float | None) -> Iterator[None]:
    """The slot read by another process, as a run SIGKILLed a moment ago holds it until the
    server notices: let go after `seconds`, or when the block ends."""
    holder = ChangeReader(dsn, slot, publication)
    holder.__enter__()
    let_go = None if seconds is None else threading.Timer(seconds, holder.__exit__, (None,) * 3)
    if let_go is not None:
        let_go.start()
    try:
        yield
    finally:
        if let_go is None:
            holder.__exit__(None, None, None)
        else:
            let_go.join()


def drain(reader: ChangeReader, changes: int, acknowledge: bool = True) -> list[Batch]:
    """Read batches until they hold at least `changes` changes; acknowledge each (or not: then
    only the first batch can be read)."""
    batches: list[Batch] = []
    with give_up_later(reader):
        for batch in reader.batches():
            batches.append(batch)
            if acknowledge:
                reader.acknowledge(batch.end_lsn)
            if sum(len(b.changes) for b in batches) >= changes or not acknowledge:
                break
    return batches


def summary(changes: list[Change]) -> list[tuple[str, str, Any, Any]]:
    """Changes as (table, op, key, row) for comparison with what a test did."""
    return [(c.table.qualified_name, c.op, c.key, c.row) for c in changes]


def all_changes(batches: list[Batch]) -> list[Change]:
    """Every change of the batches, in order."""
    return [c for b in batches for c in b.changes]


@dataclass(frozen=True)
class Shop:
    """A source database with the catalog tables, their publication and a fresh slot."""

    dsn: str
    slot: str
    publication: str

    def reader(self, **options: Any) -> ChangeReader:
        """A reader of the shop's slot (`ChangeReader` options: max_changes, max_seconds)."""
        return ChangeReader(self.dsn, self.slot, self.publication, **options)


@contextmanager
def open_shop(dsn: str) -> Iterator[Shop]:
    """Create the schema (if missing), the publication and the slot; the stream starts now."""
    shop = Shop(dsn, unique_name("slot"), unique_name("pub"))
    with server.connect_to(dsn) as conn:
        schema.create_schema(conn)
        ensure_publication(conn, shop.publication)
    with create_slot(dsn, shop.slot):
        pass
    yield shop
