"""Compile a semantic query (measures × dimensions × filters) into one SQL statement.

The statement is built as a sqlglot expression tree and written for DuckDB or BigQuery. Its shape
keeps every measure honest however the facts' grains differ:

1. one CTE per fact view whose measures are asked for (`sales_agg`, `orders_agg`): the fact
   left-joined many-to-one to the dimension views it needs, filtered by the dimension filters,
   grouped by the requested dimensions — a join never repeats a fact row, so nothing is counted
   twice;
2. with several facts, their CTEs are stacked (UNION ALL) and collapsed per dimension values
   (`merged`), which is a null-safe full outer join on the dimensions in any engine;
3. the final SELECT computes derived measures (`/` is a safe division: NULL when dividing by
   zero), applies filters on measures, the order and the limit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import sqlglot
from sqlglot import exp

from adventure_elt.semantic.conditions import parse_condition
from adventure_elt.semantic.errors import QueryError
from adventure_elt.semantic.model import (
    GRAINS,
    Dimension,
    DimensionRef,
    Join,
    Measure,
    SemanticModel,
    View,
    column_parts,
)

Target = Literal["duckdb", "bigquery"]
TARGETS: tuple[Target, ...] = ("duckdb", "bigquery")
RelationFn = Callable[[str, str], str]
_COUNTS = ("count", "count_distinct")
_PLACEHOLDER = "__value__"


# ----------------------------------------------------------------------------- engines


class _Engine:
    """What differs per engine: the dialect and how a date is truncated to a grain."""

    dialect: ClassVar[str] = ""
    # grain -> template over the placeholder column, in this engine's own dialect
    truncations: ClassVar[dict[str, str]] = {}

    def truncate(self, value: exp.Expr, grain: str) -> exp.Expr:
        """The first day of `value`'s period, as a DATE (weeks start on Monday, ISO)."""
        tree = sqlglot.parse_one(self.truncations[grain], read=self.dialect)
        for column in list(tree.find_all(exp.Column)):
            if column.name == _PLACEHOLDER:
                column.replace(value.copy())
        return tree


class _DuckDB(_Engine):
    dialect: ClassVar[str] = "duckdb"
    truncations: ClassVar[dict[str, str]] = {
        "day": f"CAST({_PLACEHOLDER} AS DATE)",
        # DuckDB's week starts on Monday; date_trunc returns a TIMESTAMP, hence the cast.
        **{
            g: f"CAST(DATE_TRUNC('{g}', {_PLACEHOLDER}) AS DATE)"
            for g in ("week", "month", "quarter", "year")
        },
    }


class _BigQuery(_Engine):
    dialect: ClassVar[str] = "bigquery"
    truncations: ClassVar[dict[str, str]] = {
        "day": f"CAST({_PLACEHOLDER} AS DATE)",
        # Monday-based like DuckDB's (ISO) weeks: plain WEEK starts on Sunday, and WEEK(MONDAY)
        # or ISOWEEK are not understood alike everywhere (the emulator); arithmetic from a known
        # Monday (1900-01-01) is, as in dim_date.
        "week": (
            f"DATE_SUB(CAST({_PLACEHOLDER} AS DATE), INTERVAL MOD(DATE_DIFF(CAST({_PLACEHOLDER}"
            " AS DATE), DATE '1900-01-01', DAY), 7) DAY)"
        ),
        **{
            g: f"DATE_TRUNC(CAST({_PLACEHOLDER} AS DATE), {g.upper()})"
            for g in ("month", "quarter", "year")
        },
    }


_ENGINES: dict[str, _Engine] = {"duckdb": _DuckDB(), "bigquery": _BigQuery()}


def _engine(target: str) -> _Engine:
    if target not in _ENGINES:
        raise QueryError(f"unknown target {target!r}; use duckdb or bigquery")
    return _ENGINES[target]


def _default_relation(layer: str, name: str) -> str:
    return f"{layer}.{name}"


# ----------------------------------------------------------------------------- the query


@dataclass
class _Field:
    """A requested dimension: its output column and its resolution from each fact."""

    text: str
    parts: list[str]
    name: str
    refs: dict[str, DimensionRef] = field(default_factory=dict)


