"""Discover models, seeds and their `_models.yml`, parse them, and infer dependencies.

A model is one `.sql` file in `sql/staging`, `sql/marts` or `sql/reports` (file stem = model name,
folder = layer), written in BigQuery Standard SQL. It names its upstream tables as
`<layer>.<table>`; the tables it reads are its dependencies (no `ref()`, no Jinja). A seed is a
CSV file in `sql/seeds/` loaded into layer `seeds` (table = file stem). Tables in `raw` and `ops`
are sources written by other steps, not nodes of the project.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from adventure_elt.errors import ConfigError, ModelError
from adventure_elt.transform.references import node_line, table_references
from adventure_elt.warehouse.base import PLAIN, Layout

MODEL_LAYERS: tuple[str, ...] = ("staging", "marts", "reports")
SEED_LAYER = "seeds"
SOURCE_LAYERS: tuple[str, ...] = ("raw", "ops")
MATERIALIZATIONS: tuple[str, ...] = ("view", "table", "incremental")
DIALECT = "bigquery"
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class ColumnTest:
    """One column check from `_models.yml`: `not_null`, `unique`, `relationships`, …"""

    kind: str
    column: str
    params: Mapping[str, Any] = field(default_factory=dict)
    severity: str = "error"


@dataclass(frozen=True)
class SqlTest:
    """A row-level check: a query returning the offending rows (zero rows = pass)."""

    name: str
    sql: str
    severity: str = "error"


@dataclass(frozen=True)
class NodeConfig:
    """What `_models.yml` / `_seeds.yml` declares about one model or seed."""

    materialized: str
    description: str = ""
    unique_key: tuple[str, ...] = ()
    layout: Layout = PLAIN
    column_descriptions: Mapping[str, str] = field(default_factory=dict)
    column_tests: tuple[ColumnTest, ...] = ()
    sql_tests: tuple[SqlTest, ...] = ()
    column_types: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Node:
    """A model (SQL file) or a seed (CSV file): something the runner builds in `layer`.

    `sql` is the BigQuery SQL that produces the node's rows (for a seed, generated from the CSV);
    `depends_on` lists upstream nodes as `layer.name`; `sources` lists raw/ops tables read.
    """

    name: str
    layer: str
    path: Path
    sql: str
    ast: exp.Expr
    config: NodeConfig
    depends_on: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    is_seed: bool = False

    @property
    def key(self) -> str:
        """`layer.name`, the node's name in SQL and in the DAG."""
        return f"{self.layer}.{self.name}"

    @property
    def materialized(self) -> str:
        """`view`, `table` or `incremental`."""
        return self.config.materialized


