"""How current the warehouse is: when each source table was last synced, its rows, and the
pipeline's recent runs from `ops.runs`. Read-only; the dashboard's "Data freshness" page shows it.

    from adventure_elt.freshness import freshness
    for table in freshness(settings).tables:
        print(table.name, table.rows, table.synced_at)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlglot import exp

from adventure_elt.catalog import DELETED_COLUMN, TABLES
from adventure_elt.settings import Settings
from adventure_elt.stream.tables import EVENTS_TABLE
from adventure_elt.warehouse.base import RAW_LAYER

if TYPE_CHECKING:
    from adventure_elt.warehouse import Warehouse

# When a row was read from the source (the raw contract's column, set by sync and by the Airbyte
# views), and when the web stream's micro-batch wrote an event. Named here rather than imported,
# so reading freshness does not load the sync's dependencies.
EXTRACTED_AT = "_extracted_at"
INGESTED_AT = "_ingested_at"
# The web stream's row among the tables (the others are named as in the source).
WEB_EVENTS = "web events"
RUNS_LAYER, RUNS_TABLE = "ops", "runs"
RUN_COLUMNS = ("run_id", "step", "started_at", "ended_at", "status", "attempts", "rows", "error")


@dataclass(frozen=True)
class TableFreshness:
    """One raw table: how many live rows it has and when its rows were last extracted.

    Args:
        name: the source's name (`sales.salesorderheader`), or WEB_EVENTS for the stream.
        rows: rows in the raw layer, soft-deleted ones left out; None when not synced yet.
        synced_at: when the newest rows were read from the source (UTC); None when none were.
    """

    name: str
    rows: int | None
    synced_at: datetime | None


@dataclass(frozen=True)
class RunStep:
    """One step of a pipeline run, as `ops.runs` records it."""

    run_id: str
    step: str
    started_at: datetime
    ended_at: datetime | None
    status: str
    attempts: int
    rows: int
    error: str | None


@dataclass(frozen=True)
class Freshness:
    """Every raw table's freshness, source tables first, and the steps of the latest runs."""

    tables: list[TableFreshness]
    runs: list[RunStep]

    @property
    def last_run(self) -> list[RunStep]:
        """The steps of the latest run, in order; empty when none was recorded."""
        return [s for s in self.runs if s.run_id == self.runs[0].run_id] if self.runs else []

    @property
    def synced_at(self) -> datetime | None:
        """When the source tables were last synced (the newest of their times), if ever."""
        times = [t.synced_at for t in self.tables if t.name != WEB_EVENTS and t.synced_at]
        return max(times) if times else None


def freshness(settings: Settings, *, runs: int = 5) -> Freshness:
    """Open the warehouse read-only and read its tables' freshness and the last `runs` runs.

    Args:
        settings: which warehouse.
        runs: how many of the latest runs to return, each with all its steps.

    Returns:
        A Freshness; an empty run list when the pipeline never ran here.
    """
    from adventure_elt.warehouse import open_warehouse

    with open_warehouse(settings, read_only=True) as warehouse:
        return Freshness(tables=table_freshness(warehouse), runs=recent_runs(warehouse, runs))


def table_freshness(warehouse: Warehouse) -> list[TableFreshness]:
    """Rows and last sync time of the 12 source tables and the web events, in one query.

    Args:
        warehouse: an open warehouse.

    Returns:
        One entry per table, in catalog order then the web events; a table that is not in the
        raw layer yet has rows and synced_at None.
    """
    stamped = [(t.qualified_name, t.raw_name, EXTRACTED_AT) for t in TABLES]
    stamped.append((WEB_EVENTS, EVENTS_TABLE, INGESTED_AT))
    present = set(warehouse.list_tables(RAW_LAYER))
    selects = []
    for name, raw_name, stamp in stamped:
        if raw_name not in present:
            continue
        columns = warehouse.column_types(RAW_LAYER, raw_name)
        select = exp.select(
            exp.Literal.string(name).as_("name"),
            exp.Count(this=exp.Star()).as_("row_count"),
            exp.Max(this=exp.column(stamp)).as_("synced_at"),
        ).from_(exp.to_table(warehouse.relation(RAW_LAYER, raw_name), dialect=warehouse.dialect))
        if DELETED_COLUMN in columns:
            select = select.where(
                exp.not_(exp.func("coalesce", exp.column(DELETED_COLUMN), exp.false()))
            )
        selects.append(select)
    found: dict[str, tuple[int, datetime | None]] = {}
    if selects:
        union: exp.Query = selects[0]
        for select in selects[1:]:
            union = exp.union(union, select, distinct=False)
        for name, rows, synced_at in warehouse.fetch_all(union.sql(dialect=warehouse.dialect)):
            found[name] = (int(rows), synced_at)
    return [TableFreshness(name, *found.get(name, (None, None))) for name, _, _ in stamped]


def recent_runs(warehouse: Warehouse, runs: int = 5) -> list[RunStep]:
    """The steps of the latest `runs` pipeline runs, newest run first, steps in order.

    Args:
        warehouse: an open warehouse.
        runs: how many runs.

    Returns:
        Their steps; empty when `ops.runs` does not exist (the pipeline never ran here).
    """
    if RUNS_TABLE not in warehouse.list_tables(RUNS_LAYER):
        return []
    table = exp.to_table(warehouse.relation(RUNS_LAYER, RUNS_TABLE), dialect=warehouse.dialect)
    # `rows` is a reserved word in BigQuery: every name is quoted by the dialect.
    latest = (
        exp.select(exp.column("run_id", quoted=True))
        .from_(table.copy())
        .group_by(exp.column("run_id", quoted=True))
        .order_by(exp.Max(this=exp.column("started_at", quoted=True)).desc())
        .limit(runs)
    )
    steps = (
        exp.select(*(exp.column(c, quoted=True) for c in RUN_COLUMNS))
        .from_(table)
        .where(exp.column("run_id", quoted=True).isin(query=latest))
        .order_by(exp.column("started_at", quoted=True))
    )
    found = [RunStep(*row) for row in warehouse.fetch_all(steps.sql(dialect=warehouse.dialect))]
    # Steps come oldest first, so the last one seen of a run is its newest.
    newest_first = {s.run_id: s.started_at for s in found}
    return sorted(found, key=lambda s: newest_first[s.run_id], reverse=True)