@dataclass
class _Fact:
    """One fact view's share of the query: the base measures it aggregates."""

    view: View
    measures: list[Measure] = field(default_factory=list)
    filters: list[exp.Expr] = field(default_factory=list)

    @property
    def cte(self) -> str:
        return f"{self.view.name}_agg"


def compile_query(
    model: SemanticModel,
    measures: Sequence[str] | str = (),
    dimensions: Sequence[str] | str = (),
    where: Sequence[str] | str = (),
    order_by: Sequence[str] | str = (),
    limit: int | None = None,
    target: str = "duckdb",
    *,
    grain: str | None = None,
    relation: RelationFn | None = None,
) -> str:
    """The SQL answering a semantic query on `target`.

    Args:
        model: the semantic model (`load_model()`).
        measures: measure names, e.g. `["revenue", "orders"]`.
        dimensions: `view.dimension`, `dimension` or a time dimension with a grain
            (`order_date.month`); output columns are named with `_` for `.`.
        where: SQL boolean expressions (BigQuery syntax) over dimension names (filter rows
            before aggregating) or over measure names (filter the result).
        order_by: output fields, `-` in front for descending (default: the dimensions).
        limit: at most this many rows.
        target: `duckdb` or `bigquery`.
        grain: time grain for time dimensions given without one (`day` … `year`).
        relation: maps (layer, table) to the relation to use, e.g. `Warehouse.relation`.

    Returns:
        One SQL statement; raises QueryError (one line) for unknown, ambiguous or unreachable
        names and unparsable filters.

    >>> from adventure_elt.semantic.model import load_model
    >>> sql = compile_query(load_model(), ["revenue"], ["product.category"])
    >>> "SUM(sales.line_total) AS revenue" in sql
    True
    """
    tree = build_query(
        model, measures, dimensions, where, order_by, limit, target, grain=grain, relation=relation
    )
    return tree.sql(dialect=_engine(target).dialect, pretty=True)


def build_query(
    model: SemanticModel,
    measures: Sequence[str] | str = (),
    dimensions: Sequence[str] | str = (),
    where: Sequence[str] | str = (),
    order_by: Sequence[str] | str = (),
    limit: int | None = None,
    target: str = "duckdb",
    *,
    grain: str | None = None,
    relation: RelationFn | None = None,
) -> exp.Select:
    """The sqlglot tree of `compile_query` (same arguments)."""
    return _Compiler(model, _engine(target), relation or _default_relation).build(
        _names(measures), _names(dimensions), _names(where), _names(order_by), limit, grain
    )


def _names(value: Sequence[str] | str | None) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise QueryError(f"expected non-empty names or expressions, got {item!r}")
    return [item.strip() for item in items]


def _output_name(parts: list[str]) -> str:
    return "_".join(parts)