@dataclass
class Project:
    """Every node of a `sql/` folder, keyed by `layer.name`."""

    sql_dir: Path
    nodes: dict[str, Node]

    def resolve(self, name: str) -> Node:
        """The node called `name` (`fct_sales` or `marts.fct_sales`); ModelError if unknown."""
        if name in self.nodes:
            return self.nodes[name]
        matches = [n for n in self.nodes.values() if n.name == name]
        if len(matches) == 1:
            return matches[0]
        names = sorted(n.name for n in self.nodes.values())
        close = difflib.get_close_matches(name.split(".")[-1], names, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"{len(names)} models and seeds"
        raise ModelError(f"no model or seed named {name!r} in {self.sql_dir}; {hint}")

    def models(self) -> list[Node]:
        """The SQL models (not seeds)."""
        return [n for n in self.nodes.values() if not n.is_seed]

    def display_path(self, node: Node) -> str:
        """The node's file as users see it: relative to the folder holding `sql/`."""
        return display(node.path, self.sql_dir)


def display(path: Path, sql_dir: Path) -> str:
    """`path` relative to the parent of `sql_dir` (e.g. `sql/marts/fct_sales.sql`) if possible."""
    try:
        return str(path.relative_to(sql_dir.parent))
    except ValueError:
        return str(path)


def load_project(sql_dir: Path | None = None) -> Project:
    """Read every model and seed under `sql_dir` and check that their dependencies resolve.

    Args:
        sql_dir: the `sql/` folder (default: the project's, see `adventure_elt.paths.sql_dir`).

    Returns:
        The project; raises ModelError (file:line) on parse errors, unknown upstreams, duplicate
        names, bad `_models.yml` and dependency cycles.
    """
    if sql_dir is None:
        from adventure_elt.paths import sql_dir as default_sql_dir

        sql_dir = default_sql_dir()
    sql_dir = Path(sql_dir)
    if not sql_dir.is_dir():
        raise ModelError(f"{sql_dir}: no such folder; give --sql-dir the project's sql/ folder")
    nodes: dict[str, Node] = {}
    by_name: dict[str, Path] = {}

    def add(node: Node) -> None:
        if node.name in by_name:
            raise ModelError(
                f"{display(node.path, sql_dir)}: the name {node.name!r} is already used by "
                f"{display(by_name[node.name], sql_dir)}; names must be unique across layers"
            )
        by_name[node.name] = node.path
        nodes[node.key] = node

    for seed in _load_seeds(sql_dir):
        add(seed)
    for layer in MODEL_LAYERS:
        folder = sql_dir / layer
        configs, declared = _read_configs(
            folder / "_models.yml", "models", sql_dir, default_for(layer)
        )
        stems = {p.stem for p in folder.glob("*.sql")}
        for name, (yml_path, line) in declared.items():
            if name not in stems:
                raise ModelError(
                    f"{display(yml_path, sql_dir)}:{line}: model {name!r} is declared but "
                    f"{layer}/{name}.sql does not exist; remove the entry or add the file"
                )
        for path in sorted(folder.glob("*.sql")):
            config = configs.get(path.stem, NodeConfig(materialized=default_for(layer)))
            add(_parse_model(path, layer, config, sql_dir))
    if all(node.layer == SEED_LAYER for node in nodes.values()):
        # a mistyped folder would otherwise build nothing and pass every check of nothing
        raise ModelError(
            f"{sql_dir}: no models (no .sql file in {', '.join(MODEL_LAYERS)}); "
            "give --sql-dir the project's sql/ folder"
        )
    project = Project(sql_dir=sql_dir, nodes=nodes)
    _resolve_dependencies(project)
    from adventure_elt.transform.dag import build_dag

    build_dag(project)  # raises on cycles, naming the files
    return project


def default_for(layer: str) -> str:
    """The default materialisation of a layer: views in staging, tables elsewhere."""
    return "view" if layer == "staging" else "table"


def _parse_model(path: Path, layer: str, config: NodeConfig, sql_dir: Path) -> Node:
    text = path.read_text(encoding="utf-8")
    where = display(path, sql_dir)
    ast = parse_sql(text, where)
    return Node(name=path.stem, layer=layer, path=path, sql=text, ast=ast, config=config)


def parse_sql(text: str, where: str) -> exp.Expr:
    """Parse one BigQuery statement; ModelError naming `where:line` on any syntax error."""
    try:
        statements = [s for s in sqlglot.parse(text, read=DIALECT) if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        line = first.get("line") or 1
        description = _readable(str(first.get("description") or exc).splitlines()[0])
        near = str(first.get("highlight") or "").strip()
        hint = f" near {near!r}" if near else ""
        raise ModelError(f"{where}:{line}: SQL syntax error{hint}: {description}") from None
    except TokenError as exc:
        line, near = _token_error_place(text, str(exc))
        raise ModelError(
            f"{where}:{line}: SQL syntax error: cannot read the text near {near!r} "
            "(unterminated string or quoted name?)"
        ) from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise ModelError(
            f"{where}:1: a model must be exactly one select statement "
            f"(found {len(statements)} statement(s))"
        )
    return statements[0]


def _readable(description: str) -> str:
    """sqlglot's parser messages without its class and token reprs."""
    if description.startswith("Required keyword:"):
        return "incomplete expression (a missing operand or an unclosed parenthesis?)"
    # `<Token token_type: TokenType.SENTINEL, text: SENTINEL, ...>` is the end of the text
    description = re.sub(r"<Token token_type: TokenType\.SENTINEL\b[^>]*>", "the end", description)
    return re.sub(r"<Token token_type: [^,]*, text: ([^,]*),[^>]*>", r"'\1'", description)


def _token_error_place(text: str, message: str) -> tuple[int, str]:
    # sqlglot's TokenError quotes the text up to the bad token but gives no line
    found = re.search(r"Error tokenizing '(.*)'", message, re.DOTALL)
    if found:
        context = found.group(1)[-20:]
        at = text.find(context)
        if at >= 0:
            end = at + len(context)
            near = context.strip().splitlines()[-1] if context.strip() else context
            return text.count("\n", 0, end) + 1, near
    return 1, ""


def _resolve_dependencies(project: Project) -> None:
    for node in project.nodes.values():
        if node.is_seed:
            continue
        where = project.display_path(node)
        deps: list[str] = []
        sources: list[str] = []
        for table in table_references(node.ast):
            line = node_line(table)
            layer, name = table.db, table.name
            if not layer:
                raise ModelError(
                    f"{where}:{line}: table {name!r} has no layer; write it as <layer>.{name} "
                    f"(layers: {', '.join((*SOURCE_LAYERS, SEED_LAYER, *MODEL_LAYERS))})"
                )
            key = f"{layer}.{name}"
            if layer in SOURCE_LAYERS:
                sources.append(key)
            elif layer in (*MODEL_LAYERS, SEED_LAYER):
                if key not in project.nodes:
                    raise ModelError(
                        f"{where}:{line}: unknown upstream {key}: there is no "
                        f"sql/{layer}/{name}.{'csv' if layer == SEED_LAYER else 'sql'}"
                    )
                if key == node.key:
                    raise ModelError(f"{where}:{line}: model {key} reads itself")
                deps.append(key)
            else:
                raise ModelError(
                    f"{where}:{line}: unknown layer {layer!r} in {key}; use one of "
                    f"{', '.join((*SOURCE_LAYERS, SEED_LAYER, *MODEL_LAYERS))}"
                )
        node.depends_on = tuple(dict.fromkeys(deps))
        node.sources = tuple(dict.fromkeys(sources))


# ----------------------------------------------------------------------------- YAML


def _declared(path: Path, data: Mapping[str, Any], section: str) -> dict[str, tuple[Path, int]]:
    """Names declared in a YAML file's `section` (`data`, parsed), with the line of each `name:`."""
    entries = data.get(section) or []
    lines = path.read_text(encoding="utf-8").splitlines()
    found: dict[str, tuple[Path, int]] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and "name" in entry:
            name = str(entry["name"])
            pattern = re.compile(rf"name:\s*['\"]?{re.escape(name)}['\"]?\s*$")
            line = next((i + 1 for i, t in enumerate(lines) if pattern.search(t)), 1)
            found[name] = (path, line)
    return found


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        # libyaml's loader when present: the pure-Python one made loading the project take
        # seconds
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ModelError(
            f"{path}:{line}: not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from None
    if not isinstance(data, dict):
        raise ModelError(f"{path}:1: expected a mapping with a `models:` or `seeds:` list")
    return data


def _read_configs(
    path: Path, section: str, sql_dir: Path, default: str
) -> tuple[dict[str, NodeConfig], dict[str, tuple[Path, int]]]:
    """The config of each entry of a YAML file's `section`, and where each is declared (one
    parse of the file)."""
    if not path.is_file():
        return {}, {}
    data = _load_yaml(path)
    entries = data.get(section) or []
    where = display(path, sql_dir)
    if not isinstance(entries, list):
        raise ModelError(f"{where}:1: `{section}:` must be a list of entries with a `name:`")
    declared = _declared(path, data, section)
    configs: dict[str, NodeConfig] = {}
    for entry in entries:
        if not isinstance(entry, dict) or "name" not in entry:
            raise ModelError(f"{where}:1: every entry under `{section}:` needs a `name:`")
        name = str(entry["name"])
        line = declared.get(name, (path, 1))[1]
        configs[name] = _config(entry, f"{where}:{line}", default)
    return configs, declared


def _config(entry: Mapping[str, Any], where: str, default: str) -> NodeConfig:
    materialized = str(entry.get("materialized") or default)
    if materialized not in MATERIALIZATIONS:
        raise ModelError(
            f"{where}: materialized {materialized!r} is not one of {', '.join(MATERIALIZATIONS)}"
        )
    unique_key = _names(entry.get("unique_key"))
    if materialized == "incremental" and not unique_key:
        raise ModelError(f"{where}: an incremental model needs `unique_key: [column, ...]`")
    descriptions: dict[str, str] = {}
    tests: list[ColumnTest] = []
    for column in entry.get("columns") or []:
        if not isinstance(column, dict) or "name" not in column:
            raise ModelError(f"{where}: every entry under `columns:` needs a `name:`")
        col = str(column["name"])
        descriptions[col] = str(column.get("description") or "")
        for test in column.get("tests") or column.get("data_tests") or []:
            tests.append(_column_test(test, col, where))
    sql_tests = []
    for test in entry.get("tests") or entry.get("data_tests") or []:
        if not isinstance(test, dict) or "sql" not in test:
            raise ModelError(f"{where}: a model-level test needs `name:` and `sql:`")
        name = str(test.get("name") or "sql_check")
        severity = _severity(test, f"{where}: test {name!r}")
        sql_tests.append(SqlTest(name=name, sql=str(test["sql"]), severity=severity))
    types = entry.get("column_types") or {}
    try:
        layout = Layout.parse(entry.get("partition_by"), _names(entry.get("cluster_by")))
    except ConfigError as exc:
        raise ModelError(f"{where}: {exc}") from None
    return NodeConfig(
        materialized=materialized,
        description=str(entry.get("description") or ""),
        unique_key=unique_key,
        layout=layout,
        column_descriptions=descriptions,
        column_tests=tuple(tests),
        sql_tests=tuple(sql_tests),
        column_types={str(k): str(v) for k, v in dict(types).items()},
    )


_COLUMN_TESTS = ("not_null", "unique", "relationships", "accepted_values")


def _column_test(test: Any, column: str, where: str) -> ColumnTest:
    if isinstance(test, str):
        kind, params = test, dict[str, Any]()
    elif isinstance(test, dict) and len(test) == 1:
        kind, raw = next(iter(test.items()))
        params = {"values": raw} if isinstance(raw, list) else dict(raw or {})
    else:
        raise ModelError(f"{where}: column {column!r} has a malformed test {test!r}")
    if kind not in _COLUMN_TESTS:
        raise ModelError(
            f"{where}: column {column!r}: unknown test {kind!r}; use {', '.join(_COLUMN_TESTS)}"
        )
    if kind == "relationships" and not {"to", "field"} <= params.keys():
        raise ModelError(f"{where}: relationships on {column!r} needs `to:` and `field:`")
    if kind == "accepted_values" and not isinstance(params.get("values"), list):
        raise ModelError(f"{where}: accepted_values on {column!r} needs `values: [...]`")
    severity = _severity(params, f"{where}: column {column!r} test {kind}")
    params = {key: value for key, value in params.items() if key not in ("config", "severity")}
    return ColumnTest(kind=str(kind), column=column, params=params, severity=severity)


SEVERITIES = ("error", "warn")


def _severity(test: Mapping[str, Any], where: str) -> str:
    """A test's `severity` (dbt's `config: {severity: warn}`, or `severity:` beside it).

    >>> _severity({"config": {"severity": "WARN"}}, "here")
    'warn'
    >>> _severity({}, "here")
    'error'
    """
    config = test.get("config") or {}
    if not isinstance(config, Mapping):
        raise ModelError(f"{where}: `config:` must be a mapping, e.g. {{severity: warn}}")
    value = str(config.get("severity") or test.get("severity") or "error").lower()
    if value not in SEVERITIES:
        raise ModelError(f"{where}: severity {value!r} is not one of {', '.join(SEVERITIES)}")
    return value


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


# ----------------------------------------------------------------------------- seeds


def _load_seeds(sql_dir: Path) -> Iterable[Node]:
    folder = sql_dir / SEED_LAYER
    configs, _ = _read_configs(folder / "_seeds.yml", "seeds", sql_dir, "table")
    for path in sorted(folder.glob("*.csv")):
        config = configs.get(path.stem, NodeConfig(materialized="table"))
        config = NodeConfig(**{**config.__dict__, "materialized": "table"})
        text = seed_sql(path, config.column_types, display(path, sql_dir))
        yield Node(
            name=path.stem,
            layer=SEED_LAYER,
            path=path,
            sql=text,
            ast=parse_sql(text, display(path, sql_dir)),
            config=config,
            is_seed=True,
        )


def seed_sql(path: Path, declared: Mapping[str, str], where: str) -> str:
    """BigQuery SQL that returns a seed CSV's rows with typed columns.

    Types come from `_seeds.yml` `column_types` when declared, else are inferred: INT64 when
    every value is an integer, BOOL for true/false, DATE for YYYY-MM-DD, NUMERIC for decimals
    (38 digits, 9 decimals; BigQuery refuses `NUMERIC(38, 9)` in a CAST), STRING otherwise.
    Empty cells are NULL.
    """
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows or not any(h.strip() for h in rows[0]):
        raise ModelError(f"{where}:1: a seed CSV needs a header row")
    header = [h.strip() for h in rows[0]]
    body = [r for r in rows[1:] if any(c.strip() for c in r)]
    for i, row in enumerate(body):
        if len(row) != len(header):
            raise ModelError(
                f"{where}:{i + 2}: {len(row)} values but the header has {len(header)} columns"
            )
    types = [declared.get(col) or _infer_type([r[i] for r in body]) for i, col in enumerate(header)]

    def cell(value: str, sql_type: str) -> str:
        if value == "":
            return f"cast(null as {sql_type})"
        quoted = "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return f"cast({quoted} as {sql_type})"

    if not body:
        cols = ", ".join(f"cast(null as {t}) as {c}" for c, t in zip(header, types, strict=True))
        return f"select {cols}\nlimit 0\n"
    selects = [
        "select "
        + ", ".join(f"{cell(v, t)} as {c}" for v, t, c in zip(row, types, header, strict=True))
        for row in body
    ]
    return "\nunion all\n".join(selects) + "\n"


_INT = re.compile(r"^-?\d+$")
_DEC = re.compile(r"^-?\d*\.\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _infer_type(values: list[str]) -> str:
    present = [v for v in values if v != ""]
    if not present:
        return "STRING"
    if all(_INT.match(v) for v in present):
        return "INT64"
    if all(v.lower() in ("true", "false") for v in present):
        return "BOOL"
    if all(_DATE.match(v) for v in present):
        return "DATE"
    if all(_INT.match(v) or _DEC.match(v) for v in present):
        return "NUMERIC"
    return "STRING"
