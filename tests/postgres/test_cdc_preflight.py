"""A source that cannot feed log-based replication is refused in one line naming the fix.

Each case is made for real on the embedded server: an old data folder without
`wal_level = logical`, a role without REPLICATION, every slot or WAL sender taken, a slot that is
not ours, a table without replica identity, an incomplete publication.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import psycopg2.extras
import pytest

from adventure_elt.errors import AdventureEltError, ConfigError, ReplicationSetupError
from adventure_elt.oltp import schema, server
from adventure_elt.replicate.cdc import (
    check_publication,
    check_source,
    describe,
    ensure_publication,
)
from adventure_elt.replicate.cdc.publication import create_statement
from adventure_elt.settings import Settings
from cdc_helpers import Shop, execute, open_shop, query, unique_name

pytestmark = pytest.mark.postgres


@pytest.fixture
def shop(source_settings: Settings) -> Iterator[Shop]:
    assert source_settings.source_dsn is not None
    with open_shop(source_settings.source_dsn) as opened:
        yield opened


def refusal(dsn: str, slot: str, expected: type[AdventureEltError] = ReplicationSetupError) -> str:
    """The one-line message check_source refuses `slot` with."""
    with server.connect_to(dsn) as conn, pytest.raises(expected) as raised:
        check_source(conn, slot)
    message = str(raised.value)
    assert "\n" not in message and raised.value.exit_code == 2
    return message


def test_a_ready_source_passes(shop: Shop) -> None:
    with server.connect_to(shop.dsn) as conn:
        check_source(conn, shop.slot)  # the slot exists
        check_source(conn, unique_name("new"))  # a slot still to be made


def test_a_new_embedded_server_is_ready_for_logical_replication(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    try:
        dsn = server.start(settings)
        found = query(
            dsn,
            "select current_setting('wal_level'), current_setting('max_replication_slots')::int,"
            " current_setting('max_wal_senders')::int",
        )
        assert found == [("logical", server.REPLICATION_CAPACITY, server.REPLICATION_CAPACITY)]
    finally:
        server.stop(settings)


def test_an_old_data_folder_is_configured_and_restarted(tmp_path: Path) -> None:
    """A data folder made before `oltp up` configured replication (plain pgserver defaults)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    settings = Settings(home=tmp_path)
    old = pgserver.get_server(settings.pg_data_dir.resolve(), cleanup_mode=None)
    try:
        old_dsn = old.get_uri()
        with server.connect_to(old_dsn) as conn:
            schema.create_schema(conn)
        message = refusal(old_dsn, "aw")
        assert (
            "wal_level = replica" in message and "ALTER SYSTEM SET wal_level = logical" in message
        )
        assert "oltp down" in message

        dsn = server.start(settings)  # already running: settings written, no restart behind users
        with server.connect_to(dsn) as conn:
            schema.create_schema(conn)
        assert "wal_level = replica" in refusal(dsn, "aw")

        server.stop(settings)
        dsn = server.start(settings)
        assert query(dsn, "select current_setting('wal_level')") == [("logical",)]
        with server.connect_to(dsn) as conn:
            check_source(conn, "aw")
    finally:
        server.stop(settings)


def test_a_role_without_replication_privilege(shop: Shop) -> None:
    role = unique_name("clerk")
    execute(shop.dsn, f"create role {role} login")
    try:
        clerk_dsn = shop.dsn.replace("postgres@", f"{role}@")
        message = refusal(clerk_dsn, unique_name("slot"))
        assert f"role {role} has no REPLICATION privilege" in message
        assert f"ALTER ROLE {role} REPLICATION" in message

        execute(shop.dsn, f"alter role {role} replication")
        with server.connect_to(clerk_dsn) as conn:
            check_source(conn, unique_name("slot"))
            # ...but it may not create in the database nor owns the tables: no publication.
            with pytest.raises(ReplicationSetupError) as raised:
                ensure_publication(conn, unique_name("pub"))
            assert "permission denied" in str(raised.value)
            assert "have the tables' owner run: create publication" in str(raised.value)
    finally:
        execute(shop.dsn, f"drop owned by {role}", f"drop role {role}")


