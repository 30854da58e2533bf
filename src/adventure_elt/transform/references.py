"""Where a parsed model reads its tables, and on which line: helpers shared by the project
loader and the DAG (kept apart so neither imports the other back)."""

from __future__ import annotations

from sqlglot import exp


def node_line(node: exp.Expr) -> int:
    """The 1-based source line of an expression: its own token, else the first token inside it
    (or inside its nearest parent that has one: a type in a cast has no token of its own)."""
    current: exp.Expr | None = node
    while current is not None:
        for candidate in current.walk():
            line = candidate.meta.get("line")
            if isinstance(line, int):
                return line
        current = current.parent
    return 1


def table_references(ast: exp.Expr) -> list[exp.Table]:
    """Physical tables an expression reads: `<layer>.<name>` references that are not CTEs."""
    cte_names = {cte.alias_or_name for cte in ast.find_all(exp.CTE)}
    tables = []
    for table in ast.find_all(exp.Table):
        if not table.name or isinstance(table.this, exp.Func | exp.Unnest):
            continue
        if not table.db and table.name in cte_names:
            continue
        tables.append(table)
    return tables
