"""Pure logic of log-based replication: malformed pgoutput bytes, LSNs, value parsing, turning
decoded messages into changes, and the slot/publication name settings.

Decoding real messages is tested on bytes from the real server (tests/postgres/); here the
messages are built by hand to reach the cases a live server makes rare.
"""

from __future__ import annotations

import doctest
from datetime import UTC, date, datetime
from decimal import Decimal
from types import ModuleType

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adventure_elt.catalog import SourceTable
from adventure_elt.errors import ConfigError, ReplicationSetupError
from adventure_elt.replicate.cdc import changes, lsn, pgoutput, snapshot, values
from adventure_elt.replicate.cdc.changes import TransactionAssembler
from adventure_elt.replicate.cdc.pgoutput import (
    Begin,
    Commit,
    DecodeError,
    Delete,
    Insert,
    Relation,
    RelationColumn,
    Toast,
    Truncate,
    Update,
)
from adventure_elt.replicate.extract import DECIMAL, SourceColumn
from adventure_elt.settings import Settings


@pytest.mark.parametrize("module", [pgoutput, lsn, values, changes, snapshot])
def test_docstring_examples_run(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.failed == 0


# --- malformed bytes -------------------------------------------------------------------------

INSERT_ONE = b"I" + (16385).to_bytes(4, "big") + b"N" + b"\x00\x01" + b"t" + b"\x00\x00\x00\x011"


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        (b"", "ends after 0 bytes"),
        (b"Z", "unknown pgoutput message type"),
        (INSERT_ONE[:-1], "ends after"),
        (INSERT_ONE + b"\x00", "unexpected byte"),
        (INSERT_ONE.replace(b"N", b"X", 1), "expected b'N'"),
        (INSERT_ONE.replace(b"t\x00", b"b\x00", 1), "unknown tuple value kind"),
        (b"R" + (1).to_bytes(4, "big") + b"public", "terminating NUL"),
        (b"D" + (1).to_bytes(4, "big") + b"N\x00\x00", "expected the old key"),
        (b"U" + (1).to_bytes(4, "big") + b"K\x00\x00X\x00\x00", "expected the new tuple"),
        (b"B" + b"\x00" * 19, "ends after"),
    ],
)
def test_malformed_messages_are_refused(payload: bytes, complaint: str) -> None:
    with pytest.raises(DecodeError, match=complaint):
        pgoutput.decode(payload)


def test_a_well_formed_insert_decodes() -> None:
    assert pgoutput.decode(INSERT_ONE) == Insert(16385, ("1",))


# --- LSNs ------------------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_lsn_text_round_trips(position: int) -> None:
    assert lsn.parse_lsn(lsn.format_lsn(position)) == position


@pytest.mark.parametrize("text", ["", "0", "0/", "/1", "0/1/2", "G/1", "123456789/1", "0/1; drop"])
def test_malformed_lsn_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an LSN"):
        lsn.parse_lsn(text)


# --- values ----------------------------------------------------------------------------------


def column(name: str, pg_type: str, nullable: bool = True) -> SourceColumn:
    from adventure_elt.replicate.extract import arrow_type

    return SourceColumn(name, pg_type, arrow_type(pg_type), nullable)


@pytest.mark.parametrize(
    ("pg_type", "text", "expected"),
    [
        ("integer", "-42", -42),
        ("bigint", "9223372036854775807", 9223372036854775807),
        ("numeric", "-0.000000001", Decimal("-0.000000001")),
        ("boolean", "t", True),
        ("boolean", "f", False),
        ("bytea", "\\x00ff", b"\x00\xff"),
        ("bytea", "\\x", b""),
        ("double precision", "-Infinity", float("-inf")),
        ("date", "2024-02-29", date(2024, 2, 29)),
        (
            "timestamp without time zone",
            "2024-02-29 23:59:59.5",
            datetime(2024, 2, 29, 23, 59, 59, 500000),
        ),
        (
            "timestamp with time zone",
            "2024-03-01 01:00:00+05:30",
            datetime(2024, 2, 29, 19, 30, tzinfo=UTC),
        ),
        ("uuid", "0d5e8f1a-0000-4000-8000-000000000000", "0d5e8f1a-0000-4000-8000-000000000000"),
        ("interval", "1 day 02:00:00", "1 day 02:00:00"),
        ("ARRAY", "{1,2}", "{1,2}"),
        ("character varying", "", ""),
    ],
)
def test_text_becomes_the_raw_layer_value(pg_type: str, text: str, expected: object) -> None:
    assert values.parser(column("c", pg_type))(text) == expected


