"""The semantic model: views over the marts with typed dimensions, measures and joins (YAML).

One file per view in `sql/semantic/*.yml`::

    version: 1
    name: sales                      # the view's name in queries (`sales.order_date`)
    label: Sales lines
    description: One row per sales order line.
    table: marts.fct_sales           # or `sql:` a BigQuery select over `<layer>.<table>`s
    primary_key: [sales_order_id, sales_order_detail_id]
    joins:                           # many-to-one only: a join never multiplies a measure
      - {view: product, foreign_key: product_key}   # this column = product's primary key
    dimensions:
      - {name: order_date, type: date, column: order_date, grains: [day, month, year]}
    measures:
      - {name: revenue, type: sum, column: line_total, format: money}
      - {name: new_customers, type: count_distinct, column: customer_key,
         filter: "order_date = customer.first_order_date"}
      - {name: avg_order_value, type: derived, sql: revenue / orders}

Expressions (`sql:` of a dimension or measure) are BigQuery SQL over the view's columns; a
measure's `filter:` and a derived measure's `sql:` name dimensions and measures instead. Every
name is checked when the model loads: a broken model is a one-line `SemanticModelError` naming
the file and the key (`sql/semantic/sales.yml: measures.revenue.column: unknown column ...`).
"""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import sqlglot
import yaml
from sqlglot import exp
from sqlglot.errors import SqlglotError

from adventure_elt.errors import first_line
from adventure_elt.semantic.errors import QueryError, SemanticModelError
from adventure_elt.transform.project import display, load_project

DIALECT = "bigquery"
GRAINS: tuple[str, ...] = ("day", "week", "month", "quarter", "year")
DIMENSION_TYPES: tuple[str, ...] = ("string", "number", "boolean", "date", "timestamp")
TIME_TYPES: tuple[str, ...] = ("date", "timestamp")
AGGREGATIONS: tuple[str, ...] = ("sum", "count", "count_distinct", "avg", "min", "max")
MEASURE_TYPES: tuple[str, ...] = (*AGGREGATIONS, "derived")
FORMATS: tuple[str, ...] = ("money", "integer", "number", "percent")
RELATIONSHIPS: tuple[str, ...] = ("many_to_one", "one_to_one")

_VIEW_KEYS = {
    "version", "name", "label", "description", "table", "sql", "primary_key", "joins",
    "dimensions", "measures",
}  # fmt: skip
_DIMENSION_KEYS = {"name", "label", "description", "type", "column", "sql", "grains"}
_MEASURE_KEYS = {"name", "label", "description", "type", "column", "sql", "filter", "format"}
_JOIN_KEYS = {"view", "foreign_key", "relationship"}


@dataclass(frozen=True)
class Dimension:
    """A typed attribute to group or filter by; `expression` reads the view's columns."""

    name: str
    view: str
    type: str
    expression: exp.Expr
    label: str
    description: str = ""
    grains: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """`view.name`, the dimension's fully qualified name."""
        return f"{self.view}.{self.name}"

    @property
    def is_time(self) -> bool:
        """True for date and timestamp dimensions (they take a grain: `order_date.month`)."""
        return self.type in TIME_TYPES


@dataclass(frozen=True)
class Measure:
    """An aggregate (`sum`, `count`, …) over one view's rows, or `derived` from other measures."""

    name: str
    view: str
    type: str
    expression: exp.Expr | None
    label: str
    description: str = ""
    filter: exp.Expr | None = None
    format: str = "number"

    @property
    def is_derived(self) -> bool:
        """True when computed from other measures after aggregation."""
        return self.type == "derived"

    @property
    def depends_on(self) -> tuple[str, ...]:
        """Names of the measures a derived measure reads (empty for aggregates)."""
        if not self.is_derived or self.expression is None:
            return ()
        return tuple(dict.fromkeys(c.name for c in self.expression.find_all(exp.Column)))


@dataclass(frozen=True)
class Join:
    """A many-to-one join: `foreign_key` of the joining view = the primary key of `view`."""

    view: str
    foreign_key: str
    relationship: str = "many_to_one"


