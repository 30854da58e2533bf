"""Throwaway source databases on the tests' embedded PostgreSQL, always dropped afterwards."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import NamedTuple

from adventure_elt.oltp import server


class Database(NamedTuple):
    """A database made by `fresh_database`: its name and a DSN with the admin's rights."""

    name: str
    dsn: str


def database_dsn(admin_dsn: str, name: str) -> str:
    """The admin DSN (database `adventureworks`) pointed at the database `name`."""
    return admin_dsn.replace("/adventureworks?", f"/{name}?")


@contextlib.contextmanager
def fresh_database(
    admin_dsn: str, template: str | None = None, prefix: str = "t"
) -> Iterator[Database]:
    """A new database named `<prefix>_<random>`, empty or a copy of `template`; dropped (with
    `force`, closing any connection left open) when the block ends, even on an error."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    copy = f" template {template}" if template is not None else ""
    with server.connect_to(admin_dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"create database {name}{copy}")
    try:
        yield Database(name, database_dsn(admin_dsn, name))
    finally:
        with server.connect_to(admin_dsn, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(f"drop database if exists {name} with (force)")
