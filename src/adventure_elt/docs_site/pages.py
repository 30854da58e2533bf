"""The docs site's pages, rendered from `SiteFacts`: plain HTML and inline SVG, no script.

    index.html            the project: counts, the model-level lineage graph, tables by layer
    semantic.html         the semantic layer: views, joins, dimensions and measures
    tables/<key>.html     a model, seed or raw table: description, materialisation, lineage
                          graph, columns and types, checks and their last results, its SQL
    columns/<key>.html    one column: how it is computed, its column lineage graph down to raw
                          columns and up to the reports, and the semantic fields reading it
    style.css

Every link is relative, so the folder works from `file://`, a web server or a zip.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from importlib import resources

from adventure_elt.docs_site.facts import (
    LAYER_ORDER,
    CheckFact,
    ColumnFact,
    FieldFact,
    SiteFacts,
    TableFact,
    ViewFact,
)
from adventure_elt.docs_site.graph import GraphNode, depth_ranks, draw, focus_ranks
from adventure_elt.docs_site.markup import Html, esc, join, tag

GENERATOR = "adventure-elt docs"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,150}$")
_KIND_NAMES = {"model": "model", "seed": "seed", "source": "source table"}


def page_name(key: str) -> str:
    """A file name for a table or column key: the key itself when it is a plain identifier
    path, else a readable, collision-free stand-in (names come from files users write).

    >>> page_name("marts.fct_sales")
    'marts.fct_sales.html'
    >>> page_name("marts.odd name/..")
    'marts.odd_name_..-dcf80a6167.html'
    """
    if _SAFE_NAME.match(key):
        return f"{key}.html"
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return f"{re.sub(r'[^A-Za-z0-9_.-]', '_', key)[:100]}-{digest}.html"


def render_site(facts: SiteFacts) -> dict[str, str]:
    """Every file of the site: relative path -> text."""
    site = _Site(facts)
    files = {
        "index.html": site.index(),
        "semantic.html": site.semantic(),
        "style.css": resources.files(__package__).joinpath("style.css").read_text("utf-8"),
    }
    for table in facts.tables.values():
        files[f"tables/{page_name(table.key)}"] = site.table(table)
        for column in table.columns:
            files[f"columns/{page_name(column.key)}"] = site.column(column)
    return files


class _Site:
    """The facts plus the look-ups the pages share (who reads what, which fields use what)."""

    def __init__(self, facts: SiteFacts) -> None:
        self.facts = facts
        self.columns = facts.columns()
        self.readers = facts.downstream()
        self.table_upstream = {t.key: t.upstream for t in facts.tables.values()}
        self.column_upstream = {c.key: c.reads for c in self.columns.values()}
        self.column_readers: dict[str, list[str]] = {}
        for column in self.columns.values():
            for read in column.reads:
                self.column_readers.setdefault(read, []).append(column.key)
        self.fields: dict[str, list[tuple[ViewFact, FieldFact]]] = {}
        for view in facts.views:
            for field in (*view.dimensions, *view.measures):
                if field.column:
                    self.fields.setdefault(field.column, []).append((view, field))

    # ------------------------------------------------------------------ the frame of a page

    def page(self, title: str, depth: int, body: Html, current: str = "") -> str:
        """A whole HTML document; `depth` is how many folders below the site's root it is."""
        root = "../" * depth
        head = tag(
            "head",
            tag("meta", charset="utf-8"),
            tag("meta", name="viewport", content="width=device-width, initial-scale=1"),
            tag("meta", name="generator", content=GENERATOR),
            tag("title", f"{title} · adventure_elt docs"),
            tag("link", rel="stylesheet", href=f"{root}style.css"),
        )
        header = tag(
            "header",
            tag("a", "adventure_elt docs", href=f"{root}index.html", class_="brand"),
            tag("span", self.state(), class_="state"),
            class_="top",
        )
        layout = tag("div", self.sidebar(root, current), tag("main", body), class_="layout")
        return "<!doctype html>\n" + tag("html", head, tag("body", header, layout), lang="en")

    def state(self) -> str:
        """One line on where the types and results come from, for every page's header."""
        built = f"built {_when(self.facts.built_at)}"
        if self.facts.warehouse_note:
            return f"{built} · {self.facts.warehouse} warehouse not read"
        return f"{built} · types and check results from the {self.facts.warehouse} warehouse"

    def sidebar(self, root: str, current: str) -> Html:
        def link(text: str, href: str, key: str) -> Html:
            here = key == current
            return tag(
                "li",
                tag(
                    "a",
                    text,
                    href=f"{root}{href}",
                    class_="current" if here else None,
                    aria_current="page" if here else None,
                ),
            )

        parts = [
            tag(
                "ul",
                link("Overview", "index.html", "index"),
                link("Semantic layer", "semantic.html", "semantic"),
            )
        ]
        for layer, tables in _by_layer(self.facts.tables.values()):
            items = [link(t.name, f"tables/{page_name(t.key)}", t.key) for t in tables]
            parts += [tag("h3", layer), tag("ul", join(items))]
        return tag("nav", join(parts), class_="side", aria_label="tables")

    # ------------------------------------------------------------------ index

    def index(self) -> str:
        facts = self.facts
        tables = list(facts.tables.values())
        models = [t for t in tables if t.kind == "model"]
        checks = facts.checks()
        statuses = [c.status for c in checks]
        last = max((c.last.checked_at for c in checks if c.last), default=None)
        counts = tag(
            "dl",
            tag("dt", "models"),
            tag("dd", _count_by_layer(models)),
            tag("dt", "seeds"),
            tag("dd", str(sum(t.kind == "seed" for t in tables))),
            tag("dt", "source tables"),
            tag("dd", str(sum(t.kind == "source" for t in tables))),
            tag("dt", "columns"),
            tag("dd", f"{sum(len(t.columns) for t in tables):,}"),
            tag("dt", "checks"),
            tag("dd", _check_summary(statuses, last)),
            tag("dt", "semantic layer"),
            tag(
                "dd",
                tag("a", f"{len(facts.views)} views", href="semantic.html"),
                f", {sum(len(v.measures) for v in facts.views)} measures,"
                f" {sum(len(v.dimensions) for v in facts.views)} dimensions",
            ),
            class_="facts",
        )
        graph = draw(
            [self.table_node(t.key, "tables/") for t in tables],
            depth_ranks(self.table_upstream),
            _edges(self.table_upstream),
            label="Lineage of every table, sources on the left",
        )
        sections = [
            tag("h1", "adventure_elt"),
            tag(
                "p",
                "AdventureWorks from PostgreSQL to DuckDB or BigQuery: models in sql/, checks "
                "from _models.yml, the semantic layer in sql/semantic.",
                class_="muted",
            ),
            self.warehouse_note(),
            counts,
            tag("h2", "Lineage", id="lineage"),
            _graph_box(graph, "Data flows left to right; click a table."),
        ]
        for layer, group in _by_layer(tables):
            sections += [tag("h2", layer, id=f"layer-{layer}"), self.table_list(group)]
        return self.page("Overview", 0, join(sections), current="index")

    def warehouse_note(self) -> Html | None:
        if not self.facts.warehouse_note:
            if not any(t.built_as for t in self.facts.tables.values()):
                return tag("p", "Nothing is built in the warehouse yet.", class_="note")
            return None
        return tag(
            "p",
            f"The warehouse was not read ({self.facts.warehouse_note}). Column types are "
            "unknown until built; check results show as not run yet. Build it and run "
            "`adventure-elt docs` again to see them.",
            class_="note",
        )

    def table_list(self, tables: Sequence[TableFact]) -> Html:
        head = tag(
            "tr",
            join(tag("th", h) for h in ("table", "materialised", "columns", "checks", "about")),
        )
        rows = []
        for table in tables:
            statuses = [c.status for c in table.checks]
            rows.append(
                tag(
                    "tr",
                    tag("td", tag("a", table.name, href=f"tables/{page_name(table.key)}")),
                    tag("td", _materialised(table)),
                    tag("td", str(len(table.columns)), class_="num"),
                    tag("td", _status_counts(statuses) if statuses else ""),
                    tag("td", _first_sentence(table.description)),
                )
            )
        return tag("table", tag("thead", head), tag("tbody", join(rows)), class_="grid")

    # ------------------------------------------------------------------ a table

    def table(self, table: TableFact) -> str:
        facts = [
            ("file", tag("code", table.path) if table.path else None),
            ("layer", table.layer),
            ("materialised", _materialised(table) if table.kind != "source" else None),
            ("built as", table.built_as or tag("span", "not built", class_="unknown")),
            ("unique key", ", ".join(table.unique_key) or None),
            ("partitioned by", table.partition_by or None),
            ("clustered by", ", ".join(table.cluster_by) or None),
            ("reads", self.table_links(table.upstream) if table.upstream else None),
            ("read by", self.table_links(self.readers.get(table.key, ())) or None),
            ("column types", _types_from(table.types_from)),
        ]
        ranks = focus_ranks(table.key, self.table_upstream)
        graph = draw(
            [self.table_node(k, "", focus=table.key) for k in ranks],
            ranks,
            _edges(self.table_upstream),
            label=f"Lineage of {table.key}",
        )
        body = [
            tag("h1", table.key, tag("span", _KIND_NAMES[table.kind], class_="kind")),
            _description(table.description),
            _facts_list(facts),
            tag("h2", "Lineage", id="lineage"),
            _graph_box(graph, "What it reads (left) and what reads it (right); click a table."),
            tag("h2", f"Columns ({len(table.columns)})", id="columns"),
            self.column_table(table),
        ]
        if table.lineage_error:
            body.append(
                tag("p", f"Column lineage unavailable: {table.lineage_error}", class_="note")
            )
        if table.checks:
            body += [tag("h2", f"Checks ({len(table.checks)})", id="checks"), _checks(table.checks)]
        views = [v for v in self.facts.views if table.key in v.reads]
        if views:
            items = [
                tag("li", tag("a", v.name, href=_view_href(v, "../")), f" — {v.label}")
                for v in views
            ]
            body += [tag("h2", "In the semantic layer", id="semantic"), tag("ul", join(items))]
        if table.text:
            label = "CSV" if table.kind == "seed" else "SQL"
            body += [
                tag("h2", f"{label} ({table.path})", id="source"),
                tag("pre", tag("code", table.text), class_="source"),
            ]
        return self.page(table.key, 1, join(body), current=table.key)

    def column_table(self, table: TableFact) -> Html:
        if not table.columns:
            return tag("p", "Columns unknown: the SQL reads a table whose columns are not known.")
        by_column: dict[str | None, list[CheckFact]] = {}
        for check in table.checks:
            by_column.setdefault(check.column, []).append(check)
        head = ("column", "type", "description", "checks", "computed as", "reads")
        rows = []
        for column in table.columns:
            rows.append(
                tag(
                    "tr",
                    tag(
                        "td",
                        tag("a", column.name, href=f"../columns/{page_name(column.key)}"),
                        class_="name",
                    ),
                    tag("td", _type(column), class_="type"),
                    tag("td", column.description, class_="description"),
                    tag("td", join((_badge(c) for c in by_column.get(column.name, ())), " ")),
                    tag(
                        "td",
                        tag("code", column.expression) if column.expression else "",
                        class_="expr",
                    ),
                    tag("td", self.column_links(column.reads, "../columns/"), class_="reads"),
                    id=f"col-{column.name}",
                )
            )
        return tag(
            "table",
            tag("thead", tag("tr", join(tag("th", h) for h in head))),
            tag("tbody", join(rows)),
            class_="grid columns",
        )

    # ------------------------------------------------------------------ a column

    def column(self, column: ColumnFact) -> str:
        table = self.facts.tables[column.table]
        checks = [c for c in table.checks if c.column == column.name]
        table_href = f"../tables/{page_name(table.key)}"
        facts = [
            ("table", tag("a", table.key, href=table_href)),
            ("type", _type(column)),
            ("computed as", tag("code", column.expression) if column.expression else None),
            ("checks", join((_badge(c) for c in checks), " ") if checks else None),
        ]
        ranks = focus_ranks(column.key, self.column_upstream)
        graph = draw(
            [self.column_node(k, focus=column.key) for k in ranks],
            ranks,
            _edges(self.column_upstream),
            label=f"Column lineage of {column.key}",
        )
        body = [
            tag("h1", column.key, tag("span", "column", class_="kind")),
            _description(column.description),
            _facts_list(facts),
            tag("h2", "Column lineage", id="lineage"),
            _graph_box(
                graph,
                "Columns it is computed from (left), columns computed from it "
                "(right); click a column.",
            ),
        ]
        if column.reads:
            body += [
                tag("h2", "Computed from", id="computed-from"),
                tag("ul", self.tree(column.key, set()), class_="tree root"),
            ]
        readers = self.column_readers.get(column.key, [])
        if readers:
            items = [tag("li", self.column_links([r], "")) for r in sorted(readers)]
            body += [tag("h2", "Read by", id="read-by"), tag("ul", join(items))]
        fields = self.fields.get(column.key, [])
        if fields:
            items = [
                tag(
                    "li",
                    tag(
                        "a", f"{view.name}.{field.name}", href=f"../semantic.html#view-{view.name}"
                    ),
                    f" ({field.type}) — {field.label}",
                )
                for view, field in fields
            ]
            body += [tag("h2", "Semantic layer", id="semantic"), tag("ul", join(items))]
        return self.page(column.key, 1, join(body), current=table.key)

    def tree(self, key: str, path: set[str]) -> Html:
        """`key` and, nested under it, the columns it is computed from, down to the sources."""
        column = self.columns.get(key)
        expression = column.expression if column else ""
        line: list[object] = [self.column_links([key], "", full=True)]
        if expression:
            line += [" = ", tag("code", expression, class_="expr")]
        reads = column.reads if column and key not in path else ()
        if reads:
            inner = join(self.tree(read, path | {key}) for read in reads)
            line.append(tag("ul", inner, class_="tree"))
        return tag("li", join(line))

    # ------------------------------------------------------------------ semantic layer

    def semantic(self) -> str:
        views = self.facts.views
        body: list[object] = [
            tag("h1", "Semantic layer"),
            tag(
                "p",
                "Views over the marts (sql/semantic/*.yml): what `adventure-elt query`, the "
                "report and the dashboard ask for. A field that reads one column links to that "
                "column's lineage.",
                class_="muted",
            ),
        ]
        if not views:
            body.append(tag("p", "This project has no semantic model.", class_="note"))
        toc = [tag("li", tag("a", v.label, href=f"#view-{v.name}"), f" ({v.name})") for v in views]
        body.append(tag("ul", join(toc)))
        for view in views:
            body.append(self.view(view))
        return self.page("Semantic layer", 0, join(body), current="semantic")

    def view(self, view: ViewFact) -> Html:
        joins = [
            join([tag("a", target, href=f"#view-{target}"), f" on {key}"])
            for target, key in view.joins
        ]
        facts = [
            ("file", tag("code", view.path)),
            ("reads", self.table_links(view.reads, "tables/") if view.reads else None),
            ("primary key", ", ".join(view.primary_key) or None),
            ("joins (many to one)", join(joins, ", ") if joins else None),
        ]
        parts: list[object] = [
            tag("h2", view.label, tag("span", view.name, class_="kind"), id=f"view-{view.name}"),
            _description(view.description),
            _facts_list(facts),
        ]
        if view.dimensions:
            parts += [tag("h3", "Dimensions"), self.fields_table(view.dimensions, measures=False)]
        if view.measures:
            parts += [tag("h3", "Measures"), self.fields_table(view.measures, measures=True)]
        parts.append(
            tag(
                "details",
                tag("summary", f"{view.path}"),
                tag("pre", tag("code", view.text), class_="source"),
            )
        )
        return tag("section", join(parts), class_="view")

    def fields_table(self, fields: Sequence[FieldFact], *, measures: bool) -> Html:
        head = ["name", "label", "type", "format" if measures else "grains", "SQL"]
        head += ["filter", "description"] if measures else ["description"]
        rows = []
        for field in fields:
            sql: Html = tag("code", field.expression) if field.expression else Html("")
            if field.column:
                sql = tag("a", sql, href=f"columns/{page_name(field.column)}")
            cells = [
                tag("code", field.name),
                field.label,
                field.type,
                field.format if measures else ", ".join(field.grains),
                sql,
            ]
            if measures:
                cells.append(tag("code", field.filter) if field.filter else "")
            cells.append(field.description)
            rows.append(tag("tr", join(tag("td", c) for c in cells)))
        return tag(
            "table",
            tag("thead", tag("tr", join(tag("th", h) for h in head))),
            tag("tbody", join(rows)),
            class_="grid",
        )

    # ------------------------------------------------------------------ links and graph nodes

    def table_links(self, keys: Iterable[str], prefix: str = "") -> Html:
        links = []
        for key in keys:
            if key in self.facts.tables:
                links.append(tag("a", key, href=f"{prefix}{page_name(key)}"))
            else:
                links.append(tag("code", key))
        return join(links, ", ")

    def column_links(self, keys: Iterable[str], prefix: str, *, full: bool = False) -> Html:
        links = []
        for key in keys:
            text = key if full else key.split(".", 1)[1]
            if key in self.columns:
                links.append(tag("a", text, href=f"{prefix}{page_name(key)}"))
            else:
                links.append(tag("code", text))
        return join(links, ", ")

    def table_node(self, key: str, prefix: str, focus: str = "") -> GraphNode:
        table = self.facts.tables.get(key)
        layer = key.split(".", 1)[0]
        return GraphNode(
            id=key,
            label=key.split(".", 1)[-1],
            href=f"{prefix}{page_name(key)}" if table else "",
            classes=f"layer-{layer}" + (" focus" if key == focus else ""),
            tooltip=f"{key}: {_first_sentence(table.description)}" if table else key,
        )

    def column_node(self, key: str, focus: str) -> GraphNode:
        table, name = key.rsplit(".", 1)
        column = self.columns.get(key)
        expression = column.expression if column else ""
        return GraphNode(
            id=key,
            label=name,
            title=table,
            href=page_name(key) if column else "",
            classes=f"layer-{table.split('.', 1)[0]}" + (" focus" if key == focus else ""),
            tooltip=f"{key} = {expression}" if expression else key,
        )