@pytest.mark.parametrize(("pg_type", "text"), [("boolean", "true"), ("bytea", "escape\\000")])
def test_text_in_an_unexpected_form_is_refused(pg_type: str, text: str) -> None:
    with pytest.raises(ValueError):
        values.parser(column("c", pg_type))(text)


def test_type_names_look_up_other_types_once() -> None:
    asked: list[int] = []

    def lookup(oid: int) -> str:
        asked.append(oid)
        return "USER-DEFINED"

    names = values.TypeNames(lookup)
    assert [names(16), names(90001), names(90001)] == ["boolean", "USER-DEFINED", "USER-DEFINED"]
    assert asked == [90001]
    with pytest.raises(ValueError, match="OID 90001"):
        values.TypeNames()(90001)


def test_rows_become_arrow_with_the_raw_types() -> None:
    columns = [column("id", "integer", False), column("price", "numeric"), column("at", "date")]
    table = values.rows_to_arrow(columns, [{"id": 1, "price": Decimal("2.5")}, {"id": 2}])
    assert table.schema == pa.schema(
        [pa.field("id", pa.int64()), pa.field("price", DECIMAL), pa.field("at", pa.date32())]
    )
    assert table.to_pylist() == [
        {"id": 1, "price": Decimal("2.500000000"), "at": None},
        {"id": 2, "price": None, "at": None},
    ]


# --- messages → changes ----------------------------------------------------------------------

ORDERS = SourceTable("sales", "orders", ("id",))
LINES = SourceTable("sales", "lines", ("order_id", "line"))
AT = datetime(2024, 5, 1, 12, tzinfo=UTC)


def relation(
    relation_id: int, table: SourceTable, *columns: tuple[str, int], identity: str = "d"
) -> Relation:
    return Relation(
        relation_id,
        table.schema,
        table.name,
        identity,
        tuple(RelationColumn(n, oid, -1, n in table.primary_key) for n, oid in columns),
    )


ORDERS_RELATION = relation(1, ORDERS, ("id", 23), ("status", 21), ("note", 25))
LINES_RELATION = relation(2, LINES, ("order_id", 23), ("line", 23), ("qty", 21))


def transaction(*messages: pgoutput.Message, lsn: int = 100) -> changes.Transaction:
    assembler = TransactionAssembler(values.TypeNames(), [ORDERS, LINES])
    return feed_all(assembler, *messages, lsn=lsn)


def feed_all(
    assembler: TransactionAssembler, *messages: pgoutput.Message, lsn: int = 100
) -> changes.Transaction:
    assert assembler.feed(Begin(lsn, AT, 7)) is None
    for message in messages:
        assert assembler.feed(message) is None
    done = assembler.feed(Commit(lsn, lsn + 8, AT))
    assert done is not None
    return done


def ops(done: changes.Transaction) -> list[tuple[str, object, object]]:
    return [(c.op, c.key, c.row) for c in done.changes]


def test_insert_update_delete_become_changes_with_keys_and_typed_rows() -> None:
    done = transaction(
        ORDERS_RELATION,
        Insert(1, ("5", "1", None)),
        Update(1, None, None, ("5", "2", "rush")),
        Delete(1, "K", ("5", None, None)),
        lsn=300,
    )
    assert ops(done) == [
        ("insert", {"id": 5}, {"id": 5, "status": 1, "note": None}),
        ("update", {"id": 5}, {"id": 5, "status": 2, "note": "rush"}),
        ("delete", {"id": 5}, None),
    ]
    assert {(c.commit_lsn, c.committed_at) for c in done.changes} == {(300, AT)}
    assert (done.commit_lsn, done.end_lsn, done.xid) == (300, 308, 7)


def test_a_key_update_is_a_delete_then_an_insert() -> None:
    done = transaction(
        LINES_RELATION,
        Update(2, "K", ("10", "1", None), ("10", "2", "3")),
        Update(2, "K", ("10", "2", None), ("10", "2", "4")),  # key sent but unchanged
    )
    assert ops(done) == [
        ("delete", {"order_id": 10, "line": 1}, None),
        ("insert", {"order_id": 10, "line": 2}, {"order_id": 10, "line": 2, "qty": 3}),
        ("update", {"order_id": 10, "line": 2}, {"order_id": 10, "line": 2, "qty": 4}),
    ]


