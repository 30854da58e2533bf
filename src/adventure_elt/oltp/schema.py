"""The source schema: the 12 AdventureWorks tables, created from `sql/source/*.sql`."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg2.errors
import psycopg2.extensions

from adventure_elt.catalog import SCHEMAS, TABLES, SourceTable
from adventure_elt.paths import sql_dir


def ddl_path(table: SourceTable) -> Path:
    """The DDL file of one table (`sql/source/sales.customer.sql`)."""
    return sql_dir() / "source" / f"{table.qualified_name}.sql"


def create_schema(conn: psycopg2.extensions.connection) -> None:
    """Create the three schemas and 12 tables if they do not exist (idempotent).

    The XML columns fall back to `text` on servers built without libxml (the embedded
    pgserver build is one): the documents are stored and replicated as text either way.
    """
    xml_type = "xml" if supports_xml(conn) else "text"
    with conn.cursor() as cur:
        for schema in SCHEMAS:
            cur.execute(f"create schema if not exists {schema}")
        for table in TABLES:
            cur.execute(_XML_COLUMN.sub(rf"\g<1>{xml_type}", ddl_path(table).read_text()))


_XML_COLUMN = re.compile(r"(\s)xml\b")


def supports_xml(conn: psycopg2.extensions.connection) -> bool:
    """Whether the server can store the `xml` type (it needs to be built with libxml)."""
    in_transaction = not conn.autocommit
    with conn.cursor() as cur:
        if in_transaction:
            cur.execute("savepoint xml_probe")
        try:
            cur.execute("select xmlparse(document '<probe/>')")
        except psycopg2.errors.FeatureNotSupported:
            if in_transaction:
                cur.execute("rollback to savepoint xml_probe")
            return False
        if in_transaction:
            cur.execute("release savepoint xml_probe")
        return True


def table_columns(conn: psycopg2.extensions.connection, table: SourceTable) -> list[str]:
    """The table's column names in table order, as the database has them now."""
    with conn.cursor() as cur:
        cur.execute(
            "select column_name from information_schema.columns"
            " where table_schema = %s and table_name = %s order by ordinal_position",
            (table.schema, table.name),
        )
        return [row[0] for row in cur.fetchall()]


def row_counts(conn: psycopg2.extensions.connection) -> dict[str, int]:
    """Exact row count per table (`schema.table` → rows), in load order."""
    counts = {}
    with conn.cursor() as cur:
        for table in TABLES:
            cur.execute(f"select count(*) from {table.qualified_name}")
            row = cur.fetchone()
            counts[table.qualified_name] = int(row[0]) if row else 0
    return counts
