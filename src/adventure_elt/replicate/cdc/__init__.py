"""Log-based replication (CDC), source side: a `pgoutput` slot streamed as micro-batches.

The flow, for the command that applies the changes to the warehouse:

1. **Preflight** — `check_source(conn, slot)`: `wal_level = logical`, the REPLICATION
   privilege, a free slot and WAL sender, the catalog tables with a replica identity. Each
   problem is one `ReplicationSetupError` line saying how to fix it (exit code 2).
2. **Publication** — `ensure_publication(conn, publication)`: created for the 12 catalog
   tables if missing, else checked to publish all of them.
3. **Slot with a snapshot** — when `slot_status(conn, slot)` is None:
   `with create_slot(dsn, slot) as start:` creates the slot and exports the snapshot of the
   moment it starts streaming from.
4. **Initial copy in that snapshot** — inside that block,
   `with snapshot_connection(dsn, start.snapshot_name) as conn:` then `extract.source_columns`
   and `extract.read_batches` per table (what `sync` reads with). The copy shows every
   transaction committed before `start.consistent_lsn`; the slot streams every one after: no
   gap, no double. If the block raises, the slot is dropped again. Record downstream, with the
   copy, that it is complete: a slot found without that record (a kill mid-copy) must be dropped
   and created again.
5. **Stream** — `with ChangeReader(dsn, slot, publication) as reader:` then
   `for batch in reader.batches():` yields `Batch`es of whole transactions in commit order;
   `Change` rows hold the values `sync` would write (`rows_to_arrow` makes Arrow of them with
   the same types). Updates of a primary key arrive as a delete plus an insert.
6. **Apply downstream** — write the batch (idempotently: after a crash it comes again) and commit.
7. **Acknowledge** — `reader.acknowledge(batch.end_lsn)`, only after that commit. The reader
   never acknowledges on its own. `reader.request_stop()` (e.g. from a SIGTERM handler) ends
   `batches()` after the transaction in flight.

`describe(conn, slot, publication)` reports lag and retained WAL; `drop_slot` and
`drop_publication` remove both (a forgotten slot keeps WAL forever).
"""

from __future__ import annotations

from adventure_elt.replicate.cdc.changes import Change, ChangeOp, SchemaChange
from adventure_elt.replicate.cdc.lsn import format_lsn, parse_lsn
from adventure_elt.replicate.cdc.preflight import check_source
from adventure_elt.replicate.cdc.publication import (
    check_publication,
    drop_publication,
    ensure_publication,
)
from adventure_elt.replicate.cdc.reader import Batch, ChangeReader
from adventure_elt.replicate.cdc.slot import (
    SlotSnapshot,
    SlotStatus,
    create_slot,
    drop_slot,
    slot_status,
)
from adventure_elt.replicate.cdc.snapshot import snapshot_connection
from adventure_elt.replicate.cdc.status import SourceStatus, describe
from adventure_elt.replicate.cdc.values import rows_to_arrow

__all__ = [
    "Batch",
    "Change",
    "ChangeOp",
    "ChangeReader",
    "SchemaChange",
    "SlotSnapshot",
    "SlotStatus",
    "SourceStatus",
    "check_publication",
    "check_source",
    "create_slot",
    "describe",
    "drop_publication",
    "drop_slot",
    "ensure_publication",
    "format_lsn",
    "parse_lsn",
    "rows_to_arrow",
    "slot_status",
    "snapshot_connection",
]
