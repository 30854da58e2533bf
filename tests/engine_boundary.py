"""Measure the engine boundary of `src/adventure_elt` from its syntax trees (a lint).

Three findings, each a list of `path:line  code` strings so a failure names the place:

- `engine_branches`: code outside `warehouse/` that asks which engine it has — an `isinstance`
  on an adapter class, a comparison of `….warehouse` / `….kind` with an engine name, or a
  reference to a concrete adapter class (`DuckDBWarehouse`, `BigQueryWarehouse`);
- `client_reaches`: code outside `warehouse/` reaching into an adapter's `.connection` or
  `.client`;
- `import_cycles`: groups of modules importing each other, lazy (function-level) imports
  included, `if TYPE_CHECKING:` imports not (they never run).

Run it as a script to print the figures: `python tests/engine_boundary.py`.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "adventure_elt"
ADAPTERS = PACKAGE / "warehouse"
ADAPTER_CLASSES = frozenset({"DuckDBWarehouse", "BigQueryWarehouse"})
ENGINE_NAMES = frozenset({"duckdb", "bigquery"})
ENGINE_ATTRIBUTES = frozenset({"warehouse", "kind"})
CLIENT_ATTRIBUTES = frozenset({"connection", "client"})


def modules() -> Iterator[tuple[str, Path, ast.Module]]:
    """Every module of the package: dotted name, path, syntax tree."""
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _where(path: Path, node: ast.AST) -> str:
    line = getattr(node, "lineno", 0)
    return f"{path.relative_to(PACKAGE.parent)}:{line}  {ast.unparse(node)[:90]}"


def _outside_adapters() -> Iterator[tuple[Path, ast.Module]]:
    for _, path, tree in modules():
        if ADAPTERS not in path.parents:
            yield path, tree


def _is_engine_name(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return node.value in ENGINE_NAMES
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_is_engine_name(e) for e in node.elts)
    return False


def engine_branches() -> list[str]:
    """Places outside `warehouse/` that tell the engines apart."""
    found = []
    for path, tree in _outside_adapters():
        for node in ast.walk(tree):
            if isinstance(node, ast.Name | ast.alias):
                name = node.id if isinstance(node, ast.Name) else node.name
                if name in ADAPTER_CLASSES:
                    found.append(
                        _where(path, node)
                        if isinstance(node, ast.Name)
                        else f"{path.relative_to(PACKAGE.parent)}:{node.lineno}  import {name}"
                    )
            elif isinstance(node, ast.Attribute) and node.attr in ADAPTER_CLASSES:
                found.append(_where(path, node))
            elif isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
                asks = any(
                    isinstance(o, ast.Attribute) and o.attr in ENGINE_ATTRIBUTES for o in operands
                )
                if asks and any(_is_engine_name(o) for o in operands):
                    found.append(_where(path, node))
    return found


def client_reaches() -> list[str]:
    """Places outside `warehouse/` using an engine's connection or client directly."""
    found = []
    for path, tree in _outside_adapters():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and node.attr in CLIENT_ATTRIBUTES):
                continue
            # `psycopg2.extensions.connection` is a PostgreSQL type, not an engine's handle
            if isinstance(node.value, ast.Attribute) and node.value.attr == "extensions":
                continue
            found.append(_where(path, node))
    return found


def _type_checking_only(tree: ast.Module) -> set[int]:
    """ids of the import nodes under `if TYPE_CHECKING:`."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skipped.update(id(n) for n in ast.walk(child))
    return skipped


def import_graph() -> dict[str, set[str]]:
    """Module → the package's modules it imports (at any level, lazily or not)."""
    trees = {name: (path, tree) for name, path, tree in modules()}
    graph: dict[str, set[str]] = {name: set() for name in trees}
    for name, (path, tree) in trees.items():
        skipped = _type_checking_only(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in trees else base)
            graph[name].update(t for t in targets if t in trees and t != name)
    return graph


def import_cycles() -> list[str]:
    """Each group of mutually importing modules (a strongly connected component), sorted."""
    graph = import_graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[str] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(" <-> ".join(sorted(group)))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def quoting_functions() -> list[str]:
    """Functions anywhere in the package whose job is to quote an identifier."""
    found = []
    for _, path, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and ("quote" in node.name or node.name == "_q"):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}  {node.name}")
    return found


if __name__ == "__main__":
    for title, finding in (
        ("engine branches outside warehouse/", engine_branches),
        ("direct .connection/.client uses outside warehouse/", client_reaches),
        ("import cycles", import_cycles),
        ("identifier-quoting functions", quoting_functions),
    ):
        lines = finding()
        print(f"{title}: {len(lines)}")
        for line in lines:
            print(f"    {line}")