class _Compiler:
    def __init__(self, model: SemanticModel, engine: _Engine, relation: RelationFn) -> None:
        self.model = model
        self.engine = engine
        self.relation = relation

    # --- planning

    def build(
        self,
        measure_names: list[str],
        dimension_names: list[str],
        filters: list[str],
        order_by: list[str],
        limit: int | None,
        grain: str | None,
    ) -> exp.Select:
        if not measure_names and not dimension_names:
            raise QueryError("ask for at least one measure or dimension")
        if grain is not None and grain not in GRAINS:
            raise QueryError(f"unknown grain {grain!r}; use one of {', '.join(GRAINS)}")
        if len(set(measure_names)) != len(measure_names):
            raise QueryError(f"a measure is asked for twice: {', '.join(measure_names)}")
        requested = [self.model.measure(name) for name in measure_names]
        dimension_filters, measure_filters = self._split_filters(filters)
        hidden = [m for _, f in measure_filters for m in self._measures_in(f)]
        base = self._base_measures([*requested, *hidden])
        facts = self._facts(base, dimension_names)
        fields = self._fields(dimension_names, facts, grain)
        for text, predicate in dimension_filters:
            for fact in facts:
                fact.filters.append(self._dimension_sql(predicate, fact.view.name, text))
        ctes = [(fact.cte, self._aggregate(fact, fields)) for fact in facts]
        source = facts[0].cte
        if len(facts) > 1:
            ctes.append(("merged", self._merge(facts, fields)))
            source = "merged"
        final = exp.select(
            *(exp.column(f.name) for f in fields),
            *(_named(self._final_measure(m), m.name) for m in requested),
        ).from_(source)
        for _, predicate in measure_filters:
            final = final.where(self._with_final_measures(predicate), copy=False)
        if len(facts) == 1 and not base and fields:
            final = final.distinct()
        ordering = self._order(order_by, fields, requested)
        if ordering:
            final = final.order_by(*ordering, copy=False)
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                raise QueryError(f"limit must be a whole number ≥ 0, got {limit!r}")
            final = final.limit(limit, copy=False)
        for name, select in ctes:
            final = final.with_(name, as_=select, copy=False)
        return final

    def _base_measures(self, measures: list[Measure]) -> list[Measure]:
        """The aggregates to compute, in order: requested ones and those derived ones read."""
        found: dict[str, Measure] = {}

        def visit(measure: Measure) -> None:
            if measure.is_derived:
                for name in measure.depends_on:
                    visit(self.model.measures[name])
            else:
                found.setdefault(measure.name, measure)

        for measure in measures:
            visit(measure)
        return list(found.values())

    def _facts(self, base: list[Measure], dimension_names: list[str]) -> list[_Fact]:
        facts: dict[str, _Fact] = {}
        for measure in base:
            facts.setdefault(measure.view, _Fact(self.model.views[measure.view]))
            facts[measure.view].measures.append(measure)
        if not facts:
            # dimensions only (e.g. the values of a filter): read the first one's view
            facts[""] = _Fact(self.model.views[self._home_view(dimension_names[0])])
        return list(facts.values())

    def _home_view(self, text: str) -> str:
        parts = text.split(".")
        if parts[0] in self.model.views:
            return parts[0]
        owners = [d.view for d in self.model.dimensions() if d.name == parts[0]]
        if len(owners) == 1:
            return owners[0]
        if not owners:
            return self.model.resolve(parts, next(iter(self.model.views))).dimension.view
        raise QueryError(
            f"dimension {text!r} is ambiguous: {', '.join(f'{v}.{parts[0]}' for v in owners)}; "
            "qualify it with its view"
        )

    def _fields(self, names: list[str], facts: list[_Fact], grain: str | None) -> list[_Field]:
        fields: list[_Field] = []
        for text in names:
            parts = text.split(".")
            if not all(p.isidentifier() for p in parts):
                raise QueryError(f"{text!r} is not a dimension name; write view.dimension[.grain]")
            item = _Field(text=text, parts=parts, name=_output_name(parts))
            for fact in facts:
                ref = self.model.resolve(parts, fact.view.name)
                if ref.grain is None and ref.dimension.is_time and grain is not None:
                    ref = self.model.resolve([*parts, grain], fact.view.name)
                    item.name = _output_name([*parts, grain])
                item.refs[fact.view.name] = ref
            if any(f.name == item.name for f in fields):
                raise QueryError(f"dimension {text!r} is asked for twice")
            fields.append(item)
        return fields

    def _split_filters(
        self, filters: list[str]
    ) -> tuple[list[tuple[str, exp.Expr]], list[tuple[str, exp.Expr]]]:
        on_dimensions: list[tuple[str, exp.Expr]] = []
        on_measures: list[tuple[str, exp.Expr]] = []
        for text in filters:
            # parsed, checked against the allow-list and rebuilt: the text itself goes no further
            predicate = parse_condition(text, self.model)
            columns = list(predicate.find_all(exp.Column))
            measures = [c for c in columns if not c.table and c.name in self.model.measures]
            if measures and len(measures) != len(columns):  # no columns: a constant, per fact
                raise QueryError(
                    f"where {text!r}: mixes measures and dimensions; "
                    "give them as separate conditions"
                )
            (on_measures if measures else on_dimensions).append((text, predicate))
        return on_dimensions, on_measures

    def _measures_in(self, predicate: exp.Expr) -> list[Measure]:
        return [self.model.measures[c.name] for c in predicate.find_all(exp.Column)]

    # --- SQL pieces

    def _dimension_sql(self, predicate: exp.Expr, view: str, text: str) -> exp.Expr:
        """A condition over dimension names, rewritten over the columns as seen from `view`."""

        def value(column: exp.Column) -> exp.Expr:
            try:
                ref = self.model.resolve(column_parts(column), view)
            except QueryError as exc:
                raise QueryError(f"where {text!r}: {exc}") from None
            return _wrap(self._dimension_value(ref))

        return _substitute(predicate.copy(), exp.Column, value)

    def _dimension_value(self, ref: DimensionRef) -> exp.Expr:
        value = _qualified(ref.dimension.expression, ref.dimension.view)
        if ref.grain is not None:
            return self.engine.truncate(value, ref.grain)
        return value

    def _source(self, view: View) -> exp.Expr:
        if isinstance(view.source, exp.Table):
            table = exp.to_table(
                self.relation(view.source.db, view.source.name), dialect=self.engine.dialect
            )
            return table.as_(view.name)
        select = view.source.copy()
        assert isinstance(select, exp.Query)
        for table in list(select.find_all(exp.Table)):
            if table.db:
                renamed = exp.to_table(
                    self.relation(table.db, table.name), dialect=self.engine.dialect
                )
                alias = table.args.get("alias") or exp.TableAlias(
                    this=exp.to_identifier(table.name)
                )
                renamed.set("alias", alias)
                table.replace(renamed)
        return select.subquery(view.name)

    def _aggregate(self, fact: _Fact, fields: list[_Field]) -> exp.Select:
        view = fact.view.name
        columns: list[exp.Expr] = []
        group: list[exp.Expr] = []
        refs: list[DimensionRef] = []
        for item in fields:
            ref = item.refs[view]
            value = self._dimension_value(ref)
            columns.append(exp.alias_(value, item.name))
            group.append(value.copy())
            refs.append(ref)
        for measure in fact.measures:
            condition = None
            if measure.filter is not None:
                condition = self._dimension_sql(measure.filter, view, f"{measure.name} filter")
            columns.append(exp.alias_(_aggregate(measure, condition), measure.name))
        select = exp.select(*columns).from_(self._source(fact.view))
        for join_from, join in self._joins(fact, refs):
            target = self.model.views[join.view]
            on = exp.column(join.foreign_key, table=join_from).eq(
                exp.column(target.primary_key[0], table=target.name)
            )
            select = select.join(self._source(target), on=on, join_type="left", copy=False)
        for condition in fact.filters:
            select = select.where(condition, copy=False)
        if group and fact.measures:
            select = select.group_by(*group, copy=False)
        return select

    def _joins(self, fact: _Fact, refs: list[DimensionRef]) -> list[tuple[str, Join]]:
        """Every join the fact's CTE needs, parents before children, each once."""
        view = fact.view.name
        paths = [ref.path for ref in refs]
        needed_views = {
            c.table for f in fact.filters for c in f.find_all(exp.Column) if c.table
        }  # the filters are already rewritten over `view.column`
        for measure in fact.measures:
            if measure.filter is not None:
                needed_views |= {
                    self.model.resolve(column_parts(c), view).dimension.view
                    for c in measure.filter.find_all(exp.Column)
                }
        reachable = self.model.reachable(view)
        paths += [reachable[v] for v in needed_views if v in reachable]
        steps: dict[tuple[str, str], tuple[str, Join]] = {}
        for path in sorted(paths, key=len):
            for join_from, join in path:
                steps.setdefault((join_from, join.view), (join_from, join))
        return sorted(steps.values(), key=lambda s: len(reachable[s[1].view]))

    def _merge(self, facts: list[_Fact], fields: list[_Field]) -> exp.Select:
        """Stack the facts' aggregates and collapse them per dimension values."""
        names = [m.name for fact in facts for m in fact.measures]
        branches: list[exp.Select] = []
        for fact in facts:
            own = {m.name for m in fact.measures}
            branches.append(
                exp.select(
                    *(exp.column(f.name) for f in fields),
                    *(exp.column(n) if n in own else exp.alias_(exp.null(), n) for n in names),
                ).from_(fact.cte)
            )
        stacked: exp.Query = branches[0]
        for branch in branches[1:]:
            stacked = exp.union(stacked, branch, distinct=False)
        merged = exp.select(
            *(exp.column(f.name) for f in fields),
            *(exp.alias_(exp.Max(this=exp.column(n)), n) for n in names),
        ).from_(stacked.subquery("stacked"))
        if fields:
            merged = merged.group_by(*(exp.column(f.name) for f in fields), copy=False)
        return merged

    def _final_measure(self, measure: Measure) -> exp.Expr:
        if not measure.is_derived:
            column = exp.column(measure.name)
            if measure.type in _COUNTS:
                return exp.func("COALESCE", column, exp.Literal.number(0))
            if measure.format == "integer":
                # a sum of integers is a HUGEINT (a decimal in Arrow) on DuckDB: give an integer
                return exp.cast(column, exp.DataType.build("BIGINT"))
            return column
        assert measure.expression is not None

        tree = self._with_final_measures(measure.expression)
        # BigQuery's `/` fails on a zero divisor; both engines give NULL this way
        return _substitute(
            tree, exp.Div, lambda d: exp.SafeDivide(this=d.this, expression=d.expression)
        )

    def _with_final_measures(self, tree: exp.Expr) -> exp.Expr:
        """A copy of `tree` with each measure name replaced by the measure's final expression."""
        return _substitute(
            tree.copy(),
            exp.Column,
            lambda c: _wrap(self._final_measure(self.model.measures[c.name])),
        )

    def _order(
        self, order_by: list[str], fields: list[_Field], measures: list[Measure]
    ) -> list[exp.Ordered]:
        if not order_by:
            return [_ordered(f.name, desc=False) for f in fields]
        outputs: dict[str, str] = {}
        for item in fields:
            outputs[item.text] = outputs[item.name] = item.name
        for measure in measures:
            outputs[measure.name] = measure.name
        ordered = []
        for text in order_by:
            desc = text.startswith("-")
            name = text.lstrip("-+").strip()
            if name not in outputs:
                raise QueryError(
                    f"order by {name!r}: not among the requested measures and dimensions "
                    f"({', '.join(dict.fromkeys(outputs.values()))})"
                )
            ordered.append(_ordered(outputs[name], desc=desc))
        # Ties broken by the dimensions, so a limit cuts the same rows on every run and engine.
        named = {o.this.name for o in ordered}
        ordered += [_ordered(f.name, desc=False) for f in fields if f.name not in named]
        return ordered


