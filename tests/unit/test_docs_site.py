"""`adventure-elt docs`: the facts the site shows, checked against what the project's files say
(read here independently of the code under test), the pages' escaping and links, and the
output folder's safety. The browser test is in tests/browser/test_docs_browser.py."""

from __future__ import annotations

import doctest
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from transform_helpers import BASE_FILES, make_raw, settings_for, write_project

from adventure_elt.cli import main
from adventure_elt.docs_site import build, graph, markup, pages
from adventure_elt.docs_site.build import build_docs
from adventure_elt.docs_site.facts import SiteFacts, collect_facts
from adventure_elt.docs_site.pages import page_name
from adventure_elt.errors import ConfigError
from adventure_elt.settings import Settings
from adventure_elt.transform import run_checks, transform

REPO = Path(__file__).resolve().parents[2]
SQL = REPO / "sql"
MODEL_LAYERS = ("staging", "marts", "reports")


@pytest.fixture(scope="module")
def project_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SiteFacts]:
    """The real project's site, built with no warehouse (the path does not exist)."""
    root = tmp_path_factory.mktemp("docs")
    settings = Settings(duckdb_path=root / "missing.duckdb", home=root / "home")
    index, facts = build_docs(settings, root / "site", sql_dir=SQL)
    return index, facts


def test_every_model_seed_and_raw_table_has_a_page(project_site: tuple[Path, SiteFacts]) -> None:
    index, facts = project_site
    sql_files = [p for layer in MODEL_LAYERS for p in (SQL / layer).glob("*.sql")]
    seeds = list((SQL / "seeds").glob("*.csv"))
    kinds = [t.kind for t in facts.tables.values()]
    assert kinds.count("model") == len(sql_files) > 25
    assert kinds.count("seed") == len(seeds) == 2
    # one raw table per source DDL file, plus the web events the stream writes
    assert kinds.count("source") == len(list((SQL / "source").glob("*.sql"))) + 1
    for path in sql_files:
        assert (index.parent / "tables" / f"{path.parent.name}.{path.stem}.html").is_file()


def test_a_models_upstream_tables_are_those_its_sql_names(
    project_site: tuple[Path, SiteFacts],
) -> None:
    _, facts = project_site
    for name in ("marts/fct_sales", "marts/dim_customer", "reports/rpt_geography"):
        text = (SQL / f"{name}.sql").read_text()
        named = set(re.findall(r"\b(?:from|join)\s+((?:raw|seeds|staging|marts)\.\w+)", text))
        assert set(facts.tables[name.replace("/", ".")].upstream) == named, name


def test_checks_are_those_declared_in_models_yml(project_site: tuple[Path, SiteFacts]) -> None:
    _, facts = project_site
    declared = yaml.safe_load((SQL / "marts" / "_models.yml").read_text())["models"]
    for entry in declared:
        tests = len(entry.get("tests") or [])
        tests += sum(len(c.get("tests") or []) for c in entry.get("columns") or [])
        table = facts.tables[f"marts.{entry['name']}"]
        assert len(table.checks) == tests, entry["name"]
        assert table.description == entry["description"]
        assert {c.status for c in table.checks} <= {"not run"}  # no warehouse: never run


def test_without_a_warehouse_types_are_unknown_and_the_site_says_why(
    project_site: tuple[Path, SiteFacts],
) -> None:
    index, facts = project_site
    assert "missing.duckdb does not exist yet" in facts.warehouse_note
    fct_sales = facts.tables["marts.fct_sales"]
    assert fct_sales.built_as == "" and {c.type for c in fct_sales.columns} == {""}
    # raw tables are typed from their DDL: salesorderheader.subtotal is `numeric` there
    header = {c.name: c.type for c in facts.tables["raw.sales_salesorderheader"].columns}
    assert header["subtotal"] == "DECIMAL(38,9)" and header["salesorderid"] == "BIGINT"
    page = (index.parent / "tables" / "marts.fct_sales.html").read_text()
    assert "unknown until built" in page and "not run yet" in page
    assert "The warehouse was not read" in index.read_text()


def test_column_lineage_follows_the_sql_down_to_raw_columns(
    project_site: tuple[Path, SiteFacts],
) -> None:
    _, facts = project_site
    columns = facts.columns()
    # sql/marts/fct_sales.sql: order_quantity * unit_price * (1 - unit_price_discount)
    line_total = columns["marts.fct_sales.line_total"]
    assert line_total.reads == tuple(
        f"staging.stg_sales__order_details.{c}"
        for c in ("order_quantity", "unit_price", "unit_price_discount")
    )
    # sql/staging/stg_sales__order_details.sql: cast(unitprice as numeric) as unit_price
    assert columns["staging.stg_sales__order_details.unit_price"].reads == (
        "raw.sales_salesorderdetail.unitprice",
    )
    # the web models read the stream's table, whose columns come from its contract
    assert columns["staging.stg_web__events.event_id"].reads == ("raw.web_events.event_id",)
    assert not [t.key for t in facts.tables.values() if t.lineage_error]


