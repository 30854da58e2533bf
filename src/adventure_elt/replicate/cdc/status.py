"""What `cdc status` reports about the source side: the slot and the publication."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg2.extensions

from adventure_elt.catalog import TABLES, SourceTable
from adventure_elt.replicate.cdc.publication import missing_tables, publication_exists
from adventure_elt.replicate.cdc.slot import SlotStatus, slot_status


@dataclass(frozen=True)
class SourceStatus:
    """The slot (None: it does not exist) and the publication of log-based replication.

    `unpublished` lists the catalog tables the publication lacks (all when it does not exist).
    """

    slot_name: str
    slot: SlotStatus | None
    publication: str
    publication_exists: bool
    unpublished: tuple[str, ...]


def describe(
    conn: psycopg2.extensions.connection,
    slot: str,
    publication: str,
    tables: Sequence[SourceTable] = TABLES,
) -> SourceStatus:
    """The state of the slot and the publication in the source database (creates nothing)."""
    return SourceStatus(
        slot_name=slot,
        slot=slot_status(conn, slot),
        publication=publication,
        publication_exists=publication_exists(conn, publication),
        unpublished=tuple(t.qualified_name for t in missing_tables(conn, publication, tables)),
    )
