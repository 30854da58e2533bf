"""Decode the messages of PostgreSQL's `pgoutput` plugin (logical replication protocol 1).

Why our own decoder: the stream needs nine message types of protocol version 1 (Begin, Commit,
Origin, Relation, Type, Insert, Update, Delete, Truncate), each a handful of big-endian integers,
NUL-terminated strings and "TupleData" (per column: null, unchanged TOAST, or text) — about a
hundred lines written from PostgreSQL's documentation ("Logical Replication Message Formats").
`pypgoutput` (0.0.3, last released 2022) and `pgoutput-decoder` (0.1.0, a Rust build) would each
be a young dependency for that, and neither knows the raw layer's types, so values would still
have to be converted here. Every message type is unit-tested on bytes captured from the real
server (tests/postgres/test_cdc_pgoutput.py).

This module only parses bytes: values stay the text PostgreSQL printed (`values` converts them).
LSNs are plain integers (`lsn.format_lsn` prints them as PostgreSQL does).
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

# PostgreSQL counts timestamps in microseconds from 2000-01-01 00:00 UTC.
POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class Toast(enum.Enum):
    """A column value the message leaves out because it is TOASTed and did not change."""

    UNCHANGED = "unchanged"


TupleValue = str | None | Literal[Toast.UNCHANGED]
"""One column of a TupleData: the value as text, None for NULL, or `Toast.UNCHANGED`."""


@dataclass(frozen=True)
class Begin:
    """A transaction starts; `final_lsn` is the LSN of its commit record."""

    final_lsn: int
    commit_time: datetime
    xid: int


@dataclass(frozen=True)
class Commit:
    """A transaction ends; `end_lsn` is the position to acknowledge once it is applied."""

    commit_lsn: int
    end_lsn: int
    commit_time: datetime


@dataclass(frozen=True)
class Origin:
    """The transaction was replicated here from another server (`origin` name)."""

    commit_lsn: int
    name: str


@dataclass(frozen=True)
class RelationColumn:
    """One column of a Relation message."""

    name: str
    type_oid: int
    type_modifier: int
    is_key: bool


@dataclass(frozen=True)
class Relation:
    """A table's shape, sent before its first change in a session and after each change to it.

    `replica_identity` is pg_class.relreplident: `d` default (primary key), `f` full, `i` index,
    `n` nothing.
    """

    relation_id: int
    namespace: str
    name: str
    replica_identity: str
    columns: tuple[RelationColumn, ...]


@dataclass(frozen=True)
class Type:
    """A data type that is not built in, sent before a Relation that uses it."""

    type_oid: int
    namespace: str
    name: str


@dataclass(frozen=True)
class Insert:
    """A new row."""

    relation_id: int
    new: tuple[TupleValue, ...]


@dataclass(frozen=True)
class Update:
    """A changed row. `old` is present when the key changed (`old_kind` `K`: key columns only,
    the rest None) or the table's replica identity is FULL (`O`: the whole old row)."""

    relation_id: int
    old_kind: Literal["K", "O"] | None
    old: tuple[TupleValue, ...] | None
    new: tuple[TupleValue, ...]


@dataclass(frozen=True)
class Delete:
    """A deleted row: its key (`K`) or, with replica identity FULL, the whole row (`O`)."""

    relation_id: int
    old_kind: Literal["K", "O"]
    old: tuple[TupleValue, ...]


@dataclass(frozen=True)
class Truncate:
    """TRUNCATE of one or more tables in one statement."""

    relation_ids: tuple[int, ...]
    cascade: bool
    restart_identity: bool


Message = Begin | Commit | Origin | Relation | Type | Insert | Update | Delete | Truncate


_INT16 = struct.Struct("!h")
_INT32 = struct.Struct("!i")
_TEXT, _NULL, _UNCHANGED = b"t"[0], b"n"[0], b"u"[0]


class DecodeError(ValueError):
    """The bytes are not a pgoutput protocol-1 message this decoder knows."""


def decode(payload: bytes) -> Message:
    """Decode one pgoutput message (the payload of one XLogData message).

    >>> decode(bytes.fromhex("54 00000001 01 00004001"))
    Truncate(relation_ids=(16385,), cascade=True, restart_identity=False)
    """
    reader = _Reader(payload)
    kind = reader.byte()
    parse = _PARSERS.get(kind)
    if parse is None:
        raise DecodeError(f"unknown pgoutput message type {kind!r}")
    message = parse(reader)
    reader.expect_end()
    return message


