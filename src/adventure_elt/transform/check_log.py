"""The history of check results in `ops.check_results`: appended by every check run, read back
as each check's last result (what `adventure-elt docs` shows, as dbt docs reads
`run_results.json`).

One row per check and run: when it ran, the model, the check's name, kind and column, whether it
passed, how many offending rows it found and the error when it could not run. Samples of
offending rows are not kept: they may hold personal data, and `test` shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from adventure_elt.settings import Settings
    from adventure_elt.warehouse import Warehouse

LAYER = "ops"
TABLE = "check_results"

_SCHEMA = pa.schema(
    [
        ("checked_at", pa.timestamp("us", tz="UTC")),
        ("model", pa.string()),
        ("check_name", pa.string()),
        ("kind", pa.string()),
        ("column_name", pa.string()),
        ("passed", pa.bool_()),
        ("failures", pa.int64()),
        ("error", pa.string()),
    ]
)


@dataclass(frozen=True)
class RecordedCheck:
    """One check's outcome as stored: `failures` offending rows, or `error` when it could not
    run."""

    checked_at: datetime
    model: str
    check_name: str
    kind: str
    column_name: str | None
    passed: bool
    failures: int
    error: str | None = None


def record_checks(settings: Settings, checks: Sequence[RecordedCheck]) -> None:
    """Append check outcomes to `ops.check_results` (created on first use).

    Args:
        settings: the warehouse to write.
        checks: the outcomes of one run; nothing is written when empty.

    Writing is best effort: a warehouse that refuses it (credentials that may only read, a lock
    held past the wait, an emulator whose load jobs create no table) does not fail checks that
    have run and are reported; the history then keeps the older results, each dated, so no
    reader mistakes them for new ones.
    """
    if not checks:
        return
    from adventure_elt.warehouse import open_warehouse

    rows = pa.Table.from_pylist([asdict(check) for check in checks], schema=_SCHEMA)
    try:
        with open_warehouse(settings) as warehouse:
            warehouse.append(LAYER, TABLE, rows)
    except Exception:  # engines raise their own client errors here, not only ours
        pass


def last_checks(warehouse: Warehouse) -> dict[tuple[str, str], RecordedCheck]:
    """The newest stored outcome of every check ever run, by (model, check name).

    Args:
        warehouse: an open warehouse (read-only is enough).

    Returns:
        Empty when no check has run against this warehouse yet.
    """
    if warehouse.describe(LAYER, TABLE) is None:
        return {}
    columns = ", ".join(_SCHEMA.names)
    rows = warehouse.fetch_arrow(
        f"select {columns} from (select {columns}, row_number() over (partition by model,"
        " check_name order by checked_at desc) as recency"
        f" from {warehouse.relation(LAYER, TABLE)}) as ranked where recency = 1"
    ).to_pylist()
    found = [RecordedCheck(**row) for row in rows]
    return {(check.model, check.check_name): check for check in found}