# ---------------------------------------------------------------------- small pieces


def _by_layer(tables: Iterable[TableFact]) -> list[tuple[str, list[TableFact]]]:
    grouped: dict[str, list[TableFact]] = {}
    for table in tables:
        grouped.setdefault(table.layer, []).append(table)
    order = {layer: i for i, layer in enumerate(LAYER_ORDER)}
    return [
        (layer, sorted(grouped[layer], key=lambda t: t.name))
        for layer in sorted(grouped, key=lambda layer: (order.get(layer, 99), layer))
    ]


def _view_href(view: ViewFact, root: str) -> str:
    return f"{root}semantic.html#view-{view.name}"


def _edges(upstream: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
    return [(parent, node) for node, parents in upstream.items() for parent in parents]


def _graph_box(graph: Html, legend: str) -> Html:
    swatches = [
        join([tag("span", class_=f"swatch layer-{layer}"), layer])
        for layer in ("raw", "seeds", "staging", "marts", "reports")
    ]
    return tag("div", tag("p", legend, join(swatches), class_="legend"), graph, class_="graph-box")


def _description(text: str) -> Html:
    if not text:
        return tag("p", "No description.", class_="description unknown")
    return tag("p", text, class_="description")


def _facts_list(facts: Sequence[tuple[str, object]]) -> Html:
    items = [join([tag("dt", name), tag("dd", value)]) for name, value in facts if value]
    return tag("dl", join(items), class_="facts")


def _materialised(table: TableFact) -> str:
    if table.kind == "source":
        return "source"
    if table.built_as and table.built_as != table.materialized:
        return f"{table.materialized} (built as {table.built_as})"
    return table.materialized


def _type(column: ColumnFact) -> Html:
    if column.type:
        return tag("code", column.type)
    return tag("span", "unknown until built", class_="unknown")


def _types_from(source: str) -> Html:
    if source == "warehouse":
        return esc("read from the warehouse")
    if source:
        return esc(f"declared ({source}); the warehouse may differ once built")
    return tag("span", "unknown until built", class_="unknown")


def _badge(check: CheckFact) -> Html:
    last = check.last
    text = {"pass": "pass", "error": "error", "not run": "not run yet"}.get(check.status, "")
    if check.status in ("fail", "warn") and last is not None:
        text = f"{check.status.upper()} · {last.failures:,} rows"
    note = check.name
    if last is not None:
        note += f" · {_when(last.checked_at)}" + (f" · {last.error}" if last.error else "")
    return tag("span", text, class_=f"status {check.status.replace(' ', '-')}", title=note)


def _checks(checks: Sequence[CheckFact]) -> Html:
    head = ("check", "column", "kind", "last result", "checked at", "query")
    rows = []
    for check in checks:
        last = check.last
        error = last.error if last is not None else None
        rows.append(
            tag(
                "tr",
                tag("td", tag("code", check.name)),
                tag("td", check.column or ""),
                tag("td", check.kind),
                tag("td", _badge(check), tag("div", error, class_="muted") if error else None),
                tag("td", _when(last.checked_at) if last else ""),
                tag(
                    "td", tag("details", tag("summary", "SQL"), tag("pre", tag("code", check.sql)))
                ),
            )
        )
    return tag(
        "table",
        tag("thead", tag("tr", join(tag("th", h) for h in head))),
        tag("tbody", join(rows)),
        class_="grid checks",
    )


def _check_summary(statuses: Sequence[str], last: datetime | None) -> Html:
    if not statuses:
        return esc("none declared")
    when = f" (last run {_when(last)})" if last else ""
    return join([f"{len(statuses)}: ", _status_counts(statuses), when])


def _status_counts(statuses: Sequence[str]) -> Html:
    parts = []
    for status in ("pass", "warn", "fail", "error", "not run"):
        n = statuses.count(status)
        if n:
            parts.append(tag("span", f"{n} {status}", class_=f"status {status.replace(' ', '-')}"))
    return join(parts, " ")


def _count_by_layer(models: Sequence[TableFact]) -> str:
    layers = [f"{len(group)} {layer}" for layer, group in _by_layer(models)]
    return f"{len(models)} ({', '.join(layers)})"


def _first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    end = flat.find(". ")
    return flat if end < 0 else flat[: end + 1]


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