@dataclass(frozen=True)
class View:
    """A table or SELECT over the marts, with its dimensions, measures and outgoing joins."""

    name: str
    label: str
    description: str
    source: exp.Expr
    primary_key: tuple[str, ...]
    joins: tuple[Join, ...]
    dimensions: Mapping[str, Dimension]
    measures: Mapping[str, Measure]
    columns: tuple[str, ...]
    path: Path


@dataclass(frozen=True)
class DimensionRef:
    """A dimension as a query names it, resolved from one view (the fact being aggregated).

    `path` lists the joins from that view to the dimension's view, in order.
    """

    dimension: Dimension
    grain: str | None
    path: tuple[tuple[str, Join], ...]


@dataclass
class SemanticModel:
    """Every view of a `sql/semantic` folder, and every measure by its (unique) name."""

    path: Path
    views: dict[str, View]
    measures: dict[str, Measure] = field(default_factory=dict)

    def dimensions(self) -> list[Dimension]:
        """Every dimension, view by view, in file order."""
        return [d for v in self.views.values() for d in v.dimensions.values()]

    def measure(self, name: str) -> Measure:
        """The measure called `name`; QueryError with suggestions if there is none."""
        if name in self.measures:
            return self.measures[name]
        raise QueryError(f"unknown measure {name!r}; {suggest(name, self.measures)}")

    def reachable(self, start: str) -> dict[str, tuple[tuple[str, Join], ...]]:
        """Views reachable from `start` by many-to-one joins, each with its (shortest) path.

        The first path found breadth-first (joins in file order) wins, so it is deterministic.
        """
        paths: dict[str, tuple[tuple[str, Join], ...]] = {start: ()}
        queue = deque([start])
        while queue:
            current = queue.popleft()
            for join in self.views[current].joins:
                if join.view not in paths:
                    paths[join.view] = (*paths[current], (current, join))
                    queue.append(join.view)
        return paths

    def resolve(self, parts: list[str], start: str) -> DimensionRef:
        """Resolve a dimension reference (`dim`, `dim.grain`, `view.dim`, `view.dim.grain`).

        An unqualified name means `start`'s own dimension if it has one, else the one reachable
        view that has it (so `order_date` is each fact's own order date, `country` the ship-to
        country). Raises QueryError when unknown, ambiguous or not reachable from `start`.
        """
        text = ".".join(parts)
        reachable = self.reachable(start)
        if len(parts) > 1 and parts[0] in self.views:
            view_name, rest = parts[0], parts[1:]
            if view_name not in reachable:
                joined = ", ".join(v for v in reachable if v != start) or "nothing"
                raise QueryError(
                    f"dimension {text!r} is not reachable from view {start!r} (which joins "
                    f"{joined}); drop it or query measures of a view that joins {view_name!r}"
                )
            view = self.views[view_name]
            if rest[0] not in view.dimensions:
                raise QueryError(
                    f"view {view_name!r} has no dimension {rest[0]!r}; "
                    f"{suggest(rest[0], view.dimensions)}"
                )
            found = [view_name]
        else:
            rest = parts
            found = [v for v in reachable if parts[0] in self.views[v].dimensions]
            if start in found:
                found = [start]
            if not found:
                known = {d.name for d in self.dimensions()}
                if parts[0] in known:
                    owners = [d.key for d in self.dimensions() if d.name == parts[0]]
                    raise QueryError(
                        f"dimension {text!r} is not reachable from view {start!r} "
                        f"(only {', '.join(owners)} has it); query measures of that view"
                    )
                raise QueryError(f"unknown dimension {text!r}; {suggest(parts[0], known)}")
            depth = min(len(reachable[v]) for v in found)
            found = [v for v in found if len(reachable[v]) == depth]
            if len(found) > 1:
                raise QueryError(
                    f"dimension {text!r} is ambiguous from view {start!r}: "
                    f"{', '.join(f'{v}.{parts[0]}' for v in found)}; qualify it with its view"
                )
        dimension = self.views[found[0]].dimensions[rest[0]]
        grain = None
        if len(rest) == 2:
            grain = rest[1]
            if not dimension.is_time:
                raise QueryError(
                    f"{text!r}: {dimension.key} is a {dimension.type} dimension and takes no "
                    f"grain; time grains apply to date and timestamp dimensions"
                )
            if grain not in dimension.grains:
                raise QueryError(
                    f"{text!r}: {dimension.key} has no grain {grain!r}; "
                    f"use one of {', '.join(dimension.grains)}"
                )
        elif len(rest) > 2:
            raise QueryError(f"{text!r} is not a dimension; write view.dimension[.grain]")
        return DimensionRef(dimension, grain, reachable[found[0]])

    def catalog(self) -> dict[str, Any]:
        """Measures and dimensions with labels and descriptions, JSON-ready (for UIs, `--list`)."""
        return {
            "measures": [
                {
                    "name": m.name,
                    "view": m.view,
                    "type": m.type,
                    "label": m.label,
                    "description": m.description,
                    "format": m.format,
                }
                for m in self.measures.values()
            ],
            "dimensions": [
                {
                    "name": d.key,
                    "view": d.view,
                    "type": d.type,
                    "label": d.label,
                    "description": d.description,
                    "grains": list(d.grains),
                }
                for d in self.dimensions()
            ],
        }