def _substitute(tree: exp.Expr, kind: type[exp.Expr], make: Callable[[Any], exp.Expr]) -> exp.Expr:
    """Replace every `kind` node of `tree` (found before any replacement) by `make(node)`."""
    for node in list(tree.find_all(kind)):
        new = make(node)
        if node is tree:
            tree = new
        else:
            node.replace(new)
    return tree


def _wrap(value: exp.Expr) -> exp.Expr:
    """Parenthesise a substituted expression unless it is atomic (a column, call, literal)."""
    if isinstance(value, exp.Column | exp.Func | exp.Paren | exp.Literal):
        return value
    return exp.paren(value)


def _named(value: exp.Expr, name: str) -> exp.Expr:
    if isinstance(value, exp.Column) and value.name == name:
        return value
    return exp.alias_(value, name)


def _ordered(name: str, *, desc: bool) -> exp.Ordered:
    # NULLs last either way, so DuckDB and BigQuery return the same order.
    return exp.Ordered(this=exp.column(name), desc=desc, nulls_first=False)


def _qualified(expression: exp.Expr, view: str) -> exp.Expr:
    tree = expression.copy()
    for column in tree.find_all(exp.Column):
        column.set("table", exp.to_identifier(view))
    return tree


def _aggregate(measure: Measure, condition: exp.Expr | None) -> exp.Expr:
    value = _qualified(measure.expression, measure.view) if measure.expression else None
    if condition is not None:
        value = exp.Case(ifs=[exp.If(this=condition, true=value or exp.Literal.number(1))])
    if measure.type == "count":
        return exp.Count(this=value if value is not None else exp.Star())
    assert value is not None
    if measure.type == "count_distinct":
        return exp.Count(this=exp.Distinct(expressions=[value]))
    functions: dict[str, type[exp.Func]] = {
        "sum": exp.Sum,
        "avg": exp.Avg,
        "min": exp.Min,
        "max": exp.Max,
    }
    return functions[measure.type](this=value)


__all__ = ["TARGETS", "Dimension", "Target", "build_query", "compile_query"]