class _Reader:
    """A cursor over one message's bytes."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def _take(self, size: int) -> bytes:
        end = self._at + size
        if end > len(self._data):
            raise DecodeError(f"message ends after {len(self._data)} bytes, {end} needed")
        chunk = self._data[self._at : end]
        self._at = end
        return chunk

    def byte(self) -> bytes:
        return self._take(1)

    def int8(self) -> int:
        return int(self._take(1)[0])

    def int16(self) -> int:
        return int(struct.unpack("!h", self._take(2))[0])

    def int32(self) -> int:
        return int(struct.unpack("!i", self._take(4))[0])

    def uint32(self) -> int:
        return int(struct.unpack("!I", self._take(4))[0])

    def int64(self) -> int:
        return int(struct.unpack("!q", self._take(8))[0])

    def lsn(self) -> int:
        return int(struct.unpack("!Q", self._take(8))[0])

    def timestamp(self) -> datetime:
        return POSTGRES_EPOCH + timedelta(microseconds=self.int64())

    def string(self) -> str:
        end = self._data.find(b"\0", self._at)
        if end < 0:
            raise DecodeError("string without its terminating NUL")
        text = self._data[self._at : end].decode("utf-8")
        self._at = end + 1
        return text

    def tuple_data(self) -> tuple[TupleValue, ...]:
        # The hot loop of the stream (every column of every row): no method call per value.
        data, at = self._data, self._at
        values: list[TupleValue] = []
        try:
            (count,) = _INT16.unpack_from(data, at)
            at += 2
            for _ in range(count):
                kind = data[at]
                at += 1
                if kind == _TEXT:
                    (size,) = _INT32.unpack_from(data, at)
                    at += 4
                    if at + size > len(data):
                        raise IndexError
                    values.append(data[at : at + size].decode("utf-8"))
                    at += size
                elif kind == _NULL:
                    values.append(None)
                elif kind == _UNCHANGED:
                    values.append(Toast.UNCHANGED)
                else:  # `b` (binary) comes only when asked for with the `binary` option
                    raise DecodeError(f"unknown tuple value kind {bytes([kind])!r}")
        except (IndexError, struct.error):
            raise DecodeError(f"message ends after {len(data)} bytes, inside a tuple") from None
        self._at = at
        return tuple(values)

    def expect_end(self) -> None:
        if self._at != len(self._data):
            raise DecodeError(f"{len(self._data) - self._at} unexpected byte(s) after the message")


def _begin(r: _Reader) -> Begin:
    return Begin(final_lsn=r.lsn(), commit_time=r.timestamp(), xid=r.uint32())


def _commit(r: _Reader) -> Commit:
    r.int8()  # flags, unused
    return Commit(commit_lsn=r.lsn(), end_lsn=r.lsn(), commit_time=r.timestamp())


def _origin(r: _Reader) -> Origin:
    return Origin(commit_lsn=r.lsn(), name=r.string())


def _relation(r: _Reader) -> Relation:
    relation_id, namespace, name = r.uint32(), r.string(), r.string()
    identity = chr(r.int8())
    columns = tuple(_relation_column(r) for _ in range(r.int16()))
    return Relation(relation_id, namespace, name, identity, columns)


def _relation_column(r: _Reader) -> RelationColumn:
    flags, name, type_oid, type_modifier = r.int8(), r.string(), r.uint32(), r.int32()
    return RelationColumn(name, type_oid, type_modifier, is_key=bool(flags & 1))


def _type(r: _Reader) -> Type:
    return Type(type_oid=r.uint32(), namespace=r.string(), name=r.string())


def _insert(r: _Reader) -> Insert:
    relation_id = r.uint32()
    _expect(r, b"N")
    return Insert(relation_id, r.tuple_data())


def _update(r: _Reader) -> Update:
    relation_id = r.uint32()
    kind = r.byte()
    old_kind: Literal["K", "O"] | None = None
    old = None
    if kind in (b"K", b"O"):
        old_kind = "K" if kind == b"K" else "O"
        old = r.tuple_data()
        kind = r.byte()
    if kind != b"N":
        raise DecodeError(f"update: expected the new tuple (N), got {kind!r}")
    return Update(relation_id, old_kind, old, r.tuple_data())


def _delete(r: _Reader) -> Delete:
    relation_id = r.uint32()
    kind = r.byte()
    if kind not in (b"K", b"O"):
        raise DecodeError(f"delete: expected the old key (K) or row (O), got {kind!r}")
    return Delete(relation_id, "K" if kind == b"K" else "O", r.tuple_data())


def _truncate(r: _Reader) -> Truncate:
    count = r.int32()
    options = r.int8()
    relation_ids = tuple(r.uint32() for _ in range(count))
    return Truncate(relation_ids, cascade=bool(options & 1), restart_identity=bool(options & 2))


def _expect(r: _Reader, marker: bytes) -> None:
    found = r.byte()
    if found != marker:
        raise DecodeError(f"expected {marker!r}, got {found!r}")


_PARSERS: dict[bytes, Callable[[_Reader], Message]] = {
    b"B": _begin,
    b"C": _commit,
    b"O": _origin,
    b"R": _relation,
    b"Y": _type,
    b"I": _insert,
    b"U": _update,
    b"D": _delete,
    b"T": _truncate,
}
