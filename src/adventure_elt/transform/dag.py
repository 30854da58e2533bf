"""The dependency graph of a project: build order, cycles, and dbt-like selection.

Selection syntax (dbt's): `name` (just that node), `name+` (it and its descendants), `+name` (it
and its ancestors), `+name+` (both); several selectors separated by commas or spaces form a union.
A name is a model or seed name (`fct_sales`) or `layer.name`.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Sequence
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from itertools import pairwise
from typing import TYPE_CHECKING

from adventure_elt.errors import ModelError
from adventure_elt.transform.references import node_line, table_references

if TYPE_CHECKING:
    from adventure_elt.transform.project import Project

_LAYER_ORDER = {"seeds": 0, "staging": 1, "marts": 2, "reports": 3}


@dataclass
class Dag:
    """Nodes (`layer.name`) and, for each, the nodes it reads."""

    upstream: dict[str, tuple[str, ...]]

    def order(self, nodes: set[str] | None = None) -> list[str]:
        """Nodes in build order (upstream first), layer by layer where the graph allows it.

        Among the nodes whose upstreams are built, the next is the first by (layer, name):
        seeds, then staging, marts, reports — so logs read top-down and runs are repeatable.
        """
        waiting = {n: set(deps) for n, deps in self.upstream.items()}
        down = self.downstream()
        ready = [(_sort_key(n), n) for n, deps in waiting.items() if not deps]
        heapq.heapify(ready)
        ordered: list[str] = []
        while ready:
            _, node = heapq.heappop(ready)
            ordered.append(node)
            for child in down.get(node, set()):
                waiting[child].discard(node)
                if not waiting[child]:
                    heapq.heappush(ready, (_sort_key(child), child))
        return [n for n in ordered if nodes is None or n in nodes]

    def downstream(self) -> dict[str, set[str]]:
        """For each node, the nodes that read it."""
        down: dict[str, set[str]] = {n: set() for n in self.upstream}
        for node, deps in self.upstream.items():
            for dep in deps:
                down.setdefault(dep, set()).add(node)
        return down

    def ancestors(self, node: str) -> set[str]:
        """Every node `node` depends on, directly or not."""
        return _reach(node, {k: set(v) for k, v in self.upstream.items()})

    def descendants(self, node: str) -> set[str]:
        """Every node that depends on `node`, directly or not."""
        return _reach(node, self.downstream())


def _sort_key(key: str) -> tuple[int, str]:
    return (_LAYER_ORDER.get(key.split(".", 1)[0], 9), key)


def _reach(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in edges.get(todo.pop(), set()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def build_dag(project: Project) -> Dag:
    """The project's DAG; ModelError naming the files of a cycle if there is one."""
    dag = Dag(upstream={key: node.depends_on for key, node in project.nodes.items()})
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for node, deps in dag.upstream.items():
        sorter.add(node, *deps)
    try:
        sorter.prepare()
    except CycleError as exc:
        # graphlib lists the cycle in data-flow order (each node feeds the next), closed
        chain: list[str] = list(exc.args[1])
        reads = "; ".join(_reads(project, key, dep) for dep, key in pairwise(chain))
        raise ModelError(
            f"dependency cycle: {reads}; break the loop in one of these files"
        ) from None
    return dag


def _reads(project: Project, key: str, upstream: str) -> str:
    """`sql/marts/b.sql:3 reads marts.a`: where `key`'s model reads `upstream`."""
    node = project.nodes[key]
    lines = [node_line(t) for t in table_references(node.ast) if f"{t.db}.{t.name}" == upstream]
    return f"{project.display_path(node)}:{min(lines, default=1)} reads {upstream}"


_SELECTOR = re.compile(r"^(?P<up>\+?)(?P<name>[A-Za-z_][\w.]*?)(?P<down>\+?)$")


def select(project: Project, dag: Dag, selection: str | Sequence[str] | None) -> list[str]:
    """The selected nodes in build order.

    Args:
        project: the project (to resolve names).
        dag: its DAG.
        selection: None = everything; else selectors like `fct_sales+,+rpt_geography`.

    Returns:
        `layer.name` keys in build order; ModelError for an unknown name or bad selector.
    """
    if selection is None:
        return dag.order()
    parts = [selection] if isinstance(selection, str) else list(selection)
    tokens = [t for p in parts for t in re.split(r"[,\s]+", p) if t]
    if not tokens:  # `--select "$MODELS"` with the variable unset must not mean every model
        raise ModelError("--select names no model; e.g. fct_sales or fct_sales+ (omit it for all)")
    chosen: set[str] = set()
    for token in tokens:
        match = _SELECTOR.match(token)
        if match is None:
            raise ModelError(
                f"bad selector {token!r}; use name, name+, +name or +name+ (comma-separated)"
            )
        key = project.resolve(match["name"]).key
        chosen.add(key)
        if match["up"]:
            chosen |= dag.ancestors(key)
        if match["down"]:
            chosen |= dag.descendants(key)
    return dag.order(chosen)
