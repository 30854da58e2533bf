"""The pgoutput decoder on bytes the real server produced in each test.

Each test runs DML, takes pgoutput's output through the SQL interface
(`pg_logical_slot_get_binary_changes`, protocol 1) and checks the decoded messages against what
the test did and what the server's catalog says — never against bytes the decoder made.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adventure_elt.oltp import server
from adventure_elt.replicate.cdc import pgoutput
from adventure_elt.replicate.cdc.pgoutput import Toast
from adventure_elt.settings import Settings
from cdc_helpers import capture, execute, query, unique_name

pytestmark = pytest.mark.postgres

TABLE = """
create table public.item (
    id integer primary key,
    name text,
    price numeric(10, 2),
    note text
)
"""


class Source:
    """A database with `public.item`, a publication of it and a pgoutput slot."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.slot = unique_name("dec")
        self.publication = unique_name("pub")
        execute(dsn, TABLE, f"create publication {self.publication} for table public.item")
        query(dsn, "select pg_create_logical_replication_slot(%s, 'pgoutput')", (self.slot,))
        self.item_oid = query(dsn, "select 'public.item'::regclass::oid")[0][0]

    def messages(self, *statements: str | tuple[str, tuple[object, ...]]) -> list[pgoutput.Message]:
        """Run each statement in its own transaction, then decode what the slot has."""
        for statement in statements:
            execute(self.dsn, statement)
        return [pgoutput.decode(data) for data in capture(self.dsn, self.slot, self.publication)]


@pytest.fixture
def source(source_settings: Settings) -> Iterator[Source]:
    assert source_settings.source_dsn is not None
    yield Source(source_settings.source_dsn)


def kinds(messages: list[pgoutput.Message]) -> list[str]:
    return [type(m).__name__ for m in messages]


def test_begin_relation_insert_commit(source: Source) -> None:
    before = query(source.dsn, "select clock_timestamp()")[0][0]
    with_xid = query(
        source.dsn,
        "insert into public.item values (1, 'bolt', 2.5, null) returning txid_current()",
    )
    after = query(source.dsn, "select clock_timestamp()")[0][0]
    messages = source.messages()

    assert kinds(messages) == ["Begin", "Relation", "Insert", "Commit"]
    begin, relation, insert, commit = messages
    assert isinstance(begin, pgoutput.Begin) and isinstance(commit, pgoutput.Commit)
    assert begin.xid == with_xid[0][0]
    assert begin.final_lsn == commit.commit_lsn < commit.end_lsn
    assert before <= begin.commit_time == commit.commit_time <= after

    attributes = query(
        source.dsn,
        "select attname, atttypid, atttypmod from pg_attribute"
        " where attrelid = 'public.item'::regclass and attnum > 0 order by attnum",
    )
    assert relation == pgoutput.Relation(
        source.item_oid,
        "public",
        "item",
        "d",
        tuple(
            pgoutput.RelationColumn(name, oid, modifier, name == "id")
            for name, oid, modifier in attributes
        ),
    )
    assert insert == pgoutput.Insert(source.item_oid, ("1", "bolt", "2.50", None))


def test_updates_carry_the_old_key_only_when_it_changes(source: Source) -> None:
    messages = source.messages(
        "insert into public.item values (1, 'bolt', 2.5, 'a')",
        "update public.item set name = 'nut' where id = 1",
        "update public.item set id = 2 where id = 1",
    )
    updates = [m for m in messages if isinstance(m, pgoutput.Update)]
    assert updates == [
        pgoutput.Update(source.item_oid, None, None, ("1", "nut", "2.50", "a")),
        pgoutput.Update(source.item_oid, "K", ("1", None, None, None), ("2", "nut", "2.50", "a")),
    ]


def test_delete_and_truncate(source: Source) -> None:
    other = "create table public.other (id integer primary key)"
    execute(source.dsn, other, f"alter publication {source.publication} add table public.other")
    other_oid = query(source.dsn, "select 'public.other'::regclass::oid")[0][0]
    messages = source.messages(
        "insert into public.item values (7, 'washer', null, null)",
        "delete from public.item where id = 7",
        "truncate public.item",
        "truncate public.item, public.other restart identity cascade",
    )
    deletes = [m for m in messages if isinstance(m, pgoutput.Delete)]
    truncates = [m for m in messages if isinstance(m, pgoutput.Truncate)]
    assert deletes == [pgoutput.Delete(source.item_oid, "K", ("7", None, None, None))]
    assert truncates[0] == pgoutput.Truncate((source.item_oid,), False, False)
    assert set(truncates[1].relation_ids) == {source.item_oid, other_oid}
    assert truncates[1].cascade and truncates[1].restart_identity


