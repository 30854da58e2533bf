"""Lineage graphs drawn as inline SVG: nodes in columns by rank, data flowing left to right.

Pure layout, no JavaScript and no library: a rank per node (its distance along the longest path,
so every edge points right), an order inside each rank that follows the neighbours' (a few
barycentre sweeps cut most crossings), then boxes and curved edges. Every node is a link.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from adventure_elt.docs_site.markup import Html, join, tag

# monospace text: a character is about 0.6 em wide
_CHAR_WIDTH = {"label": 7.3, "title": 6.1}
_PADDING = 10
_GAP_X = 56
_GAP_Y = 10
_HEIGHT = {True: 36, False: 24}  # with / without a title line
_SWEEPS = 4


@dataclass(frozen=True)
class GraphNode:
    """One box: `label` in bold, an optional smaller `title` above it, a link and CSS classes."""

    id: str
    label: str
    href: str
    title: str = ""
    classes: str = ""
    tooltip: str = ""

    @property
    def width(self) -> float:
        """Box width fitting the longer of its two lines."""
        chars = max(len(self.label) * _CHAR_WIDTH["label"], len(self.title) * _CHAR_WIDTH["title"])
        return round(chars + 2 * _PADDING, 1)

    @property
    def height(self) -> int:
        """Box height: one or two lines."""
        return _HEIGHT[bool(self.title)]


def depth_ranks(upstream: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Every node's longest distance from a node that reads nothing (those are rank 0).

    Args:
        upstream: node -> the nodes it reads (nodes only named there count as roots).

    >>> depth_ranks({"c": ["a", "b"], "b": ["a"]})
    {'c': 2, 'b': 1, 'a': 0}
    """

    @cache
    def rank(node: str) -> int:
        return max((rank(parent) + 1 for parent in upstream.get(node, ())), default=0)

    names = dict.fromkeys([*upstream, *(p for parents in upstream.values() for p in parents)])
    return {node: rank(node) for node in names}