def suggest(name: str, known: Iterable[str]) -> str:
    """`did you mean …?` with the closest known names, or the known names themselves."""
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=3)
    if close:
        return f"did you mean {', '.join(close)}?"
    return f"known: {', '.join(names)}" if len(names) <= 12 else f"{len(names)} are defined"


# ----------------------------------------------------------------------------- loading


def default_model_dir() -> Path:
    """`sql/semantic` of the project (in a source checkout or an installed wheel)."""
    from adventure_elt.paths import sql_dir

    return sql_dir() / "semantic"


def load_model(path: Path | str | None = None, sql_dir: Path | str | None = None) -> SemanticModel:
    """Read and check every view file in a semantic model folder.

    Args:
        path: the folder (default: the project's `sql/semantic`).
        sql_dir: the `sql/` folder whose models give the views' columns (default: the parent of
            `path` when it holds `marts/`, else the project's).

    Returns:
        The model; raises SemanticModelError (one line naming file and key) when it is broken.

    >>> model = load_model()
    >>> model.measures["revenue"].view, model.views["product"].dimensions["category"].label
    ('sales', 'Category')
    """
    folder = Path(path) if path is not None else default_model_dir()
    files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])
    if not files:
        raise SemanticModelError(f"{folder}: no semantic model files (*.yml) found")
    if sql_dir is None:
        from adventure_elt.paths import sql_dir as project_sql_dir

        sql_dir = folder.parent if (folder.parent / "marts").is_dir() else project_sql_dir()
    columns = _ModelColumns(Path(sql_dir))
    views: dict[str, View] = {}
    for file in files:
        view = _ViewLoader(file, display(file, folder.parent), columns).load()
        if view.name in views:
            raise SemanticModelError(
                f"{display(file, folder.parent)}: name: view {view.name!r} is already defined in "
                f"{display(views[view.name].path, folder.parent)}"
            )
        views[view.name] = view
    model = SemanticModel(path=folder, views=views)
    _link(model, folder)
    return model


class _ModelColumns:
    """Columns of the warehouse tables the views read, from the SQL project (no warehouse)."""

    # sql/ folder -> (its files' mtimes, columns): parsing every model takes about a second
    _cache: ClassVar[dict[Path, tuple[tuple[tuple[str, int], ...], dict[str, dict[str, str]]]]] = {}

    def __init__(self, sql_dir: Path) -> None:
        self.sql_dir = sql_dir
        self._known: dict[str, dict[str, str]] | None = None

    def all(self) -> dict[str, dict[str, str]]:
        """`layer.name` -> columns, read on first use and then kept (one `load_model` call)."""
        if self._known is None:
            self._known = self._read()
        return self._known

    def _read(self) -> dict[str, dict[str, str]]:
        from adventure_elt.transform.schema import project_columns

        stamp = tuple(
            (str(f), f.stat().st_mtime_ns)
            for f in sorted(self.sql_dir.glob("*/*"))
            if f.suffix in (".sql", ".yml", ".csv") and f.parent.name != "semantic"
        )
        cached = self._cache.get(self.sql_dir)
        if cached is None or cached[0] != stamp:
            cached = (stamp, project_columns(load_project(self.sql_dir)))
            self._cache[self.sql_dir] = cached
        return cached[1]


