"""Turn the text pgoutput sends into the values `sync` puts in the raw layer.

A Relation message names each column's type only by OID. The raw-layer contract
(`extract.arrow_type`) is keyed by the type name `information_schema.columns.data_type` gives,
so an OID is first named the way information_schema names it (built-in types from a table,
anything else — domains, enums, arrays — looked up once in the source's catalog), and the column
then becomes the same `SourceColumn` `sync` reads. Values are parsed from PostgreSQL's text
output, which is also what `COPY` prints for `sync`, so a row from the stream equals the row
`sync` reads for the same source row. The stream's session uses the settings
`extract.prepare_session` gives `sync` (ISO dates, hex bytea).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg2.extensions
import pyarrow as pa

from adventure_elt.replicate.cdc.pgoutput import RelationColumn
from adventure_elt.replicate.extract import DECIMAL, SourceColumn, arrow_type

# Built-in types (their OIDs are fixed in PostgreSQL's catalog) → information_schema's name.
BUILTIN_TYPE_NAMES: Mapping[int, str] = {
    16: "boolean",
    17: "bytea",
    18: '"char"',
    19: "name",
    20: "bigint",
    21: "smallint",
    23: "integer",
    25: "text",
    26: "oid",
    114: "json",
    142: "xml",
    700: "real",
    701: "double precision",
    790: "money",
    1042: "character",
    1043: "character varying",
    1082: "date",
    1083: "time without time zone",
    1114: "timestamp without time zone",
    1184: "timestamp with time zone",
    1186: "interval",
    1266: "time with time zone",
    1700: "numeric",
    2950: "uuid",
    3802: "jsonb",
}

# information_schema.columns.data_type, for one type OID (the view's own CASE, one level of
# domain, as `sync` sees it).
TYPE_NAME_QUERY = """
select case
    when t.typtype = 'd' then
        case when bt.typelem <> 0 and bt.typlen = -1 then 'ARRAY'
             when bt.typnamespace = 'pg_catalog'::regnamespace
                 then format_type(t.typbasetype, null)
             else 'USER-DEFINED' end
    when t.typelem <> 0 and t.typlen = -1 then 'ARRAY'
    when t.typnamespace = 'pg_catalog'::regnamespace then format_type(t.oid, null)
    else 'USER-DEFINED'
end
from pg_type t left join pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
where t.oid = %s
"""

TypeLookup = Callable[[int], str]
"""Names a type OID the way information_schema.columns.data_type does."""


def catalog_type_name(conn: psycopg2.extensions.connection, type_oid: int) -> str:
    """The information_schema name of a type OID, read from the source's catalog.

    Raises:
        ValueError: the source has no such type.
    """
    with conn.cursor() as cur:
        cur.execute(TYPE_NAME_QUERY, (type_oid,))
        row = cur.fetchone()
    if row is None:
        raise ValueError(f"the source has no data type with OID {type_oid}")
    return str(row[0])


class TypeNames:
    """Names type OIDs: built-ins from `BUILTIN_TYPE_NAMES`, others through `lookup`, once each.

    >>> TypeNames()(1700)
    'numeric'
    """

    def __init__(self, lookup: TypeLookup | None = None) -> None:
        self._names = dict(BUILTIN_TYPE_NAMES)
        self._lookup = lookup

    def __call__(self, type_oid: int) -> str:
        name = self._names.get(type_oid)
        if name is None:
            if self._lookup is None:
                raise ValueError(f"no name known for the data type with OID {type_oid}")
            name = self._names[type_oid] = self._lookup(type_oid)
        return name


def source_column(column: RelationColumn, type_names: TypeLookup) -> SourceColumn:
    """A Relation message's column as the `SourceColumn` `sync` would read (key columns are the
    only ones known not to be nullable)."""
    pg_type = type_names(column.type_oid)
    return SourceColumn(column.name, pg_type, arrow_type(pg_type), not column.is_key)


def _boolean(text: str) -> bool:
    if text not in ("t", "f"):
        raise ValueError(f"not a boolean: {text!r}")
    return text == "t"


def _bytea(text: str) -> bytes:
    if not text.startswith("\\x"):
        raise ValueError("bytea is not in hex format; the session needs bytea_output = 'hex'")
    return bytes.fromhex(text[2:])


def _timestamp_utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


_PARSERS: dict[pa.DataType, Callable[[str], Any]] = {
    pa.int64(): int,
    DECIMAL: Decimal,
    pa.timestamp("us"): datetime.fromisoformat,
    pa.timestamp("us", tz="UTC"): _timestamp_utc,
    pa.date32(): date.fromisoformat,
    pa.bool_(): _boolean,
    pa.binary(): _bytea,
    pa.float64(): float,
}


def parser(column: SourceColumn) -> Callable[[str], Any]:
    """The function turning a column's text into its raw-layer value.

    >>> from adventure_elt.replicate.extract import SourceColumn
    >>> parser(SourceColumn("p", "numeric", DECIMAL, True))("12.50")
    Decimal('12.50')
    >>> parser(SourceColumn("d", "timestamp with time zone", pa.timestamp("us", tz="UTC"),
    ...     True))("2024-03-01 10:00:00.5+02")
    datetime.datetime(2024, 3, 1, 8, 0, 0, 500000, tzinfo=datetime.timezone.utc)
    >>> parser(SourceColumn("g", "uuid", pa.string(), True))("8a1c…")
    '8a1c…'
    """
    return _PARSERS.get(column.arrow_type, str)


def rows_to_arrow(columns: Sequence[SourceColumn], rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Rows (column → value, as `Change.row` holds them) as an Arrow table with the types
    `sync` reads; a column missing from a row is NULL.

    >>> from adventure_elt.replicate.extract import SourceColumn
    >>> table = rows_to_arrow([SourceColumn("id", "integer", pa.int64(), False)], [{"id": 7}])
    >>> table.schema.field("id").type, table.column("id").to_pylist()
    (DataType(int64), [7])
    """
    schema = pa.schema([pa.field(c.name, c.arrow_type) for c in columns])
    arrays = [pa.array([row.get(c.name) for row in rows], type=c.arrow_type) for c in columns]
    return pa.Table.from_arrays(arrays, schema=schema)