def test_replica_identity_full_sends_whole_old_rows(source: Source) -> None:
    execute(source.dsn, "alter table public.item replica identity full")
    messages = source.messages(
        "insert into public.item values (1, 'bolt', 1, 'x')",
        "update public.item set price = 3 where id = 1",
        "delete from public.item",
    )
    relation = next(m for m in messages if isinstance(m, pgoutput.Relation))
    update = next(m for m in messages if isinstance(m, pgoutput.Update))
    delete = next(m for m in messages if isinstance(m, pgoutput.Delete))
    assert relation.replica_identity == "f"
    assert update.old_kind == "O" and update.old == ("1", "bolt", "1.00", "x")
    assert update.new == ("1", "bolt", "3.00", "x")
    assert delete == pgoutput.Delete(source.item_oid, "O", ("1", "bolt", "3.00", "x"))


def test_unchanged_toasted_value_is_marked_not_sent(source: Source) -> None:
    # 2000 md5 digests hardly compress: the note is stored out of line (TOASTed).
    messages = source.messages(
        "insert into public.item select 1, 'bolt', 1, string_agg(md5(i::text), '')"
        " from generate_series(1, 2000) i",
        "update public.item set name = 'nut' where id = 1",
    )
    inserted = next(m for m in messages if isinstance(m, pgoutput.Insert))
    update = next(m for m in messages if isinstance(m, pgoutput.Update))
    note = inserted.new[3]
    assert isinstance(note, str) and len(note) == 2000 * 32
    assert update.new == ("1", "nut", "1.00", Toast.UNCHANGED)


def test_type_message_for_a_type_that_is_not_built_in(source: Source) -> None:
    execute(
        source.dsn,
        "create type public.mood as enum ('calm', 'cross')",
        "alter table public.item add column mood public.mood",
    )
    messages = source.messages("insert into public.item (id, mood) values (1, 'cross')")
    mood_oid = query(source.dsn, "select 'public.mood'::regtype::oid")[0][0]
    assert kinds(messages) == ["Begin", "Type", "Relation", "Insert", "Commit"]
    assert messages[1] == pgoutput.Type(mood_oid, "public", "mood")
    assert messages[3] == pgoutput.Insert(source.item_oid, ("1", None, None, None, "cross"))


def test_origin_message_of_a_replicated_transaction(source: Source) -> None:
    origin = unique_name("origin")
    query(source.dsn, "select pg_replication_origin_create(%s)", (origin,))
    try:
        with server.connect_to(source.dsn) as conn, conn.cursor() as cur:
            cur.execute("select pg_replication_origin_session_setup(%s)", (origin,))
            conn.commit()
            cur.execute("select pg_replication_origin_xact_setup('0/ABCDEF', now())")
            cur.execute("insert into public.item values (1, 'from elsewhere', null, null)")
            conn.commit()  # the commit record carries the session's origin
            cur.execute("select pg_replication_origin_session_reset()")
        messages = source.messages()
    finally:
        query(source.dsn, "select pg_replication_origin_drop(%s)", (origin,))
    assert kinds(messages) == ["Begin", "Origin", "Relation", "Insert", "Commit"]
    assert messages[1] == pgoutput.Origin(0xABCDEF, origin)


def test_rolled_back_transaction_sends_nothing(source: Source) -> None:
    with server.connect_to(source.dsn) as conn, conn.cursor() as cur:
        cur.execute("insert into public.item values (1, 'never', null, null)")
        conn.rollback()
    assert source.messages() == []


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    name=st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"])),
    note=st.none() | st.text(max_size=50),
)
def test_any_text_round_trips(source: Source, name: str, note: str | None) -> None:
    if note is not None:
        note = note.replace("\x00", "")
    execute(
        source.dsn,
        ("insert into public.item values (1, %s, null, %s)", (name, note)),
        "delete from public.item",
    )
    messages = source.messages()
    insert = next(m for m in messages if isinstance(m, pgoutput.Insert))
    assert insert.new == ("1", name, None, note)
