"""Fixtures shared by the PostgreSQL tests of log-based replication."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adventure_elt.oltp import generator, server
from pg_databases import fresh_database


@pytest.fixture(scope="module")
def small_shop_template(pg_admin_dsn: str) -> Iterator[str]:
    """A database seeded with a small synthetic shop (scale 0.005: ~2,000 rows over the 12
    tables), seeded once per module; tests copy it with `fresh_database(admin, template)`."""
    with fresh_database(pg_admin_dsn, prefix="cdc_template") as db:
        with server.connect_to(db.dsn) as conn:
            generator.seed(conn, scale=0.005, seed=4)
        yield db.name
