"""The switch-over from the initial copy to the stream has no gap and no double.

The slot is created with an exported snapshot; the copy reads inside it with `extract`, the
reader `sync` uses. Rows are changed after the slot exists but before the copy reads, and again
while the copy is half read. The copy must show the table exactly as it was when the slot was
created (read independently with a plain query beforehand), and the stream must deliver exactly
the changes made after — so the copy with the stream applied equals the table at the end.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from adventure_elt.catalog import get_table
from adventure_elt.oltp import server
from adventure_elt.replicate.cdc import (
    ChangeReader,
    create_slot,
    ensure_publication,
    slot_status,
    snapshot_connection,
)
from adventure_elt.replicate.extract import read_batches, source_columns
from adventure_elt.settings import Settings
from cdc_helpers import all_changes, drain, execute, summary, unique_name
from pg_databases import fresh_database

pytestmark = pytest.mark.postgres

TABLE = get_table("sales.salesorderdetail")
Key = tuple[Any, ...]


def rows_by_key(dsn: str) -> dict[Key, dict[str, Any]]:
    """The table as a plain query returns it, keyed by primary key."""
    with server.connect_to(dsn) as conn, conn.cursor() as cur:
        cur.execute(f"select * from {TABLE.qualified_name}")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    return {tuple(r[k] for k in TABLE.primary_key): r for r in rows}


def keyed(table: pa.Table) -> dict[Key, dict[str, Any]]:
    return {tuple(r[k] for k in TABLE.primary_key): r for r in table.to_pylist()}


def test_a_row_changed_during_the_copy_is_neither_lost_nor_duplicated(
    pg_admin_dsn: str, small_shop_template: str
) -> None:
    with fresh_database(pg_admin_dsn, small_shop_template, prefix="switch") as db:
        slot, publication = unique_name("slot"), unique_name("pub")
        with server.connect_to(db.dsn) as conn:
            ensure_publication(conn, publication)
        before = rows_by_key(db.dsn)
        keys = sorted(before)
        early, first, last, gone = keys[0], keys[1], keys[-1], keys[len(keys) // 2]
        new_line = (first[0], 424242)
        where = " where salesorderid = %s and salesorderdetailid = %s"

        with (
            create_slot(db.dsn, slot) as start,
            snapshot_connection(db.dsn, start.snapshot_name) as conn,
        ):
            # After the slot exists, before the copy reads anything.
            execute(db.dsn, (f"update {TABLE.qualified_name} set orderqty = 77" + where, early))
            batches = read_batches(conn, TABLE, source_columns(conn, TABLE), chunk_rows=100)
            copied = [next(batches)]
            assert 0 < copied[0].num_rows < len(before)  # the copy is under way
            # While it is half read: a row already copied, one not yet, a delete, an insert.
            execute(
                db.dsn,
                (f"update {TABLE.qualified_name} set orderqty = 88" + where, first),
                (f"update {TABLE.qualified_name} set orderqty = 99" + where, last),
                (f"delete from {TABLE.qualified_name}" + where, gone),
                (
                    f"insert into {TABLE.qualified_name} select salesorderid, %s,"
                    " carriertrackingnumber, 1, productid, specialofferid, unitprice,"
                    " unitpricediscount, gen_random_uuid(), modifieddate"
                    f" from {TABLE.qualified_name}" + where,
                    (new_line[1], *first),
                ),
            )
            copied += list(batches)
        copy = keyed(pa.concat_tables(copied))
        after = rows_by_key(db.dsn)

        assert copy == before  # state S: nothing made after the slot's start

        with ChangeReader(db.dsn, slot, publication, max_seconds=0.2) as reader:
            changes = all_changes(drain(reader, 5))
            # Nothing else is pending: the next change is a marker made now.
            execute(db.dsn, (f"update {TABLE.qualified_name} set orderqty = 1" + where, keys[2]))
            (marker,) = all_changes(drain(reader, 1))

        pk = TABLE.primary_key
        assert summary(changes) == [
            (TABLE.qualified_name, "update", dict(zip(pk, early, strict=True)), after[early]),
            (TABLE.qualified_name, "update", dict(zip(pk, first, strict=True)), after[first]),
            (TABLE.qualified_name, "update", dict(zip(pk, last, strict=True)), after[last]),
            (TABLE.qualified_name, "delete", dict(zip(pk, gone, strict=True)), None),
            (TABLE.qualified_name, "insert", dict(zip(pk, new_line, strict=True)), after[new_line]),
        ]
        assert marker.key == dict(zip(pk, keys[2], strict=True))

        for change in changes:  # the copy with the stream applied is the table now
            assert change.key is not None
            key = tuple(change.key[k] for k in pk)
            if change.op == "delete":
                del copy[key]
            else:
                assert change.row is not None
                copy[key] = change.row
        assert copy == after


def test_a_failed_copy_drops_the_new_slot(source_settings: Settings) -> None:
    dsn = source_settings.source_dsn
    assert dsn is not None
    slot = unique_name("slot")
    with pytest.raises(RuntimeError, match="copy failed"), create_slot(dsn, slot):
        raise RuntimeError("copy failed")
    with server.connect_to(dsn, autocommit=True) as conn:
        assert slot_status(conn, slot) is None
        with create_slot(dsn, slot) as start:  # so the name is free for the next attempt
            assert start.slot == slot and start.snapshot_name
        assert slot_status(conn, slot) is not None