def test_the_semantic_layer_is_listed_with_links_to_columns(
    project_site: tuple[Path, SiteFacts],
) -> None:
    index, facts = project_site
    assert len(facts.views) == len(list((SQL / "semantic").glob("*.yml")))
    sales = next(v for v in facts.views if v.name == "sales")
    revenue = next(m for m in sales.measures if m.name == "revenue")
    # sql/semantic/sales.yml: table marts.fct_sales, revenue = sum of column line_total
    assert (sales.table, revenue.type, revenue.column) == (
        "marts.fct_sales",
        "sum",
        "marts.fct_sales.line_total",
    )
    semantic = (index.parent / "semantic.html").read_text()
    assert 'href="columns/marts.fct_sales.line_total.html"' in semantic


def test_the_site_references_nothing_outside_itself(project_site: tuple[Path, SiteFacts]) -> None:
    index, _ = project_site
    root = index.parent
    files = [p for p in root.rglob("*") if p.is_file()]
    assert len(files) > 400
    for path in files:
        text = path.read_text()
        assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:[a-z]+:)?//""", text), path
        assert "@import" not in text and "url(" not in text, path
        assert "<script" not in text, path


def test_every_link_and_anchor_resolves(project_site: tuple[Path, SiteFacts]) -> None:
    index, _ = project_site
    root = index.parent
    ids: dict[Path, set[str]] = {}
    links: list[tuple[Path, str]] = []
    for path in root.rglob("*.html"):
        parsed = _parse(path)
        ids[path.resolve()] = parsed.ids
        links += [(path, href) for href in parsed.hrefs]
    assert len(links) > 10_000
    checked: set[tuple[Path, str]] = set()  # every page links the same sidebar
    for page, href in links:
        if (page.parent, href) in checked and "#" not in href:
            continue
        checked.add((page.parent, href))
        parts = urlsplit(href)
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page.resolve()
        assert target.is_file(), f"{page.name}: {href}"
        if parts.fragment and target.suffix == ".html":
            assert parts.fragment in ids[target], f"{page.name}: {href}"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "href" and value is not None:
                self.hrefs.append(value)
            if name == "id" and value is not None:
                self.ids.add(value)


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text())
    return parser


# ---------------------------------------------------------------------- a built warehouse


@pytest.fixture
def built(tmp_path: Path) -> tuple[Settings, Path]:
    """The small test project built in DuckDB, its checks run once (all pass), then the data
    broken (amount -1) and fct_orders rebuilt and checked again."""
    settings = settings_for(tmp_path)
    sql_dir = write_project(tmp_path)
    make_raw(settings)
    transform(settings, sql_dir=sql_dir)
    assert run_checks(settings, sql_dir=sql_dir).passed
    make_raw(settings, [(1, 10, "-1", 1), (2, 11, "3", 2)])
    transform(settings, sql_dir=sql_dir, select="stg_orders+")
    assert not run_checks(settings, select="fct_orders", sql_dir=sql_dir).passed
    return settings, sql_dir


def test_a_built_warehouse_gives_types_kinds_and_last_results(
    built: tuple[Settings, Path],
) -> None:
    settings, sql_dir = built
    facts = collect_facts(settings, sql_dir)
    assert facts.warehouse_note == ""
    orders = facts.tables["staging.stg_orders"]
    # staging/stg_orders.sql casts amount as numeric(38, 9) and ids as int64
    assert (orders.materialized, orders.built_as) == ("view", "view")
    assert orders.types_from == "warehouse"
    assert {c.name: c.type for c in orders.columns} == {
        "order_id": "BIGINT",
        "customer_id": "BIGINT",
        "amount": "DECIMAL(38,9)",
        "status_code": "BIGINT",
    }
    fct = facts.tables["marts.fct_orders"]
    assert (fct.materialized, fct.built_as) == ("incremental", "table")
    status = {c.name: (c.status, c.last.failures if c.last else None) for c in fct.checks}
    assert status["amounts_are_positive"] == ("fail", 1)
    assert status["unique(order_id)"] == ("pass", 0)
    # dim_customer was checked in the first run only: its result is still shown
    assert {c.status for c in facts.tables["marts.dim_customer"].checks} == {"pass"}
    revenue = facts.columns()["reports.rpt_revenue.revenue"]
    assert revenue.reads == ("marts.fct_orders.double_amount",)
    assert facts.columns()["marts.fct_orders.double_amount"].reads == ("staging.stg_orders.amount",)


