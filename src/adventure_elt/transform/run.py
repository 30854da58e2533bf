"""Run the transforms: load the project, lint and compile everything, then build in order.

Every error a user can cause (syntax, unknown upstream, cycle, portability) is raised before the
first statement runs, so a bad model leaves the warehouse untouched. A model that fails in the
engine stops the run: the models built before it stay built, the models after it are not built,
and on DuckDB the failing model keeps its previous version (each build is one `create or
replace` statement, an incremental merge one transaction whose work tables are dropped).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adventure_elt.catalog import DELETED_COLUMN, TABLES
from adventure_elt.errors import ModelError, WarehouseError, first_line
from adventure_elt.progress import ProgressCallback, ProgressEvent
from adventure_elt.settings import Settings
from adventure_elt.transform.compile import compile_node
from adventure_elt.transform.dag import build_dag, select
from adventure_elt.transform.lint import check_portability
from adventure_elt.transform.materialize import BuildResult, Materializer
from adventure_elt.transform.project import Node, Project, load_project

if TYPE_CHECKING:
    from adventure_elt.warehouse import Warehouse


@dataclass(frozen=True)
class ModelRun:
    """One built model or seed."""

    model: str
    materialized: str
    seconds: float
    rows: int | None
    changed: int
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    full_refresh: bool = True

    def describe(self) -> str:
        """A short human note: `table 1,234 rows` or `incremental +3 ~1 -2`."""
        if self.materialized == "incremental" and not self.full_refresh:
            return f"incremental +{self.inserted} ~{self.updated} -{self.deleted}"
        rows = "" if self.rows is None else f" {self.rows:,} rows"
        return f"{self.materialized}{rows}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)


@dataclass
class TransformSummary:
    """What `transform` built, with timings."""

    models: list[ModelRun] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def built(self) -> int:
        """How many models and seeds were built."""
        return len(self.models)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "built": self.built,
            "seconds": round(self.seconds, 3),
            "models": [m.to_dict() for m in self.models],
        }


def transform(
    settings: Settings,
    select: str | Sequence[str] | None = None,
    full_refresh: bool = False,
    progress: ProgressCallback | None = None,
    sql_dir: Path | None = None,
) -> TransformSummary:
    """Build the selected models (all by default) and seeds in dependency order.

    Args:
        settings: which warehouse to build in.
        select: dbt-like selection: `fct_sales+`, `+rpt_geography`, `a,b`; None = everything.
        full_refresh: rebuild incremental models from scratch.
        progress: callback; one task per model (`layer.name`), finished with its timing.
        sql_dir: the `sql/` folder (default: the project's).

    Returns:
        A TransformSummary; ModelError (file:line) before anything runs on invalid models.
    """
    from adventure_elt.warehouse import engine_of, open_warehouse

    started = time.perf_counter()
    project, keys = load_selection(sql_dir, select)
    summary = TransformSummary()
    not_built = engine_of(settings).not_built(settings)
    if not_built is not None:  # building would create a warehouse holding seeds and no raw layer
        raise WarehouseError(f"{not_built}; run 'adventure-elt sync' first")
    with open_warehouse(settings) as wh:
        plan = [
            (project.nodes[k], compile_node(project.nodes[k], wh.dialect, wh.relation))
            for k in keys
        ]
        materializer = Materializer(wh)
        for layer in sorted({node.layer for node, _ in plan}):
            wh.create_layer(layer)
        _ensure_deleted_flags(wh, {s for node, _ in plan for s in node.sources})
        if any("raw.web_events" in node.sources for node, _ in plan):
            # the stream's raw table exists (empty) even where nothing was ever streamed
            from adventure_elt.stream.tables import ensure_event_tables

            ensure_event_tables(wh)
        for node, sql in plan:
            if progress is not None:
                progress(ProgressEvent(node.key, message=f"{node.materialized}…"))
            t0 = time.perf_counter()
            result = _build(materializer, node, sql, full_refresh, project.display_path(node))
            run = _model_run(node, result, time.perf_counter() - t0)
            summary.models.append(run)
            if progress is not None:
                progress(
                    ProgressEvent(
                        node.key,
                        done=run.rows or 0,
                        message=f"{run.describe()} in {run.seconds:.2f}s",
                        finished=True,
                    )
                )
    summary.seconds = time.perf_counter() - started
    return summary


def load_selection(
    sql_dir: Path | None, selection: str | Sequence[str] | None
) -> tuple[Project, list[str]]:
    """Load the project, select models in build order and check they are portable.

    Args:
        sql_dir: the `sql/` folder (default: the project's).
        selection: dbt-like selection (see `transform`); None = everything.

    Returns:
        The project and the selected `layer.name` keys; ModelError before anything runs.
    """
    project = load_project(sql_dir)
    keys = select(project, build_dag(project), selection)
    check_portability(project, keys)
    return project, keys


def _ensure_deleted_flags(wh: Warehouse, sources: set[str]) -> None:
    """Give each replicated raw table the models read the soft-delete flag they filter on.

    Only a soft-delete sync creates the column, so without this a staging model could not name
    it; added here as NULL ("not deleted"), it costs one metadata look-up per table. Views (the
    Airbyte path's) carry the column themselves.
    """
    for table in TABLES:
        if f"raw.{table.raw_name}" not in sources:
            continue
        kind, columns = wh.describe("raw", table.raw_name) or (None, {})
        if kind == "table" and columns and DELETED_COLUMN not in columns:
            relation = wh.relation("raw", table.raw_name)
            wh.execute(f"alter table {relation} add column if not exists {DELETED_COLUMN} bool")


def _build(
    materializer: Materializer, node: Node, sql: str, full_refresh: bool, where: str
) -> BuildResult:
    try:
        if node.materialized == "view":
            return materializer.view(node.layer, node.name, sql)
        if node.materialized == "incremental":
            return materializer.incremental(
                node.layer,
                node.name,
                sql,
                node.config.unique_key,
                full_refresh=full_refresh,
                layout=node.config.layout,
            )
        return materializer.table(node.layer, node.name, sql, layout=node.config.layout)
    except ModelError:
        raise
    except Exception as exc:
        # the engine's message (missing column, type mismatch) with the model's file
        raise ModelError(f"{where}: building {node.key} failed: {first_line(exc)}") from None


def _model_run(node: Node, result: BuildResult, seconds: float) -> ModelRun:
    return ModelRun(
        model=node.key,
        materialized=node.materialized,
        seconds=seconds,
        rows=result.rows,
        changed=result.changed,
        inserted=result.inserted,
        updated=result.updated,
        deleted=result.deleted,
        full_refresh=result.full_refresh,
    )