def focus_ranks(focus: str, upstream: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """The focus node (rank 0), everything it reads (negative ranks) and everything that reads
    it (positive ranks), each as far from the focus as its longest path.

    Args:
        focus: the node the graph is about.
        upstream: node -> the nodes it reads, for the whole graph.

    >>> focus_ranks("b", {"b": ["a"], "c": ["b", "a"], "d": ["c"], "x": ["a"]})
    {'b': 0, 'a': -1, 'c': 1, 'd': 2}
    """
    downstream: dict[str, list[str]] = {}
    for node, parents in upstream.items():
        for parent in parents:
            downstream.setdefault(parent, []).append(node)

    @cache
    def up(node: str) -> int:  # longest path from `node` down to the focus, negated
        if node == focus:
            return 0
        return min(up(child) - 1 for child in downstream.get(node, ()) if child in ancestors)

    @cache
    def down(node: str) -> int:
        if node == focus:
            return 0
        return max(down(parent) + 1 for parent in upstream.get(node, ()) if parent in descendants)

    ancestors = _reach(focus, upstream) | {focus}
    descendants = _reach(focus, downstream) | {focus}
    ranks = {focus: 0}
    ranks.update({node: up(node) for node in sorted(ancestors - {focus})})
    ranks.update({node: down(node) for node in sorted(descendants - {focus})})
    return ranks


def _reach(start: str, edges: Mapping[str, Sequence[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def draw(
    nodes: Iterable[GraphNode],
    ranks: Mapping[str, int],
    edges: Iterable[tuple[str, str]],
    *,
    label: str,
) -> Html:
    """The graph as an `<svg>` element.

    Args:
        nodes: the boxes; those without a rank are left out.
        ranks: node id -> column (any integers; ordered left to right).
        edges: (upstream id, downstream id) pairs; those with an end left out are dropped.
        label: what the graph shows, for screen readers.

    Returns:
        Html of one `<svg>`; an edge is a `<path data-from=… data-to=…>`, a node an `<a>` with
        `data-node`.
    """
    boxes = {node.id: node for node in nodes if node.id in ranks}
    links = sorted({(a, b) for a, b in edges if a in boxes and b in boxes})
    columns = _order(boxes, ranks, links)
    place: dict[str, tuple[float, float]] = {}  # node id -> (left x, top y)
    x = 1.0
    heights = [sum(boxes[n].height + _GAP_Y for n in column) - _GAP_Y for column in columns]
    total_height = max(heights, default=0)
    for column, height in zip(columns, heights, strict=True):
        y = (total_height - height) / 2 + 1
        for node_id in column:
            place[node_id] = (x, y)
            y += boxes[node_id].height + _GAP_Y
        x += max(boxes[n].width for n in column) + _GAP_X
    width = max(x - _GAP_X + 1, 1)
    paths = [_edge(boxes[a], place[a], boxes[b], place[b]) for a, b in links]
    shapes = [_box(boxes[n], *place[n]) for column in columns for n in column]
    return tag(
        "svg",
        tag("title", label),
        tag("g", join(paths), class_="edges"),
        tag("g", join(shapes), class_="nodes"),
        xmlns="http://www.w3.org/2000/svg",
        width=f"{width:.0f}",
        height=f"{total_height + 2:.0f}",
        viewBox=f"0 0 {width:.0f} {total_height + 2:.0f}",
        role="img",
        aria_label=label,
        class_="graph",
    )


def _order(
    boxes: Mapping[str, GraphNode], ranks: Mapping[str, int], links: Sequence[tuple[str, str]]
) -> list[list[str]]:
    """Node ids per rank, left to right; inside a rank in an order that follows the neighbours'.

    Starts sorted by (classes, label) and sweeps right then left, moving each node to the mean
    position of its neighbours in the ranks already placed (barycentre heuristic).
    """
    levels = sorted({ranks[n] for n in boxes})
    columns = [
        sorted((n for n in boxes if ranks[n] == level), key=lambda n: (boxes[n].classes, n))
        for level in levels
    ]
    up: dict[str, list[str]] = {}
    down: dict[str, list[str]] = {}
    for a, b in links:
        down.setdefault(a, []).append(b)
        up.setdefault(b, []).append(a)
    for sweep in range(_SWEEPS):
        forward = sweep % 2 == 0
        neighbours = up if forward else down
        order = range(1, len(columns)) if forward else range(len(columns) - 2, -1, -1)
        for i in order:
            # positions as fractions of their column, so long and short columns line up
            position = {n: p / len(c) for c in columns for p, n in enumerate(c)}
            keyed = []
            for own, node in enumerate(columns[i]):
                found = [position[n] for n in neighbours.get(node, ())]
                centre = sum(found) / len(found) if found else position[node]
                keyed.append((centre, own, node))
            columns[i] = [node for _, _, node in sorted(keyed)]
    return columns


def _edge(a: GraphNode, at_a: tuple[float, float], b: GraphNode, at_b: tuple[float, float]) -> Html:
    x1, y1 = at_a[0] + a.width, at_a[1] + a.height / 2
    x2, y2 = at_b[0], at_b[1] + b.height / 2
    bend = max((x2 - x1) / 2, 20)
    shape = (
        f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    )
    return tag("path", d=shape, data_from=a.id, data_to=b.id)


def _box(node: GraphNode, x: float, y: float) -> Html:
    lines = []
    baseline = y + 16
    if node.title:
        lines.append(
            tag("text", node.title, x=f"{x + _PADDING:.1f}", y=f"{y + 14:.1f}", class_="t")
        )
        baseline = y + 29
    lines.append(tag("text", node.label, x=f"{x + _PADDING:.1f}", y=f"{baseline:.1f}"))
    return tag(
        "a",
        tag("title", node.tooltip or node.id),
        tag(
            "rect",
            x=f"{x:.1f}",
            y=f"{y:.1f}",
            width=f"{node.width:.1f}",
            height=str(node.height),
            rx="4",
        ),
        join(lines),
        href=node.href or None,
        class_=" ".join(["node", node.classes]).strip(),
        data_node=node.id,
    )
