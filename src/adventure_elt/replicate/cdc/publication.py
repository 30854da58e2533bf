"""The publication naming the catalog tables whose changes the slot streams.

Names are rendered with `psycopg2.sql.Identifier`, never pasted into SQL text.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from adventure_elt.catalog import TABLES, SourceTable
from adventure_elt.errors import ReplicationSetupError, first_line

_OPERATIONS = ("insert", "update", "delete", "truncate")


def create_statement(publication: str, tables: Sequence[SourceTable] = TABLES) -> sql.Composed:
    """`CREATE PUBLICATION` for `tables`, every name quoted."""
    names = sql.SQL(", ").join(sql.Identifier(t.schema, t.name) for t in tables)
    return sql.SQL("create publication {} for table {}").format(sql.Identifier(publication), names)


def ensure_publication(
    conn: psycopg2.extensions.connection,
    publication: str,
    tables: Sequence[SourceTable] = TABLES,
) -> bool:
    """Create the publication of `tables` unless it exists; check an existing one covers them.

    Returns:
        True when it was created now.

    Raises:
        ReplicationSetupError: it cannot be created (not the tables' owner), or an existing one
            lacks a table or an operation; the message says what to run.
    """
    if publication_exists(conn, publication):
        check_publication(conn, publication, tables)
        return False
    try:
        with conn.cursor() as cur:
            cur.execute(create_statement(publication, tables))
    except psycopg2.Error as exc:
        conn.rollback()
        raise ReplicationSetupError(
            f"cannot create publication {publication}: {first_line(exc)}; have the tables' owner"
            f" run: {create_statement(publication, tables).as_string(conn)}"
        ) from None
    return True


def publication_exists(conn: psycopg2.extensions.connection, publication: str) -> bool:
    """Whether the source database has the publication."""
    with conn.cursor() as cur:
        cur.execute("select 1 from pg_publication where pubname = %s", (publication,))
        return cur.fetchone() is not None


def missing_tables(
    conn: psycopg2.extensions.connection,
    publication: str,
    tables: Sequence[SourceTable] = TABLES,
) -> tuple[SourceTable, ...]:
    """The `tables` the publication does not publish (all of them when it does not exist)."""
    with conn.cursor() as cur:
        cur.execute(
            "select schemaname, tablename from pg_publication_tables where pubname = %s",
            (publication,),
        )
        published = {f"{schema}.{name}" for schema, name in cur.fetchall()}
    return tuple(t for t in tables if t.qualified_name not in published)


def check_publication(
    conn: psycopg2.extensions.connection,
    publication: str,
    tables: Sequence[SourceTable] = TABLES,
) -> None:
    """Raise a ReplicationSetupError unless the publication publishes every operation on every
    one of `tables`."""
    name = sql.Identifier(publication).as_string(conn)
    if not publication_exists(conn, publication):
        raise ReplicationSetupError(
            f"the source has no publication {publication}; `adventure-elt cdc start` creates it"
        )
    missing = missing_tables(conn, publication, tables)
    if missing:
        listed = ", ".join(t.qualified_name for t in missing)
        raise ReplicationSetupError(
            f"publication {publication} lacks {len(missing)} catalog table(s): {listed}; run"
            f" ALTER PUBLICATION {name} ADD TABLE {listed} (or `adventure-elt cdc drop` and start"
            " again)"
        )
    with conn.cursor() as cur:
        cur.execute(
            "select pubinsert, pubupdate, pubdelete, pubtruncate from pg_publication"
            " where pubname = %s",
            (publication,),
        )
        row = cur.fetchone()
    skipped = [op for op, on in zip(_OPERATIONS, row or (), strict=True) if not on]
    if skipped:
        raise ReplicationSetupError(
            f"publication {publication} does not publish {', '.join(skipped)}; run"
            f" ALTER PUBLICATION {name} SET (publish = '{', '.join(_OPERATIONS)}')"
        )


def drop_publication(conn: psycopg2.extensions.connection, publication: str) -> bool:
    """Drop the publication; False when there was none."""
    if not publication_exists(conn, publication):
        return False
    with conn.cursor() as cur:
        cur.execute(sql.SQL("drop publication {}").format(sql.Identifier(publication)))
    return True
