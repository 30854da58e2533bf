"""Decoded pgoutput messages → row changes of the catalog tables, one transaction at a time.

`TransactionAssembler` is pure logic (no connection): it keeps the Relation messages it has seen,
turns each Insert/Update/Delete/Truncate of a catalog table into a `Change` with raw-layer
values, and hands back the whole transaction at its Commit. Tables outside the catalog (a
publication `FOR ALL TABLES`) are skipped. An update that changes the primary key becomes a
delete of the old key followed by an insert of the new row, so a consumer applying changes by
key never sees a row move.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from adventure_elt.catalog import TABLES, SourceTable
from adventure_elt.errors import ReplicationSetupError
from adventure_elt.replicate.cdc import pgoutput
from adventure_elt.replicate.cdc.pgoutput import Toast, TupleValue
from adventure_elt.replicate.cdc.values import TypeLookup, parser, source_column
from adventure_elt.replicate.extract import SourceColumn

ChangeOp = Literal["insert", "update", "delete", "truncate"]


@dataclass(frozen=True)
class Change:
    """One row change (or a table's truncation), in commit order.

    Args:
        table: the catalog table.
        op: `insert`, `update`, `delete` or `truncate`.
        key: primary-key column → value (None for `truncate`).
        row: column → value of the new row for `insert` and `update`, with the types `sync`
            writes to raw (None for `delete` and `truncate`).
        commit_lsn: the LSN of the transaction's commit record.
        committed_at: when the transaction committed (UTC).
        unchanged: columns left out of `row` because PostgreSQL did not send them (a TOASTed
            value the update did not touch): keep the value the warehouse holds. For the insert
            half of a key change, that is the value of the row deleted just before.
    """

    table: SourceTable
    op: ChangeOp
    key: dict[str, Any] | None
    row: dict[str, Any] | None
    commit_lsn: int
    committed_at: datetime
    unchanged: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SchemaChange:
    """A Relation message that differs from the previous one seen for the table.

    `kind` is `added` (a new column: raw gets it, like `sync`), `dropped`, or `type` (the raw-layer
    type differs: the table must stop, as `sync` stops it). Types are information_schema names.
    """

    table: SourceTable
    kind: Literal["added", "dropped", "type"]
    column: str
    old_type: str | None
    new_type: str | None
    commit_lsn: int


@dataclass(frozen=True)
class Transaction:
    """One committed transaction's changes to the catalog tables, in the order they were made.

    `end_lsn` is what to acknowledge once the transaction is applied downstream.
    """

    xid: int
    commit_lsn: int
    end_lsn: int
    committed_at: datetime
    changes: tuple[Change, ...]
    schema_changes: tuple[SchemaChange, ...]


@dataclass
class _Table:
    """What the assembler knows of one relation from its last Relation message."""

    table: SourceTable | None
    columns: tuple[SourceColumn, ...]
    parsers: tuple[Callable[[str], Any], ...]
    key_positions: tuple[int, ...]


@dataclass
class _Open:
    """The transaction being assembled."""

    begin: pgoutput.Begin
    changes: list[Change] = field(default_factory=list)
    schema_changes: list[SchemaChange] = field(default_factory=list)


class TransactionAssembler:
    """Feed it pgoutput messages in stream order; it returns each transaction at its Commit.

    Args:
        type_names: names a type OID the way information_schema does (`values.TypeNames`).
        tables: the tables whose changes are kept (default: the 12 catalog tables).
    """

    def __init__(self, type_names: TypeLookup, tables: Iterable[SourceTable] = TABLES) -> None:
        self._type_names = type_names
        self._catalog = {t.qualified_name: t for t in tables}
        self._relations: dict[int, _Table] = {}
        self._columns: dict[SourceTable, tuple[SourceColumn, ...]] = {}
        self._open: _Open | None = None

    @property
    def columns(self) -> Mapping[SourceTable, tuple[SourceColumn, ...]]:
        """The latest columns of every catalog table a Relation message described."""
        return dict(self._columns)

    @property
    def in_transaction(self) -> bool:
        """True between a Begin and its Commit."""
        return self._open is not None

    def feed(self, message: pgoutput.Message) -> Transaction | None:
        """Take one message; return the transaction it completes (a Commit), else None."""
        if isinstance(message, pgoutput.Begin):
            if self._open is not None:
                raise pgoutput.DecodeError("Begin inside a transaction")
            self._open = _Open(message)
            return None
        if isinstance(message, pgoutput.Relation):
            self._relation(message)
            return None
        if isinstance(message, pgoutput.Type | pgoutput.Origin):
            return None  # types are looked up by OID; the origin does not matter here
        current = self._open
        if current is None:
            raise pgoutput.DecodeError(f"{type(message).__name__} outside a transaction")
        if isinstance(message, pgoutput.Commit):
            self._open = None
            return Transaction(
                current.begin.xid,
                message.commit_lsn,
                message.end_lsn,
                message.commit_time,
                tuple(current.changes),
                tuple(current.schema_changes),
            )
        current.changes += self._changes(message, current.begin)
        return None

    def _relation(self, message: pgoutput.Relation) -> None:
        table = self._catalog.get(f"{message.namespace}.{message.name}")
        columns = tuple(source_column(c, self._type_names) for c in message.columns)
        positions = {c.name: i for i, c in enumerate(columns)}
        keys: tuple[int, ...] = ()
        if table is not None:
            missing = [k for k in table.primary_key if k not in positions]
            if missing:
                raise ReplicationSetupError(
                    f"source table {table.qualified_name} has no column {missing[0]!r}; "
                    "the source schema does not match the catalog"
                )
            keys = tuple(positions[k] for k in table.primary_key)
            if self._open is not None and table in self._columns:
                self._open.schema_changes += _differences(
                    table, self._columns[table], columns, self._open.begin.final_lsn
                )
            self._columns[table] = columns
        parsers = tuple(parser(c) for c in columns)
        self._relations[message.relation_id] = _Table(table, columns, parsers, keys)

    def _changes(self, message: pgoutput.Message, begin: pgoutput.Begin) -> list[Change]:
        if isinstance(message, pgoutput.Truncate):
            tables = [self._known(r).table for r in message.relation_ids]
            return [_change(t, "truncate", None, None, begin) for t in tables if t is not None]
        if not isinstance(message, pgoutput.Insert | pgoutput.Update | pgoutput.Delete):
            raise pgoutput.DecodeError(f"unexpected {type(message).__name__} in a transaction")
        known = self._known(message.relation_id)
        table = known.table
        if table is None:
            return []
        if isinstance(message, pgoutput.Delete):
            return [_change(table, "delete", _key(known, message.old), None, begin)]
        row, unchanged = _row(known, message.new)
        key = {name: row[name] for name in table.primary_key}
        if isinstance(message, pgoutput.Insert):
            return [_change(table, "insert", key, row, begin)]
        if message.old is not None:
            if message.old_kind == "O":  # replica identity FULL: the old row fills unsent values
                old_row, _ = _row(known, message.old)
                filled = {c for c in unchanged if c in old_row}
                row.update({c: old_row[c] for c in filled})
                unchanged -= filled
            old_key = _key(known, message.old)
            if old_key != key:
                return [
                    _change(table, "delete", old_key, None, begin),
                    _change(table, "insert", key, row, begin, unchanged),
                ]
        return [_change(table, "update", key, row, begin, unchanged)]

    def _known(self, relation_id: int) -> _Table:
        known = self._relations.get(relation_id)
        if known is None:
            raise pgoutput.DecodeError(f"change of relation {relation_id} before its Relation")
        return known


def _change(
    table: SourceTable,
    op: ChangeOp,
    key: dict[str, Any] | None,
    row: dict[str, Any] | None,
    begin: pgoutput.Begin,
    unchanged: frozenset[str] = frozenset(),
) -> Change:
    return Change(table, op, key, row, begin.final_lsn, begin.commit_time, unchanged)


def _row(known: _Table, values: tuple[TupleValue, ...]) -> tuple[dict[str, Any], frozenset[str]]:
    """Column → parsed value, and the columns that were not sent."""
    if len(values) != len(known.columns):
        raise pgoutput.DecodeError(
            f"tuple has {len(values)} values, the relation {len(known.columns)} columns"
        )
    row: dict[str, Any] = {}
    unchanged: set[str] = set()
    for column, parse, value in zip(known.columns, known.parsers, values, strict=True):
        if value is Toast.UNCHANGED:
            unchanged.add(column.name)
        else:
            row[column.name] = None if value is None else parse(value)
    return row, frozenset(unchanged)


def _key(known: _Table, values: tuple[TupleValue, ...]) -> dict[str, Any]:
    """The primary key out of an old tuple (`K`: key columns only, or `O`: the whole row)."""
    row, _ = _row(known, values)
    return {known.columns[i].name: row.get(known.columns[i].name) for i in known.key_positions}


def _differences(
    table: SourceTable,
    before: tuple[SourceColumn, ...],
    after: tuple[SourceColumn, ...],
    commit_lsn: int,
) -> list[SchemaChange]:
    """What changed between two Relation messages of one table, as the raw layer sees it."""
    old = {c.name: c for c in before}
    new = {c.name: c for c in after}
    found = [
        SchemaChange(table, "added", name, None, column.pg_type, commit_lsn)
        for name, column in new.items()
        if name not in old
    ]
    found += [
        SchemaChange(table, "type", name, old[name].pg_type, column.pg_type, commit_lsn)
        for name, column in new.items()
        if name in old and old[name].arrow_type != column.arrow_type
    ]
    found += [
        SchemaChange(table, "dropped", name, column.pg_type, None, commit_lsn)
        for name, column in old.items()
        if name not in new
    ]
    return found