class _ViewLoader:
    """Checks one view file's shape and names against its own columns."""

    def __init__(self, file: Path, shown: str, columns: _ModelColumns) -> None:
        self.file = file
        self.shown = shown
        self.columns = columns

    def fail(self, key: str, problem: str) -> SemanticModelError:
        return SemanticModelError(f"{self.shown}: {key}: {problem}")

    def load(self) -> View:
        try:
            raw = yaml.safe_load(self.file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise SemanticModelError(f"{self.shown}: invalid YAML{where}: {problem}") from None
        doc = self.mapping(raw, "(file)", _VIEW_KEYS)
        if doc.get("version") != 1:
            raise self.fail("version", f"must be 1, got {doc.get('version')!r}")
        name = self.identifier(doc.get("name"), "name")
        source, columns = self.source(doc)
        primary_key = tuple(
            self.column(c, f"primary_key[{i}]", columns)
            for i, c in enumerate(self.listing(doc.get("primary_key", []), "primary_key"))
        )
        joins = tuple(
            self.join(j, f"joins[{i}]", columns)
            for i, j in enumerate(self.listing(doc.get("joins", []), "joins"))
        )
        dimensions: dict[str, Dimension] = {}
        for i, raw_dim in enumerate(self.listing(doc.get("dimensions", []), "dimensions")):
            dimension = self.dimension(raw_dim, f"dimensions[{i}]", name, columns)
            if dimension.name in dimensions:
                raise self.fail(f"dimensions.{dimension.name}", "defined twice in this view")
            dimensions[dimension.name] = dimension
        measures: dict[str, Measure] = {}
        for i, raw_measure in enumerate(self.listing(doc.get("measures", []), "measures")):
            measure = self.measure(raw_measure, f"measures[{i}]", name, columns)
            if measure.name in measures:
                raise self.fail(f"measures.{measure.name}", "defined twice in this view")
            measures[measure.name] = measure
        return View(
            name=name,
            label=self.text(doc.get("label", name), "label"),
            description=self.text(doc.get("description", ""), "description"),
            source=source,
            primary_key=primary_key,
            joins=joins,
            dimensions=dimensions,
            measures=measures,
            columns=columns,
            path=self.file,
        )

    # --- shapes

    def mapping(self, raw: object, key: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise self.fail(key, f"expected a mapping, got {type(raw).__name__}")
        for k in raw:
            if k not in allowed:
                raise self.fail(f"{key}.{k}" if key != "(file)" else str(k),
                                f"unknown key; {suggest(str(k), allowed)}")  # fmt: skip
        return raw

    def listing(self, raw: object, key: str) -> list[Any]:
        if not isinstance(raw, list):
            raise self.fail(key, f"expected a list, got {type(raw).__name__}")
        return raw

    def text(self, raw: object, key: str) -> str:
        if not isinstance(raw, str | int | float):
            raise self.fail(key, f"expected text, got {type(raw).__name__}")
        return str(raw).strip()

    def identifier(self, raw: object, key: str) -> str:
        if not isinstance(raw, str) or not raw.isidentifier() or raw != raw.lower():
            raise self.fail(key, f"expected a lower-case name like order_date, got {raw!r}")
        return raw

    def choice(self, raw: object, key: str, allowed: tuple[str, ...]) -> str:
        if raw not in allowed:
            raise self.fail(key, f"{raw!r} is not one of {', '.join(allowed)}")
        return str(raw)

    # --- parts

    def source(self, doc: dict[str, Any]) -> tuple[exp.Expr, tuple[str, ...]]:
        if ("table" in doc) == ("sql" in doc):
            raise self.fail("table", "give exactly one of table: <layer>.<model> or sql: <select>")
        known = self.columns.all()
        if "table" in doc:
            name = self.text(doc["table"], "table")
            if name not in known:
                hint = suggest(name, [k for k in known if not k.startswith("raw.")])
                raise self.fail("table", f"unknown table {name!r}; {hint}")
            layer, table = name.split(".", 1)
            return exp.table_(table, db=layer), tuple(known[name])
        text = self.text(doc["sql"], "sql")
        try:
            select = sqlglot.parse_one(text, read=DIALECT)
        except SqlglotError as exc:
            raise self.fail("sql", f"cannot parse: {first_line(exc)}") from None
        if not isinstance(select, exp.Query):
            raise self.fail("sql", "must be a SELECT")
        for read in select.find_all(exp.Table):
            ref = f"{read.db}.{read.name}"
            if read.db and ref not in known:
                raise self.fail("sql", f"unknown table {ref!r}")
        from adventure_elt.transform.schema import select_columns

        columns = select_columns(select, known)
        if not columns:
            raise self.fail("sql", "cannot tell its columns; list them (no * over unknown tables)")
        return select, columns

    def column(self, raw: object, key: str, columns: tuple[str, ...]) -> str:
        name = self.text(raw, key)
        if name not in columns:
            raise self.fail(key, f"unknown column {name!r}; {suggest(name, columns)}")
        return name

    def expression(self, raw: object, key: str) -> exp.Expr:
        text = self.text(raw, key)
        try:
            parsed = sqlglot.parse_one(text, read=DIALECT)
        except SqlglotError as exc:
            raise self.fail(key, f"cannot parse {text!r}: {first_line(exc)}") from None
        if parsed is None or isinstance(parsed, exp.Query):
            raise self.fail(key, f"{text!r} is not an expression")
        return parsed

    def over_columns(self, raw: object, key: str, view: str, columns: tuple[str, ...]) -> exp.Expr:
        expression = self.expression(raw, key)
        if expression.find(exp.AggFunc, exp.Subquery, exp.Star):
            raise self.fail(key, "aggregates, subqueries and * are not allowed here")
        for col in expression.find_all(exp.Column):
            if col.table and col.table != view:
                raise self.fail(key, f"{col.sql(DIALECT)!r}: only this view's columns are allowed")
            if col.name not in columns:
                raise self.fail(key, f"unknown column {col.name!r}; {suggest(col.name, columns)}")
            col.set("table", None)
        return expression

    def join(self, raw: object, key: str, columns: tuple[str, ...]) -> Join:
        doc = self.mapping(raw, key, _JOIN_KEYS)
        return Join(
            view=self.identifier(doc.get("view"), f"{key}.view"),
            foreign_key=self.column(doc.get("foreign_key"), f"{key}.foreign_key", columns),
            relationship=self.choice(
                doc.get("relationship", "many_to_one"), f"{key}.relationship", RELATIONSHIPS
            ),
        )

    def dimension(self, raw: object, key: str, view: str, columns: tuple[str, ...]) -> Dimension:
        doc = self.mapping(raw, key, _DIMENSION_KEYS)
        name = self.identifier(doc.get("name"), f"{key}.name")
        key = f"dimensions.{name}"
        kind = self.choice(doc.get("type"), f"{key}.type", DIMENSION_TYPES)
        if ("column" in doc) == ("sql" in doc):
            raise self.fail(f"{key}.column", "give exactly one of column: or sql:")
        if "column" in doc:
            expression: exp.Expr = exp.column(self.column(doc["column"], f"{key}.column", columns))
        else:
            expression = self.over_columns(doc["sql"], f"{key}.sql", view, columns)
        grains: tuple[str, ...] = ()
        if "grains" in doc:
            if kind not in TIME_TYPES:
                raise self.fail(f"{key}.grains", f"a {kind} dimension takes no time grains")
            grains = tuple(
                self.choice(g, f"{key}.grains[{i}]", GRAINS)
                for i, g in enumerate(self.listing(doc["grains"], f"{key}.grains"))
            )
        return Dimension(
            name=name,
            view=view,
            type=kind,
            expression=expression,
            label=self.text(doc.get("label", name.replace("_", " ").capitalize()), f"{key}.label"),
            description=self.text(doc.get("description", ""), f"{key}.description"),
            grains=grains,
        )

    def measure(self, raw: object, key: str, view: str, columns: tuple[str, ...]) -> Measure:
        doc = self.mapping(raw, key, _MEASURE_KEYS)
        name = self.identifier(doc.get("name"), f"{key}.name")
        key = f"measures.{name}"
        kind = self.choice(doc.get("type"), f"{key}.type", MEASURE_TYPES)
        expression: exp.Expr | None = None
        if kind == "derived":
            if "sql" not in doc or "column" in doc or "filter" in doc:
                raise self.fail(f"{key}.sql", "a derived measure needs sql: over other measures")
            expression = self.expression(doc["sql"], f"{key}.sql")
            if expression.find(exp.AggFunc, exp.Subquery, exp.Star):
                raise self.fail(f"{key}.sql", "name measures; aggregates are not allowed here")
        elif "column" in doc and "sql" in doc:
            raise self.fail(f"{key}.column", "give one of column: or sql:, not both")
        elif "column" in doc:
            expression = exp.column(self.column(doc["column"], f"{key}.column", columns))
        elif "sql" in doc:
            expression = self.over_columns(doc["sql"], f"{key}.sql", view, columns)
        elif kind != "count":
            raise self.fail(f"{key}.column", f"a {kind} measure needs column: or sql:")
        filter_ = self.expression(doc["filter"], f"{key}.filter") if "filter" in doc else None
        return Measure(
            name=name,
            view=view,
            type=kind,
            expression=expression,
            label=self.text(doc.get("label", name.replace("_", " ").capitalize()), f"{key}.label"),
            description=self.text(doc.get("description", ""), f"{key}.description"),
            filter=filter_,
            format=self.choice(doc.get("format", "number"), f"{key}.format", FORMATS),
        )


def _link(model: SemanticModel, folder: Path) -> None:
    """Cross-file checks: joins, unique measure names, derived measures, filters."""
    views = model.views
    sql_dir = folder.parent  # `display` shows paths relative to the folder above it

    def fail(view: View, key: str, problem: str) -> SemanticModelError:
        return SemanticModelError(f"{display(view.path, sql_dir)}: {key}: {problem}")

    for view in views.values():
        for i, join in enumerate(view.joins):
            target = views.get(join.view)
            if target is None:
                raise fail(view, f"joins[{i}].view", f"unknown view {join.view!r}; "
                           f"{suggest(join.view, views)}")  # fmt: skip
            if len(target.primary_key) != 1:
                raise fail(view, f"joins[{i}].view", f"view {join.view!r} needs a one-column "
                           "primary_key to be joined")  # fmt: skip
        for dimension in view.dimensions.values():
            if dimension.name in views:
                raise fail(view, f"dimensions.{dimension.name}.name", "a dimension may not be "
                           "named like a view (view.dimension would be ambiguous)")  # fmt: skip
        for measure in view.measures.values():
            other = model.measures.get(measure.name)
            if other is not None:
                raise fail(view, f"measures.{measure.name}", "a measure of that name is already "
                           f"defined in {display(views[other.view].path, sql_dir)}")  # fmt: skip
            model.measures[measure.name] = measure
    for measure in model.measures.values():
        view = views[measure.view]
        key = f"measures.{measure.name}"
        for dependency in measure.depends_on:
            if dependency not in model.measures:
                raise fail(view, f"{key}.sql", f"unknown measure {dependency!r}; "
                           f"{suggest(dependency, model.measures)}")  # fmt: skip
        _check_acyclic(model, measure, (), lambda problem, v=view, k=key: fail(v, f"{k}.sql",
                       problem))  # fmt: skip
        if measure.filter is not None:
            for col in measure.filter.find_all(exp.Column):
                try:
                    model.resolve(column_parts(col), measure.view)
                except QueryError as exc:
                    raise fail(view, f"{key}.filter", str(exc)) from None


def _check_acyclic(
    model: SemanticModel,
    measure: Measure,
    seen: tuple[str, ...],
    fail: Any,
) -> None:
    if measure.name in seen:
        raise fail(f"derived measures form a cycle: {' -> '.join((*seen, measure.name))}")
    for dependency in measure.depends_on:
        _check_acyclic(model, model.measures[dependency], (*seen, measure.name), fail)


def column_parts(column: exp.Column) -> list[str]:
    """`a.b.c` as ['a', 'b', 'c'] (sqlglot puts the parts in catalog/db/table/this)."""
    return [p.name for p in column.parts]