def test_unsent_toasted_values_are_listed_or_filled_from_a_full_old_row() -> None:
    full = relation(1, ORDERS, ("id", 23), ("status", 21), ("note", 25), identity="f")
    done = transaction(
        ORDERS_RELATION,
        Update(1, None, None, ("5", "2", Toast.UNCHANGED)),
        Update(1, "K", ("5", None, None), ("6", "2", Toast.UNCHANGED)),
        full,
        Update(1, "O", ("6", "2", "long text"), ("6", "3", Toast.UNCHANGED)),
    )
    update, delete, insert, filled = done.changes
    assert update.row == {"id": 5, "status": 2} and update.unchanged == {"note"}
    assert delete.op == "delete" and insert.op == "insert" and insert.unchanged == {"note"}
    assert filled.row == {"id": 6, "status": 3, "note": "long text"} and not filled.unchanged


def test_truncate_and_tables_outside_the_catalog() -> None:
    stranger = relation(3, SourceTable("public", "audit", ("id",)), ("id", 23))
    done = transaction(
        ORDERS_RELATION,
        LINES_RELATION,
        stranger,
        Insert(3, ("1",)),
        Truncate((1, 2, 3), cascade=True, restart_identity=False),
    )
    assert [(c.table, c.op, c.key, c.row) for c in done.changes] == [
        (ORDERS, "truncate", None, None),
        (LINES, "truncate", None, None),
    ]


def test_schema_changes_between_relation_messages() -> None:
    assembler = TransactionAssembler(values.TypeNames(), [ORDERS])
    first = feed_all(assembler, ORDERS_RELATION, Insert(1, ("1", "1", None)))
    assert first.schema_changes == ()
    altered = relation(1, ORDERS, ("id", 20), ("status", 25), ("due", 1082))
    second = feed_all(assembler, altered, Insert(1, ("2", "late", "2024-06-01")), lsn=500)
    assert {(s.kind, s.column, s.old_type, s.new_type) for s in second.schema_changes} == {
        ("added", "due", None, "date"),
        ("type", "status", "smallint", "text"),  # integer → bigint is no change for raw
        ("dropped", "note", "text", None),
    }
    assert {s.commit_lsn for s in second.schema_changes} == {500}
    assert second.changes[0].row == {"id": 2, "status": "late", "due": date(2024, 6, 1)}
    assert [c.name for c in assembler.columns[ORDERS]] == ["id", "status", "due"]


def test_out_of_order_messages_are_refused() -> None:
    assembler = TransactionAssembler(values.TypeNames(), [ORDERS])
    with pytest.raises(DecodeError, match="outside a transaction"):
        assembler.feed(Insert(1, ("1", "1", None)))
    assembler.feed(Begin(1, AT, 1))
    with pytest.raises(DecodeError, match="Begin inside a transaction"):
        assembler.feed(Begin(2, AT, 2))
    with pytest.raises(DecodeError, match="before its Relation"):
        assembler.feed(Insert(1, ("1", "1", None)))
    assembler.feed(ORDERS_RELATION)
    with pytest.raises(DecodeError, match="3 columns"):
        assembler.feed(Insert(1, ("1", "1")))


def test_a_relation_without_the_catalog_key_is_a_setup_error() -> None:
    assembler = TransactionAssembler(values.TypeNames(), [ORDERS])
    with pytest.raises(ReplicationSetupError, match="no column 'id'"):
        assembler.feed(relation(1, ORDERS, ("order_no", 23)))


# --- settings --------------------------------------------------------------------------------


def test_slot_and_publication_default_and_fold_to_lower_case() -> None:
    default = Settings.load({}, environ={})
    assert (default.cdc_slot, default.cdc_publication) == ("adventure_elt", "adventure_elt")
    chosen = Settings.load(
        {}, environ={"ADVENTURE_ELT_CDC_SLOT": "Shop_1", "ADVENTURE_ELT_CDC_PUBLICATION": "pub"}
    )
    assert (chosen.cdc_slot, chosen.cdc_publication) == ("shop_1", "pub")


@pytest.mark.parametrize(
    "name",
    [
        "",
        "a-b",
        "x" * 64,
        'x"; drop table sales.customer; --',
        "slot name",
        "café",
        "a\nb",
        "${HOME}",
    ],
)
def test_hostile_slot_names_are_refused_in_one_line(name: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.load({"cdc_slot": name}, environ={})
    message = str(raised.value)
    assert "\n" not in message and "ADVENTURE_ELT_CDC_SLOT" in message