def test_every_slot_taken(shop: Shop) -> None:
    capacity = int(query(shop.dsn, "select current_setting('max_replication_slots')")[0][0])
    used = query(shop.dsn, "select count(*) from pg_replication_slots")[0][0]
    for _ in range(capacity - used):  # dropped with the test's database
        query(
            shop.dsn,
            "select pg_create_logical_replication_slot(%s, 'pgoutput')",
            (unique_name("x"),),
        )
    message = refusal(shop.dsn, unique_name("new"))
    assert f"all {capacity} replication slots" in message and "max_replication_slots" in message
    with server.connect_to(shop.dsn) as conn:
        check_source(conn, shop.slot)  # an existing slot needs no free one


def test_every_wal_sender_busy(shop: Shop) -> None:
    capacity = int(query(shop.dsn, "select current_setting('max_wal_senders')")[0][0])
    busy = query(shop.dsn, "select count(*) from pg_stat_activity where backend_type = 'walsender'")
    senders = [
        psycopg2.connect(shop.dsn, connection_factory=psycopg2.extras.LogicalReplicationConnection)
        for _ in range(capacity - busy[0][0])
    ]
    try:
        message = refusal(shop.dsn, shop.slot)
        assert f"all {capacity} WAL senders" in message and "max_wal_senders" in message
    finally:
        for sender in senders:
            sender.close()


def test_a_slot_that_is_not_ours(shop: Shop) -> None:
    physical = unique_name("phys")
    query(shop.dsn, "select pg_create_physical_replication_slot(%s)", (physical,))
    try:
        message = refusal(shop.dsn, physical)
        assert "is not a pgoutput slot" in message and "ADVENTURE_ELT_CDC_SLOT" in message
    finally:
        query(shop.dsn, "select pg_drop_replication_slot(%s)", (physical,))
    with shop.reader():
        assert "is in use by process" in refusal(shop.dsn, shop.slot)


def test_tables_missing_or_without_replica_identity(shop: Shop) -> None:
    execute(shop.dsn, "alter table sales.creditcard replica identity nothing")
    message = refusal(shop.dsn, shop.slot)
    assert "sales.creditcard has no replica identity" in message
    assert "REPLICA IDENTITY FULL" in message
    execute(shop.dsn, "alter table sales.creditcard replica identity full")
    with server.connect_to(shop.dsn) as conn:
        check_source(conn, shop.slot)
    execute(shop.dsn, "drop table sales.salesorderdetail")
    assert "oltp init" in refusal(shop.dsn, shop.slot, ConfigError)


def test_an_incomplete_publication(shop: Shop) -> None:
    partial = unique_name("pub")
    execute(
        shop.dsn,
        f"create publication {partial} for table sales.customer, sales.salesorderheader"
        " with (publish = 'insert')",
    )
    with server.connect_to(shop.dsn) as conn:
        with pytest.raises(ReplicationSetupError) as raised:
            ensure_publication(conn, partial)
        assert "lacks 10 catalog table(s): person.countryregion" in str(raised.value)
        assert f'ALTER PUBLICATION "{partial}" ADD TABLE' in str(raised.value)
        assert len(describe(conn, shop.slot, partial).unpublished) == 10

        execute(shop.dsn, f"drop publication {partial}", create_statement(partial).as_string(conn))
        execute(shop.dsn, f"alter publication {partial} set (publish = 'insert, update')")
        with pytest.raises(ReplicationSetupError, match="does not publish delete, truncate"):
            check_publication(conn, partial)
        with pytest.raises(ReplicationSetupError, match="has no publication"):
            check_publication(conn, unique_name("none"))
        assert not ensure_publication(conn, shop.publication)  # ours: complete, left alone


def test_hostile_names_are_quoted_never_pasted(shop: Shop) -> None:
    hostile = 'x"; drop table sales.customer; --'
    with server.connect_to(shop.dsn) as conn:
        assert ensure_publication(conn, hostile)
        check_publication(conn, hostile)
    assert query(
        shop.dsn, "select count(*) from pg_publication where pubname = %s", (hostile,)
    ) == [(1,)]
    assert query(shop.dsn, "select to_regclass('sales.customer') is not null") == [(True,)]
