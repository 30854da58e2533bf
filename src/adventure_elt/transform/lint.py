"""Portability lint: reject BigQuery constructs that sqlglot transpiles to different DuckDB results.

Models run unchanged on BigQuery and transpiled on DuckDB, so a construct whose DuckDB translation
gives other values (or other types) makes local tests lie about production. Each rule below was
checked with sqlglot 30.30 transpiling to DuckDB 2.0 and compared with BigQuery's documented
semantics (see tests/unit/test_transform_lint.py):

- `numeric`: BIGNUMERIC becomes DuckDB DECIMAL(38,5) and silently rounds (DuckDB holds at most 38
  digits; BigQuery's BIGNUMERIC has 76). Plain NUMERIC is fine: `compile` writes it as
  DECIMAL(38, 9), which is BigQuery's NUMERIC (sqlglot alone would write DuckDB's DECIMAL(18,3)).
- `parameterized_type`: BigQuery allows precision, scale and length parameters (`NUMERIC(38, 9)`,
  `STRING(10)`) only on columns and script variables, so `cast(x as numeric(38, 9))` fails there
  while DuckDB and the emulator accept it. A model has no column definitions: no parameters at all.
  https://cloud.google.com/bigquery/docs/reference/standard-sql/data-types#parameterized_data_types
- `format`: FORMAT('%d', x) is passed through, but DuckDB's FORMAT uses `{}` placeholders and
  returns the pattern text.
- `dayofweek`: EXTRACT(DAYOFWEEK) is 1 = Sunday on BigQuery, 0 = Sunday on DuckDB.
- `week_number`: EXTRACT(WEEK) counts Sunday-based weeks from 0 on BigQuery but is the ISO week on
  DuckDB; EXTRACT(WEEK(<day>)) loses its day; EXTRACT(ISOWEEK) fails on DuckDB.
- `week_start`: week truncation (DATE_TRUNC(d, WEEK…) / ISOWEEK, any WEEK(<day>) unit) is rewritten
  with day shifts whose result type (TIMESTAMP vs DATE) and first day depend on the sqlglot version.
- `farm_fingerprint`, `ieee_divide`: no DuckDB equivalent; the query fails only at run time.
- `date_type`: DATE_TRUNC / DATE_ADD / DATE_SUB return DATE on BigQuery but TIMESTAMP on DuckDB;
  as an output column that changes the table's type and every value printed from it.
- `substr_zero`: SUBSTR(s, 0, n) is treated as position 1 on BigQuery, returns n-1 chars on DuckDB.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlglot import exp

from adventure_elt.errors import ModelError
from adventure_elt.transform.project import Node, Project
from adventure_elt.transform.references import node_line


class PortabilityError(ModelError):
    """A model uses a construct that does not give the same result on BigQuery and DuckDB."""


@dataclass(frozen=True)
class LintIssue:
    """One rejected construct, with where it is and what to write instead."""

    path: str
    line: int
    rule: str
    problem: str
    portable: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.problem} [{self.rule}]; use {self.portable}"


def _unit(node: exp.Expr) -> str:
    unit = node.args.get("unit")
    if isinstance(unit, exp.WeekStart):
        return f"WEEK({unit.name.upper()})"
    return unit.name.upper() if isinstance(unit, exp.Expr) else ""


def _extract_part(node: exp.Extract) -> str:
    part = node.this
    if isinstance(part, exp.WeekStart):
        return f"WEEK({part.name.upper()})"
    return part.name.upper() if isinstance(part, exp.Expr) else ""


def _is_output_column(node: exp.Expr) -> bool:
    """True when `node` is (in parentheses or aliased) one of a SELECT's output columns."""
    child: exp.Expr = node
    parent = node.parent
    while isinstance(parent, exp.Paren | exp.Alias):
        child, parent = parent, parent.parent
    return isinstance(parent, exp.Select) and child in parent.expressions