def test_the_cli_prints_the_index_path(
    built: tuple[Settings, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, sql_dir = built
    out = tmp_path / "site"
    warehouse = ["--duckdb-path", str(settings.duckdb_path)]
    code, stdout, stderr = _cli(
        capsys, *warehouse, "docs", "--out", str(out), "--sql-dir", str(sql_dir)
    )
    assert code == 0, stderr
    assert stdout.strip() == str(out / "index.html")
    page = (out / "tables" / "marts.fct_orders.html").read_text()
    assert "FAIL · 1 rows" in page and "DECIMAL(38,9)" in page
    index = (out / "index.html").read_text()
    assert "The warehouse was not read" not in index and ">None<" not in index
    assert '<span class="status fail">1 fail</span>' in index
    assert "note:" not in stderr


def test_a_warn_check_that_found_rows_shows_as_warn_not_fail(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    positive = "sql: select * from marts.fct_orders where double_amount <= 0"
    models = BASE_FILES["marts/_models.yml"]
    assert positive in models
    warned = models.replace(positive, f"{positive}\n        severity: warn")
    sql_dir = write_project(tmp_path, {**BASE_FILES, "marts/_models.yml": warned})
    make_raw(settings, [(1, 10, "-1", 1), (2, 11, "3", 2)])
    transform(settings, sql_dir=sql_dir)
    report = run_checks(settings, sql_dir=sql_dir)
    assert report.passed and [c.name for c in report.warned] == ["amounts_are_positive"]

    facts = collect_facts(settings, sql_dir)
    status = {c.name: c.status for c in facts.tables["marts.fct_orders"].checks}
    assert status["amounts_are_positive"] == "warn"
    out = tmp_path / "site"
    build_docs(settings, out, sql_dir=sql_dir)
    page = (out / "tables" / "marts.fct_orders.html").read_text()
    assert "WARN · 1 rows" in page and "FAIL" not in page
    index = (out / "index.html").read_text()
    assert '<span class="status warn">1 warn</span>' in index and " fail</span>" not in index


def test_the_default_folder_is_docs_in_home(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sql_dir = write_project(tmp_path)
    home = tmp_path / "home"
    settings = ["--home", str(home), "--duckdb-path", str(tmp_path / "none.duckdb")]
    code, stdout, stderr = _cli(capsys, *settings, "docs", "--sql-dir", str(sql_dir))
    assert code == 0, stderr
    assert stdout.strip() == str((home / "docs" / "index.html").absolute())
    assert "note: warehouse not read" in stderr and "none.duckdb" in stderr


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", ["adventure-elt", *argv])
        try:
            main()
            code = 0
        except SystemExit as exited:
            code = int(exited.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------------- hostile input


HOSTILE_MODELS = """version: 1
models:
  - name: fct_orders
    description: "<script>alert('description')</script> & \\"quotes\\""
    columns:
      - name: order_id
        description: <img src=x onerror=alert(1)>
"""


def test_text_from_the_project_is_escaped_everywhere(tmp_path: Path) -> None:
    sql_dir = write_project(
        tmp_path,
        **{
            "marts__odd.sql": 'select 1 as `"><script>alert(1)</script>`\n',
            "marts__weird <name>.sql": "select 1 as x\n",
        },
    )
    (sql_dir / "marts" / "_models.yml").write_text(HOSTILE_MODELS)
    index, facts = build_docs(settings_for(tmp_path), tmp_path / "site", sql_dir=sql_dir)
    assert "marts.weird <name>" in facts.tables
    texts = [p.read_text() for p in index.parent.rglob("*.html")]
    joined = "\n".join(texts)
    assert "<script" not in joined and "<img" not in joined
    assert "&lt;script&gt;alert(&#x27;description&#x27;)&lt;/script&gt;" in joined
    assert "&lt;img src=x onerror=alert(1)&gt;" in joined
    # the file names of odd keys stay inside the site and are links that resolve
    weird = index.parent / "tables" / page_name("marts.weird <name>")
    assert weird.is_file() and weird.parent == index.parent / "tables"
    assert f'href="tables/{weird.name}"' in index.read_text()


def test_a_folder_that_is_not_a_docs_site_is_never_replaced(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    settings = settings_for(tmp_path)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    with pytest.raises(ConfigError, match="not empty and holds no earlier docs site"):
        build_docs(settings, precious, sql_dir=sql_dir)
    assert [p.name for p in precious.iterdir()] == ["thesis.txt"]
    a_file = tmp_path / "file.html"
    a_file.write_text("x")
    with pytest.raises(ConfigError, match="is a file"):
        build_docs(settings, a_file, sql_dir=sql_dir)


def test_only_a_folder_or_a_new_path_is_ever_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A FIFO (or a device: `--out /dev/null`) or a link was renamed away, and the site put in
    its place."""
    sql_dir = write_project(tmp_path)
    targets = tmp_path / "targets"
    targets.mkdir()
    os.mkfifo(targets / "fifo")
    (targets / "a_folder").mkdir()
    (targets / "link").symlink_to(targets / "a_folder")
    (targets / "dangling").symlink_to(targets / "nowhere")
    (targets / "file").write_text("x")
    before = sorted((p.name, p.is_symlink(), p.is_dir()) for p in targets.iterdir())
    refused = {
        "fifo": "is not a folder",
        "link": "is a symbolic link",
        "dangling": "is a symbolic link",
        "file/site": "file is not a folder",
    }
    warehouse = ["--duckdb-path", str(tmp_path / "w.duckdb"), "--home", str(tmp_path / "home")]
    for name, message in refused.items():
        code, stdout, stderr = _cli(
            capsys, *warehouse, "docs", "--out", str(targets / name), "--sql-dir", str(sql_dir)
        )
        assert (code, stdout) == (2, ""), (name, stderr)
        assert stderr.startswith("error: ") and message in stderr, stderr
        assert len(stderr.strip().splitlines()) == 1, stderr
    assert sorted((p.name, p.is_symlink(), p.is_dir()) for p in targets.iterdir()) == before
    assert list((targets / "a_folder").iterdir()) == []


def test_a_rebuild_replaces_the_earlier_site_whole(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    settings = settings_for(tmp_path)
    out = tmp_path / "site"
    build_docs(settings, out, sql_dir=sql_dir)
    assert (out / "tables" / "reports.rpt_revenue.html").is_file()
    (sql_dir / "reports" / "rpt_revenue.sql").unlink()
    build_docs(settings, out, sql_dir=sql_dir)
    assert not (out / "tables" / "reports.rpt_revenue.html").exists()  # no stale page
    assert (out / "index.html").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"marts__broken.sql": "select from where\n"}, "sql/marts/broken.sql:1: SQL syntax error"),
        (
            {"semantic__sales.yml": "version: 1\nname: sales\ntable: marts.nope\n"},
            "sql/semantic/sales.yml: table: unknown table 'marts.nope'",
        ),
    ],
    ids=["model", "semantic model"],
)
def test_a_broken_project_is_one_line_and_writes_nothing(
    broken: dict[str, str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sql_dir = write_project(tmp_path, **broken)
    out = tmp_path / "site"
    warehouse = ["--duckdb-path", str(tmp_path / "w.duckdb")]
    code, stdout, stderr = _cli(
        capsys, *warehouse, "docs", "--out", str(out), "--sql-dir", str(sql_dir)
    )
    assert code == 2 and stdout == ""
    assert stderr.startswith(f"error: {message}"), stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not out.exists() and [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ---------------------------------------------------------------------- pure parts


def test_graph_ranks_put_every_edge_left_to_right() -> None:
    upstream = {"b": ["a"], "c": ["b", "a"], "d": ["c"], "e": ["a"]}
    ranks = graph.depth_ranks(upstream)
    assert ranks == {"a": 0, "b": 1, "c": 2, "d": 3, "e": 1}
    around_c = graph.focus_ranks("c", upstream)
    assert around_c == {"c": 0, "b": -1, "a": -2, "d": 1}  # e neither reads c nor is read by it
    for node, parents in upstream.items():
        for parent in parents:
            assert ranks[parent] < ranks[node]


def test_the_svg_has_one_link_per_node_and_one_path_per_edge() -> None:
    nodes = [graph.GraphNode(n, n, f"{n}.html", classes="layer-marts") for n in "abcd"]
    edges = [("a", "b"), ("a", "c"), ("b", "c"), ("x", "a")]
    svg = graph.draw(nodes, graph.depth_ranks({"b": ["a"], "c": ["a", "b"]}), edges, label="t")
    assert svg.count("<a ") == 3  # d has no rank: left out
    assert svg.count("<path ") == 3  # x is not drawn: its edge is dropped
    assert 'data-from="a" data-to="c"' in svg


@pytest.mark.parametrize("module", [markup, graph, pages, build])
def test_doctests(module: object) -> None:
    assert doctest.testmod(module).failed == 0  # type: ignore[arg-type]
