"""A filter someone typed, turned into one checked sqlglot expression: the allow-list.

`where` text (from `query --where`, `adventure_elt.query(where=...)` or the dashboard's
`filters` helpers) never reaches a warehouse as text. It is parsed as exactly one condition
(BigQuery syntax), every node of the tree is checked against the short list below, and a new
tree is built from what was checked — names resolved against the semantic model, literals
re-made from their values, comments dropped — which the compiler then writes for DuckDB or
BigQuery. Anything else is a QueryError (exit 2) naming what is not allowed.

Allowed: dimension and measure names; string, number, boolean and NULL literals; `=`, `!=`,
`<>`, `<`, `<=`, `>`, `>=`; `+ - * /`; `AND`, `OR`, `NOT`; `IN (literals)`, `BETWEEN`, `LIKE`,
`IS [NOT] NULL`, `IS [NOT] TRUE/FALSE`; parentheses; `CAST(… AS DATE | TIMESTAMP | DATETIME |
STRING | INT64 | FLOAT64 | BOOL)` and `DATE '…'`, `TIMESTAMP '…'`; the functions `LOWER`,
`UPPER`, `LENGTH`, `TRIM`, `ABS`, `ROUND`, `COALESCE`, `DATE_TRUNC`, `EXTRACT`,
`CURRENT_DATE`, `CURRENT_TIMESTAMP`, and `DATE_SUB` / `TIMESTAMP_SUB(…, INTERVAL n unit)` for
relative windows.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from typing import Any, NoReturn

from sqlglot import TokenType, exp
from sqlglot.dialects import Dialect
from sqlglot.errors import ParseError, SqlglotError, TokenError

from adventure_elt.semantic.errors import QueryError
from adventure_elt.semantic.model import DIALECT, SemanticModel, column_parts, suggest

MAX_TEXT = 10_000  # characters in one filter (the dashboard's longest IN list is ~4,000)
MAX_DEPTH = 40  # nesting of the checked tree
MAX_STRING = 1_000  # characters in one string literal
MAX_NUMBER = 40  # characters in one number literal

ALLOWED = (
    "dimensions and measures, literals, comparisons, + - * /, AND/OR/NOT, IN (literals), "
    "BETWEEN, LIKE, IS [NOT] NULL, CAST and lower, upper, length, trim, abs, round, coalesce, "
    "date_trunc, extract, current_date, current_timestamp, date_sub, timestamp_sub"
)

# parsed type -> its BigQuery name (BigQuery's TIMESTAMP is sqlglot's TIMESTAMPTZ)
_CAST_TYPES = {
    exp.DataType.Type.DATE: "DATE",
    exp.DataType.Type.TIMESTAMP: "DATETIME",
    exp.DataType.Type.TIMESTAMPTZ: "TIMESTAMP",
    exp.DataType.Type.DATETIME: "DATETIME",
    exp.DataType.Type.TEXT: "STRING",
    exp.DataType.Type.BIGINT: "INT64",
    exp.DataType.Type.DOUBLE: "FLOAT64",
    exp.DataType.Type.BOOLEAN: "BOOL",
}
_TRUNC_UNITS = ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR")
_EXTRACT_UNITS = ("DAY", "MONTH", "QUARTER", "YEAR")
_INTERVAL_UNITS: dict[type[exp.Expr], tuple[str, ...]] = {
    exp.DateSub: ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR"),
    exp.TimestampSub: ("SECOND", "MINUTE", "HOUR", "DAY"),
}
_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

# node type -> the argument keys holding its operands (every other argument must be empty)
_OPERATORS: dict[type[exp.Expr], tuple[str, ...]] = {
    **{
        kind: ("this", "expression")
        for kind in (
            exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.And, exp.Or,
            exp.Add, exp.Sub, exp.Mul, exp.Div,
        )
    },
    exp.Not: ("this",),
    exp.Neg: ("this",),
    exp.Paren: ("this",),
    exp.Between: ("this", "low", "high"),
    exp.Lower: ("this",),
    exp.Upper: ("this",),
    exp.Abs: ("this",),
    exp.Trim: ("this",),
    exp.Round: ("this", "decimals"),
    exp.Coalesce: ("this", "expressions"),
    exp.CurrentDate: (),
    exp.CurrentTimestamp: (),
}  # fmt: skip
# flags the parser sets that change nothing in the rebuilt tree, or that it must keep
_IGNORED_FLAGS = {"binary", "typed", "safe"}
_KEPT_FLAGS: dict[type[exp.Expr], tuple[str, ...]] = {exp.Like: ("negate",)}
_STATEMENTS = {
    "ALTER", "ATTACH", "BEGIN", "CALL", "CHECKPOINT", "COMMIT", "COPY", "CREATE", "DECLARE",
    "DELETE", "DESCRIBE", "DETACH", "DROP", "EXECUTE", "EXPLAIN", "EXPORT", "FROM", "GRANT",
    "IMPORT", "INSERT", "INSTALL", "LOAD", "MERGE", "PRAGMA", "PREPARE", "RESET", "REVOKE",
    "ROLLBACK", "SELECT", "SET", "SHOW", "SUMMARIZE", "TRUNCATE", "UPDATE", "USE", "VACUUM",
    "VALUES", "WITH",
}  # fmt: skip


def parse_condition(text: str, model: SemanticModel) -> exp.Expr:
    """One user filter as a new, checked expression tree over dimension and measure names.

    Args:
        text: a condition in BigQuery syntax, e.g. `"country IN ('Canada', 'France')"`.
        model: the semantic model whose dimensions and measures the names must be.

    Returns:
        A tree built only from allowed nodes (names as `exp.Column`, literals re-made).

    Raises:
        QueryError: several statements, a parse error, or anything not on the allow-list.

    >>> from adventure_elt.semantic.model import load_model
    >>> parse_condition("country = 'Canada' -- a note", load_model()).sql("bigquery")
    "country = 'Canada'"
    >>> parse_condition("revenue > 0; copy marts.fct_sales to 'out.csv'", load_model())
    Traceback (most recent call last):
    ...
    adventure_elt.semantic.errors.QueryError: filter not allowed: several statements (;) in ...
    """
    shown = _shown(text)
    if len(text) > MAX_TEXT:
        _refuse(f"a filter longer than {MAX_TEXT:,} characters", shown)
    odd = next((c for c in text if _is_control(c)), None)
    if odd is not None:
        _refuse(f"the control character U+{ord(odd):04X}", shown)
    tree = _parse(text, shown)
    return _Checker(model, shown).check(tree, depth=0)


def _parse(text: str, shown: str) -> exp.Expr:
    """Exactly one condition: no `;`, no statement, nothing left over."""
    try:
        tokens = Dialect.get_or_raise(DIALECT).tokenize(text)
    except TokenError:
        raise QueryError(
            f"where {shown!r}: cannot read it: a quote or comment is not closed"
        ) from None
    if any(t.token_type == TokenType.SEMICOLON for t in tokens):
        _refuse("several statements (;)", shown)
    if tokens and tokens[0].text.upper() in _STATEMENTS:
        _refuse(f"the statement {tokens[0].text.upper()}", shown)
    try:
        tree = Dialect.get_or_raise(DIALECT).parser().parse_into(exp.Condition, tokens, text)[0]
    except ParseError as exc:
        detail = exc.errors[0] if exc.errors else {}
        near = str(detail.get("highlight", "")).strip()
        at = f" near {near!r}" if near else ""
        raise QueryError(
            f"where {shown!r}: cannot parse it as one condition{at}; "
            "write e.g. \"order_date >= '2013-01-01'\""
        ) from None
    except RecursionError:
        _refuse(f"a condition nested more than {MAX_DEPTH} levels deep", shown)
    except SqlglotError:
        raise QueryError(f"where {shown!r}: cannot parse it as one condition") from None
    if not isinstance(tree, exp.Expr):
        raise QueryError(f"where {shown!r}: holds no condition; write e.g. \"country = 'Canada'\"")
    return tree


class _Checker:
    """Walks a parsed condition and builds its checked copy, node by node."""

    def __init__(self, model: SemanticModel, shown: str) -> None:
        self.model = model
        self.shown = shown
        self.special: dict[type[exp.Expr], Callable[[Any, int], exp.Expr]] = {
            exp.Column: self._column,
            exp.Literal: self._literal,
            exp.Boolean: lambda node, _: exp.Boolean(this=bool(node.this)),
            exp.Null: lambda _node, _depth: exp.null(),
            exp.Cast: self._cast,
            exp.In: self._in,
            exp.Is: self._is,
            exp.Like: self._like,
            exp.Length: lambda node, depth: exp.Length(this=self._operand(node, "this", depth)),
            exp.DateTrunc: self._date_trunc,
            exp.Extract: self._extract,
            exp.DateSub: self._minus_interval,
            exp.TimestampSub: self._minus_interval,
        }

    def check(self, node: exp.Expr, depth: int) -> exp.Expr:
        if depth > MAX_DEPTH:
            _refuse(f"a condition nested more than {MAX_DEPTH} levels deep", self.shown)
        kind = type(node)
        if kind in self.special:
            return self.special[kind](node, depth)
        if kind not in _OPERATORS:
            _refuse(_describe(node), self.shown)
        operands = _OPERATORS[kind]
        self._only(node, operands)
        made = kind()
        for key in operands:
            value = node.args.get(key)
            if isinstance(value, list):
                made.set(key, [self.check(item, depth + 1) for item in value])
            elif value is not None:
                made.set(key, self.check(value, depth + 1))
        return made

    # --- the nodes that need more than their operands checked

    def _column(self, node: exp.Column, _depth: int) -> exp.Expr:
        if not isinstance(node.this, exp.Identifier):
            _refuse(_describe(node.this), self.shown)
        parts = column_parts(node)
        name = ".".join(parts)
        if not all(p.isidentifier() for p in parts) or not self._known(parts):
            known = {*self.model.measures, *(d.name for d in self.model.dimensions())}
            qualified = parts[0] in self.model.views and len(parts) > 1
            close = suggest(parts[1] if qualified else parts[0], known)
            hint = close if close.startswith("did you") else "see 'adventure-elt query --list'"
            raise QueryError(f"where {self.shown!r}: unknown dimension or measure {name!r}; {hint}")
        return exp.column(*reversed(parts))

    def _known(self, parts: list[str]) -> bool:
        """A measure, or `[view.]dimension[.grain]` naming a dimension the model has."""
        if len(parts) == 1 and parts[0] in self.model.measures:
            return True
        views = self.model.views
        if parts[0] in views and len(parts) >= 2:
            return parts[1] in views[parts[0]].dimensions and len(parts) <= 3
        return len(parts) <= 2 and any(parts[0] in v.dimensions for v in views.values())

    def _literal(self, node: exp.Literal, _depth: int) -> exp.Expr:
        text = str(node.this)
        if node.is_string:
            if len(text) > MAX_STRING:
                _refuse(f"a string longer than {MAX_STRING:,} characters", self.shown)
            return exp.Literal.string(text)
        if not _NUMBER.fullmatch(text) or len(text) > MAX_NUMBER or math.isinf(float(text)):
            _refuse(f"the number {text[:20]}{'…' if len(text) > 20 else ''}", self.shown)
        return exp.Literal.number(text)

    def _cast(self, node: exp.Cast, depth: int) -> exp.Expr:
        self._only(node, ("this", "to"))
        to = node.args["to"]
        if to.this not in _CAST_TYPES or to.expressions or to.args.get("values"):
            _refuse(f"CAST to {to.sql(DIALECT)}", self.shown)
        target = exp.DataType.build(_CAST_TYPES[to.this], dialect=DIALECT)
        return exp.cast(self._operand(node, "this", depth), target)

    def _in(self, node: exp.In, depth: int) -> exp.Expr:
        self._only(node, ("this", "expressions"))
        values = [self.check(v, depth + 1) for v in node.expressions]
        if any(v.find(exp.Column) for v in values):
            _refuse("a name inside IN (…): list literal values", self.shown)
        return exp.In(this=self._operand(node, "this", depth), expressions=values)

    def _is(self, node: exp.Is, depth: int) -> exp.Expr:
        self._only(node, ("this", "expression"))
        if not isinstance(node.expression, exp.Null | exp.Boolean):
            _refuse(f"IS {node.expression.sql(DIALECT)[:20]}", self.shown)
        return exp.Is(
            this=self._operand(node, "this", depth), expression=self.check(node.expression, depth)
        )

    def _like(self, node: exp.Like, depth: int) -> exp.Expr:
        self._only(node, ("this", "expression"))
        made = exp.Like(
            this=self._operand(node, "this", depth),
            expression=self._operand(node, "expression", depth),
        )
        if node.args.get("negate"):
            return exp.Not(this=made)
        return made

    def _date_trunc(self, node: exp.DateTrunc, depth: int) -> exp.Expr:
        self._only(node, ("this", "unit"))
        unit = node.args.get("unit")
        name = unit.name.upper() if isinstance(unit, exp.Literal | exp.Var) else ""
        if name not in _TRUNC_UNITS:
            _refuse(f"DATE_TRUNC to {name or 'that unit'}", self.shown)
        operand = self._operand(node, "this", depth)
        truncated: exp.Expr = exp.DateTrunc(  # type: ignore[no-untyped-call]
            this=operand, unit=exp.Literal.string(name)
        )
        return truncated

    def _extract(self, node: exp.Extract, depth: int) -> exp.Expr:
        self._only(node, ("this", "expression"))
        name = node.this.name.upper() if isinstance(node.this, exp.Var) else ""
        if name not in _EXTRACT_UNITS:
            _refuse(f"EXTRACT of {name or 'that part'}", self.shown)
        return exp.Extract(this=exp.var(name), expression=self._operand(node, "expression", depth))

    def _minus_interval(self, node: exp.DateSub | exp.TimestampSub, depth: int) -> exp.Expr:
        self._only(node, ("this", "expression", "unit"))
        kind = type(node)
        amount = node.expression
        unit = node.args.get("unit")
        name = unit.name.upper() if isinstance(unit, exp.Var | exp.Literal) else ""
        if not isinstance(amount, exp.Literal) or not re.fullmatch(r"[0-9]{1,6}", str(amount.this)):
            _refuse(f"{node.sql_name()} by anything but a whole number below a million", self.shown)
        if name not in _INTERVAL_UNITS[kind]:
            _refuse(f"{node.sql_name()} by INTERVAL … {name or 'that unit'}", self.shown)
        return kind(
            this=self._operand(node, "this", depth),
            expression=exp.Literal.string(str(int(amount.this))),
            unit=exp.var(name),
        )

    # --- helpers

    def _operand(self, node: exp.Expr, key: str, depth: int) -> exp.Expr:
        value = node.args.get(key)
        if not isinstance(value, exp.Expr):
            _refuse(f"{type(node).__name__.upper()} without its operand", self.shown)
        return self.check(value, depth + 1)

    def _only(self, node: exp.Expr, operands: tuple[str, ...]) -> None:
        """Refuse a node carrying anything besides its operands (a subquery in IN, ESCAPE …)."""
        kept = _KEPT_FLAGS.get(type(node), ())
        for key, value in node.args.items():
            if key in operands or key in kept or value is None or value == []:
                continue
            if key in _IGNORED_FLAGS and isinstance(value, bool):
                continue
            specific = isinstance(value, exp.Query | exp.Subquery | exp.Func)
            _refuse(_describe(value) if specific else key.upper(), self.shown)


def _describe(node: exp.Expr) -> str:
    """What a refused node is, in the user's words."""
    if isinstance(node, exp.Query | exp.Subquery | exp.Exists):
        return "a subquery"
    if isinstance(node, exp.Star):
        return "*"
    if isinstance(node, exp.Placeholder | exp.Parameter | exp.SessionParameter):
        return "a parameter"
    if isinstance(node, exp.Window):
        return "a window function"
    if isinstance(node, exp.AggFunc):
        return f"the aggregate {node.sql_name()}() (filter on a measure instead)"
    if isinstance(node, exp.Anonymous):
        return f"the function {node.name.upper()}()"
    if isinstance(node, exp.Func):
        return f"the function {node.sql_name()}()"
    return type(node).__name__.upper()


def _shown(text: str) -> str:
    """The filter as it is quoted in a message: one line, at most 80 characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= 80 else flat[:79] + "…"


def _is_control(char: str) -> bool:
    return char not in "\t\n\r" and unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn")


def _refuse(what: str, shown: str) -> NoReturn:
    raise QueryError(f"filter not allowed: {what} in {shown!r}; filters may use {ALLOWED}")