def _check(node: exp.Expr) -> tuple[str, str, str] | None:
    """(rule, problem, portable form) if `node` is on the deny-list."""
    if isinstance(node, exp.DataType) and any(
        isinstance(e, exp.DataTypeParam) for e in node.expressions
    ):
        return (
            "parameterized_type",
            f"BigQuery refuses a parameterized type ({node.sql(dialect='bigquery')}) outside a "
            "column definition, e.g. in CAST",
            "the plain type: numeric (38 digits, 9 decimals on both engines), string, bytes",
        )
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.BIGDECIMAL:
        return (
            "numeric",
            "BIGNUMERIC becomes DuckDB DECIMAL(38,5) and loses decimals",
            "numeric (38 digits, 9 decimals on both engines)",
        )
    if isinstance(node, exp.Format):
        return (
            "format",
            "FORMAT() uses printf patterns on BigQuery but {} placeholders on DuckDB",
            "concat(...) with cast(x as string), lpad(), or format_date()/format_timestamp()",
        )
    if isinstance(node, exp.Extract):
        part = _extract_part(node)
        if part == "DAYOFWEEK":
            return (
                "dayofweek",
                "EXTRACT(DAYOFWEEK) is 1=Sunday on BigQuery but 0=Sunday on DuckDB",
                "cast(format_date('%w', d) as int64) + 1 (BigQuery numbering) "
                "or cast(format_date('%u', d) as int64) (ISO: 1=Monday)",
            )
        if part == "ISOWEEK" or part.startswith("WEEK"):
            return (
                "week_number",
                f"EXTRACT({part}) numbers weeks differently on DuckDB (or fails)",
                "cast(format_date('%V', d) as int64) (ISO week) "
                "or cast(format_date('%U', d) as int64) (Sunday weeks from 0)",
            )
    if isinstance(node, exp.DateTrunc | exp.TimestampTrunc | exp.DatetimeTrunc):
        unit = _unit(node)
        if unit.startswith("WEEK") or unit == "ISOWEEK":
            return (
                "week_start",
                f"truncation to {unit} is rewritten with day shifts whose first day and type "
                "differ between sqlglot versions",
                "date(date_sub(d, interval cast(format_date('%u', d) as int64) - 1 day)) "
                "(Monday-based week start)",
            )
    trunc_or_extract = exp.DateTrunc | exp.TimestampTrunc | exp.DatetimeTrunc | exp.Extract
    if (
        isinstance(node, exp.WeekStart)
        and node.name.upper() != "SUNDAY"  # plain WEEK: sqlglot shifts by a day, correctly
        and not isinstance(node.parent, trunc_or_extract)
    ):
        return (
            "week_start",
            f"WEEK({node.name.upper()}) loses its first day of the week on DuckDB",
            "explicit arithmetic on cast(format_date('%u', d) as int64)",
        )
    if isinstance(node, exp.FarmFingerprint):
        return (
            "farm_fingerprint",
            "FARM_FINGERPRINT() does not exist on DuckDB",
            "to_hex(md5(cast(x as string))) (same hex string on both engines)",
        )
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "ieee_divide":
        return (
            "ieee_divide",
            "IEEE_DIVIDE() does not exist on DuckDB",
            "safe_divide(x, y) (NULL on division by zero on both engines)",
        )
    if isinstance(node, exp.DateTrunc | exp.DateAdd | exp.DateSub) and _is_output_column(node):
        name = node.meta.get("bigquery_name") or node.key
        return (
            "date_type",
            f"{str(name).upper()}() returns DATE on BigQuery but TIMESTAMP on DuckDB",
            f"date({str(name).lower()}(...)) to keep the column a DATE",
        )
    if isinstance(node, exp.Substring):
        start = node.args.get("start")
        if isinstance(start, exp.Literal) and start.this == "0":
            return (
                "substr_zero",
                "SUBSTR(s, 0, n) is position 1 on BigQuery but returns n-1 characters on DuckDB",
                "substr(s, 1, n)",
            )
    return None


def lint_sql(ast: exp.Expr, path: str) -> list[LintIssue]:
    """Every deny-listed construct in one parsed statement, in source order."""
    issues = []
    for node in ast.walk():
        found = _check(node)
        if found is not None:
            rule, problem, portable = found
            issues.append(LintIssue(path, node_line(node), rule, problem, portable))
    return sorted(issues, key=lambda i: i.line)


def lint_node(project: Project, node: Node) -> list[LintIssue]:
    """Lint one model (seeds are generated SQL and always portable)."""
    if node.is_seed:
        return []
    return lint_sql(node.ast, project.display_path(node))


def check_portability(project: Project, keys: Iterable[str] | None = None) -> None:
    """Raise PortabilityError listing every issue (one line each) in the given models."""
    chosen = project.nodes.values() if keys is None else [project.nodes[k] for k in keys]
    issues = [issue for node in chosen for issue in lint_node(project, node)]
    if issues:
        raise PortabilityError("\n".join(str(i) for i in issues))
