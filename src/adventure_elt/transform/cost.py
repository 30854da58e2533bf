"""The cost guard: what a transform would process on BigQuery, from dry-run jobs.

BigQuery bills on-demand queries by the bytes they read. Each query a selected model's build
would run is sent as a dry-run job (nothing runs, nothing is billed) and BigQuery answers the
bytes it would process: a table's query; for an incremental model whose table exists, its
unique-key check and its `MERGE` (which reads the target as well as the model's query). A view
costs nothing to create (its reads are billed in the models that select from it), so views
count 0. `check_budget` refuses a plan above a limit, or one it cannot fully estimate (an
upstream table not built yet: run once with a known-small selection first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adventure_elt.errors import AdventureEltError, ConfigError, WarehouseError
from adventure_elt.settings import Settings
from adventure_elt.transform.compile import compile_node
from adventure_elt.transform.materialize import Materializer
from adventure_elt.transform.run import load_selection


class CostLimitError(AdventureEltError):
    """The plan would process more bytes than `--max-bytes` allows, or cannot be estimated."""


@dataclass(frozen=True)
class ModelCost:
    """The dry run of one model's build.

    Args:
        model: `layer.name`.
        materialized: `view`, `table` or `incremental`.
        bytes_processed: bytes BigQuery would process; None when a dry run failed.
        error: why it could not be estimated.
        queries: how many billed queries the build runs (2 for an incremental merge).
    """

    model: str
    materialized: str
    bytes_processed: int | None
    error: str | None = None
    queries: int = 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)


@dataclass
class CostPlan:
    """Bytes per model and in total."""

    models: list[ModelCost] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        """Bytes of every model that could be estimated."""
        return sum(m.bytes_processed or 0 for m in self.models)

    @property
    def unknown(self) -> list[ModelCost]:
        """Models whose dry run failed."""
        return [m for m in self.models if m.bytes_processed is None]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (`transform --dry-run --json`)."""
        return {
            "total_bytes": self.total_bytes,
            "unknown": [m.model for m in self.unknown],
            "models": [m.to_dict() for m in self.models],
        }


def estimate(
    settings: Settings,
    select_: str | Sequence[str] | None = None,
    sql_dir: Path | None = None,
    full_refresh: bool = False,
) -> CostPlan:
    """Dry-run the queries of every selected model's build on BigQuery and add up the bytes
    each would process (`full_refresh`: as `transform --full-refresh` would build them).

    Raises:
        ConfigError: the warehouse is not BigQuery (DuckDB has no bytes to bill).
    """
    from adventure_elt.warehouse import engine_of, open_warehouse

    if not engine_of(settings).prices_queries:
        raise ConfigError(
            "--dry-run estimates BigQuery bytes; add --warehouse bigquery "
            "(DuckDB runs locally and bills nothing)"
        )
    project, keys = load_selection(sql_dir, select_)
    plan = CostPlan()
    with open_warehouse(settings) as wh:
        materializer = Materializer(wh)
        for key in keys:
            node = project.nodes[key]
            try:
                queries = materializer.build_queries(
                    node.layer,
                    node.name,
                    compile_node(node, wh.dialect, wh.relation),
                    node.materialized,
                    node.config.unique_key,
                    full_refresh=full_refresh,
                    layout=node.config.layout,
                )
            except WarehouseError as exc:  # the model's query does not compile yet
                plan.models.append(ModelCost(key, node.materialized, None, str(exc)))
                continue
            runs = [wh.dry_run(sql) for sql in queries]
            failed = next((run.error for run in runs if run.bytes_processed is None), None)
            total = None if failed else sum(run.bytes_processed or 0 for run in runs)
            plan.models.append(ModelCost(key, node.materialized, total, failed, len(queries)))
    return plan


def check_budget(plan: CostPlan, max_bytes: int) -> None:
    """Refuse (CostLimitError) a plan above `max_bytes` or with models it cannot estimate."""
    if plan.unknown:
        first = plan.unknown[0]
        raise CostLimitError(
            f"cannot estimate {len(plan.unknown)} model(s), e.g. {first.model}: {first.error}; "
            "build their upstream models first or run without --max-bytes"
        )
    if plan.total_bytes > max_bytes:
        raise CostLimitError(
            f"the plan would process {format_bytes(plan.total_bytes)} "
            f"({plan.total_bytes:,} bytes), above --max-bytes {max_bytes:,}; "
            "select fewer models or raise the limit"
        )


def format_bytes(count: int) -> str:
    """Bytes in binary units, as the BigQuery console shows them.

    >>> format_bytes(1536)
    '1.5 KiB'
    """
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{value:,.0f} B" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} TiB"
