"""`bigquery-check`: what BigQuery would refuse and what it would bill, before the first run.

The tests run on an emulator that accepts SQL BigQuery refuses, so a real project gets one
check before anything runs: every model, each model's data checks (counted in one query, as
`test` runs them) and every semantic query of the report is sent to the configured project as a
dry-run job. A dry run is free: BigQuery parses and plans the query, answers the bytes it would
process, and runs nothing (https://cloud.google.com/bigquery/docs/running-queries#dry-run).
What it refuses (a function it does not have, a type it does not allow, a column that does not
exist) is listed, query by query, with its reason; a model's checks that BigQuery refuses are
then dry-run one by one, to name the check.

A query can only be planned against tables that exist, and before the first run none do. So a
relation that is not built yet is stood in for: a view by its own query (reading a view reads
its query, so the bytes are the real ones), a table by an empty relation with the columns and
types its dry run gave (or, for raw tables, the types `sync` and `stream ingest` create). The
queries are checked all the same; their bytes then count only what exists, which the report
says. After a `sync` the bytes of everything reading the raw layer are the real ones.

Nothing is created or written: only metadata reads and dry-run jobs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from adventure_elt.progress import ProgressCallback, ProgressEvent
from adventure_elt.settings import Settings
from adventure_elt.warehouse import LAYERS, BigQueryWarehouse, DryRun, quote_identifier

TASK = "bigquery-check"
# The raw layer's types (transform/schema.py, written for DuckDB) as `sync` creates them on
# BigQuery: dlt's BigQuery destination writes every timestamp as TIMESTAMP.
RAW_TYPES = {
    "BIGINT": "INT64",
    "DECIMAL(38,9)": "NUMERIC",
    "BOOLEAN": "BOOL",
    "BLOB": "BYTES",
    "TIMESTAMP": "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "DATE": "DATE",
    "DOUBLE": "FLOAT64",
    "VARCHAR": "STRING",
}


@dataclass(frozen=True)
class CheckedQuery:
    """One dry run.

    Args:
        kind: `model`, `check` or `semantic`.
        name: the model (`marts.fct_sales`), its checks (`marts.fct_sales: 7 checks`, or
            one of them, `marts.fct_sales: not_null(x)`, when BigQuery refused the model's
            checks together) or the report's answer (`geography`) / semantic view (`sales:
            every measure`).
        bytes_processed: what BigQuery would process (bill); None when it refused.
        refused: BigQuery's reason, when it refused.
        stand_ins: tables not built yet that the query read as empty stand-ins: its bytes
            leave them out.
    """

    kind: str
    name: str
    bytes_processed: int | None
    refused: str | None = None
    stand_ins: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**self.__dict__, "stand_ins": list(self.stand_ins)}


@dataclass
class BigQueryCheck:
    """Every dry run of a project check, and what they add up to."""

    project: str
    location: str
    max_bytes_billed: int | None
    queries: list[CheckedQuery] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def refused(self) -> list[CheckedQuery]:
        """The queries BigQuery refused."""
        return [q for q in self.queries if q.refused is not None]

    @property
    def over_limit(self) -> list[CheckedQuery]:
        """Queries that would process more than the bytes-billed limit (BigQuery would refuse
        to run them)."""
        limit = self.max_bytes_billed
        return [q for q in self.queries if limit and (q.bytes_processed or 0) > limit]

    @property
    def passed(self) -> bool:
        """True when BigQuery accepted every query and none is above the limit."""
        return not self.refused and not self.over_limit

    def total_bytes(self, kind: str) -> int:
        """Bytes of every query of one kind that BigQuery accepted."""
        return sum(q.bytes_processed or 0 for q in self.queries if q.kind == kind)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (`bigquery-check --json`)."""
        return {
            "project": self.project,
            "location": self.location,
            "max_bytes_billed": self.max_bytes_billed,
            "passed": self.passed,
            "refused": len(self.refused),
            "over_limit": [q.name for q in self.over_limit],
            "total_bytes": {k: self.total_bytes(k) for k in ("model", "check", "semantic")},
            "notes": self.notes,
            "queries": [q.to_dict() for q in self.queries],
        }


def check_bigquery(
    settings: Settings, sql_dir: Path | None = None, progress: ProgressCallback | None = None
) -> BigQueryCheck:
    """Dry-run every model, data check and report query on the configured BigQuery project.

    Args:
        settings: the BigQuery project, location, dataset prefix, credentials and limit (the
            check is BigQuery's whatever `settings.warehouse` says).
        sql_dir: the `sql/` folder (default: the project's).
        progress: one event per model checked.

    Returns:
        The check; it does not raise for what BigQuery refuses (the CLI exits 1).

    Raises:
        ModelError: a model does not parse or fails the portability lint (as `transform` would,
            before anything runs). WarehouseError, ConfigError: the project cannot be reached.
    """
    from adventure_elt.transform.run import load_selection

    project, keys = load_selection(sql_dir, None)
    wh = BigQueryWarehouse(settings)
    with wh:
        check = BigQueryCheck(wh.project, wh.location, wh.max_bytes_billed)
        planner = _Planner(wh, project.sql_dir)
        for done, key in enumerate(keys, start=1):
            node = project.nodes[key]
            check.queries.append(planner.model(node))
            if progress is not None:
                progress(ProgressEvent(TASK, done=done, total=len(keys), message=key))
        for key in keys:
            check.queries.extend(planner.checks(project, project.nodes[key]))
        check.queries.extend(planner.semantic())
        check.notes.extend(_layout_notes(wh, project, keys))
    if progress is not None:
        progress(ProgressEvent(TASK, done=len(keys), total=len(keys), finished=True))
    return check


class _Planner:
    """Dry-runs queries, standing in for the relations that are not built yet."""

    def __init__(self, wh: BigQueryWarehouse, sql_dir: Path) -> None:
        from adventure_elt.stream.tables import (
            EVENTS_SCHEMA,
            EVENTS_TABLE,
            REJECTED_SCHEMA,
            REJECTED_TABLE,
        )
        from adventure_elt.transform.project import SEED_LAYER
        from adventure_elt.transform.schema import raw_columns
        from adventure_elt.warehouse.base import RAW_LAYER
        from adventure_elt.warehouse.bigquery import bigquery_type

        self.wh = wh
        layers = (*LAYERS, SEED_LAYER)
        self.built = {(layer, name) for layer in layers for name in wh.list_tables(layer)}
        self.datasets = {wh.dataset(layer): layer for layer in layers}
        # (layer, name) -> the text that stands in for it in a query: a view's own query, or
        # an empty relation (those are `empty`: a query reading one has bytes left out)
        self.stand_ins: dict[tuple[str, str], str] = {}
        self.empty: set[tuple[str, str]] = set()
        for key, columns in raw_columns(sql_dir).items():
            typed = [(c, RAW_TYPES.get(t, "STRING")) for c, t in columns.items()]
            self._stand_in(("raw", key.split(".", 1)[1]), _empty(typed), empty=True)
        for name, schema in ((EVENTS_TABLE, EVENTS_SCHEMA), (REJECTED_TABLE, REJECTED_SCHEMA)):
            typed = [(f.name, bigquery_type(f.type)) for f in schema]
            self._stand_in((RAW_LAYER, name), _empty(typed), empty=True)

    def _stand_in(self, key: tuple[str, str], text: str, *, empty: bool) -> None:
        self.stand_ins[key] = text
        if empty:
            self.empty.add(key)

    def relation(self, layer: str, name: str) -> str:
        """The relation to plan against: the table if built, else its stand-in."""
        if (layer, name) not in self.built and (layer, name) in self.stand_ins:
            return self.stand_ins[(layer, name)]
        return self.wh.relation(layer, name)

    def stood_in(self, sql: str) -> tuple[str, ...]:
        """The unbuilt tables a compiled query reads as empty stand-ins."""
        found = [k for k in self.empty if k not in self.built and self.stand_ins[k] in sql]
        return tuple(sorted(f"{layer}.{name}" for layer, name in found))

    def model(self, node: Any) -> CheckedQuery:
        """Dry-run a model's query; remember what stands in for it downstream."""
        from adventure_elt.transform.compile import compile_node

        sql = compile_node(node, "bigquery", self.relation)
        run = self.wh.dry_run(sql)
        if run.error is None:
            # a view is read through its query; a table not built yet holds nothing
            view = node.materialized == "view"
            text = f"(\n{sql}\n)" if view else _empty(run.columns)
            self._stand_in((node.layer, node.name), text, empty=not view)
        billed = 0 if node.materialized == "view" else run.bytes_processed
        return _checked("model", node.key, run, billed, self.stood_in(sql))

    def checks(self, project: Any, node: Any) -> list[CheckedQuery]:
        """Dry-run the data checks of one model as `test` runs them: counted by one query.
        When BigQuery refuses that query, or it is above the bytes-billed limit, `test` counts
        the checks one by one: so does this, naming the check refused or above the limit."""
        from adventure_elt.transform.checks import count_sql, counts_sql, declared_checks
        from adventure_elt.transform.compile import compile_query

        declared = declared_checks(project, node)
        if not declared:
            return []
        compiled = [compile_query(check.sql, "bigquery", self.relation) for check in declared]
        together = counts_sql(compiled)
        run = self.wh.dry_run(together)
        limit = self.wh.max_bytes_billed
        if run.error is None and not (limit and (run.bytes_processed or 0) > limit):
            label = f"{node.key}: {len(declared)} check{'s' if len(declared) > 1 else ''}"
            return [_checked("check", label, run, run.bytes_processed, self.stood_in(together))]
        found = []
        for check, check_sql in zip(declared, compiled, strict=True):
            sql = count_sql(check_sql)
            alone = self.wh.dry_run(sql)
            label = f"{node.key}: {check.name}"
            found.append(_checked("check", label, alone, alone.bytes_processed, self.stood_in(sql)))
        if run.error is not None and not any(q.refused for q in found):  # refused only together
            label = f"{node.key}: its checks in one query"
            found.append(_checked("check", label, run, None, self.stood_in(together)))
        return found

    def semantic(self) -> list[CheckedQuery]:
        """Dry-run the report's semantic queries and, per semantic view, all its measures and
        a grouping by all its dimensions, each time dimension at each of its grains."""
        from adventure_elt.report import QUESTIONS
        from adventure_elt.semantic.compiler import compile_query
        from adventure_elt.semantic.query import cached_model

        model = cached_model()
        asked = {name: (m, d, w, o) for name, (m, d, w, o) in QUESTIONS.items()}
        for view in model.views.values():
            if view.measures:
                asked[f"{view.name}: every measure"] = (list(view.measures), [], [], [])
            groupings = [
                f"{d.key}.{grain}" if grain else d.key
                for d in view.dimensions.values()
                for grain in d.grains or (None,)
            ]
            if groupings:
                asked[f"{view.name}: every dimension"] = ([], groupings, [], [])
        found = []
        for name, (measures, dimensions, where, order_by) in asked.items():
            sql = compile_query(
                model, measures, dimensions, where, order_by, target="bigquery",
                relation=self.wh.relation,
            )  # fmt: skip
            sql, stood_in = self._stand_in_tree(sql)
            run = self.wh.dry_run(sql)
            found.append(_checked("semantic", name, run, run.bytes_processed, stood_in))
        return found

    def _stand_in_tree(self, sql: str) -> tuple[str, tuple[str, ...]]:
        """Generated SQL with its unbuilt tables replaced by their stand-ins (in the tree)."""
        tree = sqlglot.parse_one(sql, read="bigquery")
        stood_in = []
        for table in list(tree.find_all(exp.Table)):
            layer = self.datasets.get(table.db)
            key = (layer or "", table.name)
            if layer is None or key in self.built or key not in self.stand_ins:
                continue
            replacement = sqlglot.parse_one(f"select * from {self.stand_ins[key]}", "bigquery")
            subquery = replacement.args["from_"].this
            subquery.set("alias", table.args.get("alias"))
            table.replace(subquery)
            empty = (f"{layer}.{table.name}",) if key in self.empty else ()
            stood_in.append(empty + self.stood_in(self.stand_ins[key]))
        return tree.sql(dialect="bigquery"), tuple(sorted({k for s in stood_in for k in s}))


def _empty(columns: Sequence[tuple[str, str]]) -> str:
    """An empty relation with these columns and types, standing in for a table not built yet.

    >>> _empty([("id", "INT64"), ("at", "TIMESTAMP")])
    '(select cast(null as INT64) as `id`, cast(null as TIMESTAMP) as `at` limit 0)'
    """
    values = ", ".join(
        f"cast(null as {kind}) as {quote_identifier(name, 'bigquery')}" for name, kind in columns
    )
    return f"(select {values or 'null as `_`'} limit 0)"


def _checked(
    kind: str, name: str, run: DryRun, billed: int | None, stand_ins: tuple[str, ...]
) -> CheckedQuery:
    if run.error is not None:
        return CheckedQuery(kind, name, None, run.error, stand_ins)
    return CheckedQuery(kind, name, billed, None, stand_ins)


def _layout_notes(wh: BigQueryWarehouse, project: Any, keys: Sequence[str]) -> list[str]:
    """What the next run will do about built tables laid out otherwise than declared."""
    from adventure_elt.stream.tables import EVENTS_LAYOUT, EVENTS_TABLE
    from adventure_elt.warehouse.base import RAW_LAYER

    notes = []
    events = wh.table_layout(RAW_LAYER, EVENTS_TABLE)
    if events is not None and events != EVENTS_LAYOUT:
        notes.append(
            f"raw.{EVENTS_TABLE} is not partitioned by event day and clustered by event_id "
            "(created before that layout): every stream lookup and live query reads all of it; "
            "re-create it as the README shows"
        )
    for key in keys:
        node = project.nodes[key]
        if node.materialized == "view":
            continue
        built = wh.table_layout(node.layer, node.name)
        if built is not None and built != node.config.layout:
            notes.append(
                f"{key} is laid out otherwise than _models.yml declares: the next transform "
                "drops and rebuilds it (a full build, billed as such)"
            )
    return notes
