"""Run a semantic query against the configured warehouse (opened read-only) and return Arrow."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from adventure_elt.errors import AdventureEltError, WarehouseError, first_line
from adventure_elt.semantic.compiler import compile_query
from adventure_elt.semantic.errors import QueryError
from adventure_elt.semantic.model import SemanticModel, default_model_dir, load_model
from adventure_elt.settings import Settings

if TYPE_CHECKING:
    import pyarrow as pa

    from adventure_elt.warehouse import Warehouse

# folder -> (files and their mtimes, model): the dashboard queries many times a second
_MODELS: dict[Path, tuple[tuple[tuple[str, int], ...], SemanticModel]] = {}


def cached_model(path: Path | str | None = None) -> SemanticModel:
    """`load_model(path)`, reused until a file of the folder changes."""
    folder = Path(path) if path is not None else default_model_dir()
    stamp = tuple(
        (f.name, f.stat().st_mtime_ns) for f in sorted(folder.glob("*.y*ml")) if f.is_file()
    )
    cached = _MODELS.get(folder)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    model = load_model(folder)
    _MODELS[folder] = (stamp, model)
    return model


def query(
    measures: Sequence[str] | str = (),
    dimensions: Sequence[str] | str = (),
    where: Sequence[str] | str = (),
    order_by: Sequence[str] | str = (),
    limit: int | None = None,
    settings: Settings | None = None,
    *,
    grain: str | None = None,
    model: SemanticModel | None = None,
) -> pa.Table:
    """Ask the semantic layer: measures by dimensions, filtered, ordered, limited.

    Args:
        measures: measure names, e.g. `["revenue", "orders"]`.
        dimensions: e.g. `["product.category"]`, or a time dimension with a grain,
            `"order_date.month"` (day, week, month, quarter, year).
        where: SQL conditions (BigQuery syntax) over dimension names, e.g.
            `"order_date >= '2013-01-01'"`, `"country = 'Canada'"`; a condition over measure
            names (`"revenue > 1000"`) filters the result rows instead.
        order_by: output fields, `-` in front for descending, e.g. `["-revenue"]`.
        limit: at most this many rows.
        settings: which warehouse (default `Settings.load()`); it is opened read-only.
        grain: time grain for time dimensions given without one.
        model: the semantic model (default: the project's `sql/semantic`).

    Returns:
        An Arrow table: one column per dimension (named with `_` for `.`, e.g.
        `product_category`, `order_date_month`) then one per measure. Money sums are exact
        decimals; averages and derived measures are doubles.

    Raises QueryError for unknown or unreachable names, WarehouseError when the marts are not
    built yet.
    """
    from adventure_elt.warehouse import open_warehouse

    settings = settings or Settings.load()
    model = model or cached_model()
    with open_warehouse(settings, read_only=True) as warehouse:
        return run_query(
            warehouse, measures, dimensions, where, order_by, limit, grain=grain, model=model
        )


def run_query(
    warehouse: Warehouse,
    measures: Sequence[str] | str = (),
    dimensions: Sequence[str] | str = (),
    where: Sequence[str] | str = (),
    order_by: Sequence[str] | str = (),
    limit: int | None = None,
    *,
    grain: str | None = None,
    model: SemanticModel | None = None,
) -> pa.Table:
    """`query` on a warehouse that is already open (arguments and result as there).

    Args:
        warehouse: the open warehouse; its kind picks the SQL dialect.
        measures: measure names.
        dimensions: dimension names, time dimensions optionally with a grain.
        where: SQL conditions over dimension or measure names.
        order_by: output fields, `-` in front for descending.
        limit: at most this many rows.
        grain: time grain for time dimensions given without one.
        model: the semantic model (default: the project's `sql/semantic`).

    Returns:
        An Arrow table, one column per dimension then one per measure.
    """
    model = model or cached_model()
    sql = compile_query(
        model,
        measures,
        dimensions,
        where,
        order_by,
        limit,
        target=warehouse.dialect,
        grain=grain,
        relation=warehouse.relation,
    )
    return run_sql(warehouse, sql, model)


def run_sql(warehouse: Warehouse, sql: str, model: SemanticModel) -> pa.Table:
    """Run compiled SQL; a missing mart is a WarehouseError, a refused query a QueryError."""
    try:
        return warehouse.fetch_arrow(sql)
    except AdventureEltError:  # already one line, from the adapter (e.g. the bytes-billed limit)
        raise
    except Exception as exc:  # the engines' own error classes differ; all are reported alike
        missing = _missing_tables(warehouse, model, sql)
        if missing:
            raise WarehouseError(
                f"the semantic layer reads {', '.join(missing)}, not built in the warehouse yet;"
                " run 'adventure-elt transform' first"
            ) from None
        raise QueryError(f"the warehouse refused the query: {first_line(exc)}") from None


def _missing_tables(warehouse: Warehouse, model: SemanticModel, sql: str) -> list[str]:
    """The tables `sql` reads (among those the model's views name) that are not built."""
    from sqlglot import exp

    wanted = sorted(
        {
            f"{t.db}.{t.name}"
            for view in model.views.values()
            for t in view.source.find_all(exp.Table)
            if t.db and warehouse.relation(t.db, t.name) in sql
        }
    )
    built: dict[str, set[str]] = {}
    missing = []
    for name in wanted:
        layer, table = name.split(".", 1)
        if layer not in built:
            built[layer] = set(warehouse.list_tables(layer))
        if table not in built[layer]:
            missing.append(name)
    return missing
