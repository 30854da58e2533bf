"""Benchmark the transform runner: a full transform at scale 10 against the same SQL run directly.

The synthetic generator's scale-10 tables are written straight into a DuckDB raw layer following
the raw contract (integers BIGINT, numerics DECIMAL(38,9), text VARCHAR, bytes BLOB, naive
TIMESTAMP, plus `_extracted_at`, `_dlt_load_id`, `_dlt_id`), then copied to a second file, so
both contestants start from identical raw data:

- *runner*: `transform(settings, full_refresh=True)`: load and parse the project, lint, compile,
  build every seed and model in order (views, tables, incremental models rebuilt), counting rows;
- *direct*: the very SQL the runner compiles, compiled beforehand, run as `create or replace
  view|table … as <sql>` statements in build order on one DuckDB connection.

The ratio runner / direct is the runner's overhead. Runs alternate (runner, direct, …) so load
from other processes hits both alike; each figure is the median of 3. Also measured: the runner's
incremental re-run when nothing changed (the merge finds no changed rows).

Usage: .venv/bin/python bench/bench_transform.py [--scale 10] [--write]
       (--write replaces the "Transforms" section of bench/RESULTS.md)
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
from results import write_section

from adventure_elt.catalog import get_table
from adventure_elt.oltp.generator import generate
from adventure_elt.settings import Settings
from adventure_elt.transform import transform
from adventure_elt.transform.compile import compile_node
from adventure_elt.transform.dag import build_dag
from adventure_elt.transform.project import load_project

SECTION = "## Transforms"
RUNS = 3


def duckdb_type(arrow_type: pa.DataType) -> str:
    """The raw contract's DuckDB type for a generator column."""
    if pa.types.is_integer(arrow_type):
        return "BIGINT"
    if pa.types.is_decimal(arrow_type):
        return "DECIMAL(38, 9)"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP"
    if pa.types.is_binary(arrow_type):
        return "BLOB"
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    return "VARCHAR"


def load_raw(path: Path, scale: float) -> int:
    """Write the generator's tables into `raw.<schema>_<table>`; returns the rows written."""
    tables = generate(scale=scale, seed=0)
    rows = 0
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists raw")
        for name, table in tables.items():
            raw_name = get_table(name).raw_name
            columns = ", ".join(
                f'cast("{f.name}" as {duckdb_type(f.type)}) as "{f.name}"' for f in table.schema
            )
            con.register("incoming", table)
            con.execute(
                f"create or replace table raw.{raw_name} as select {columns},"
                " now() as _extracted_at, 'bench' as _dlt_load_id,"
                " cast(uuid() as varchar) as _dlt_id from incoming"
            )
            con.unregister("incoming")
            rows += table.num_rows
    return rows


def compiled_plan() -> list[tuple[str, str]]:
    """`create or replace …` statements, in build order, with the runner's own compiled SQL."""
    project = load_project()
    statements = []
    for key in build_dag(project).order():
        node = project.nodes[key]
        relation = f'"{node.layer}"."{node.name}"'
        sql = compile_node(node, "duckdb", lambda layer, name: f'"{layer}"."{name}"')
        kind = "view" if node.materialized == "view" else "table"
        statements.append((node.layer, f"create or replace {kind} {relation} as\n{sql}"))
    return statements


def run_direct(path: Path, plan: list[tuple[str, str]]) -> None:
    with duckdb.connect(str(path)) as con:
        for layer in sorted({layer for layer, _ in plan}):
            con.execute(f'create schema if not exists "{layer}"')
        for _, statement in plan:
            con.execute(statement)


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds of this process: every DuckDB thread included)."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def median(times: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-transform-"))
    try:
        runner_db, direct_db = work / "runner.duckdb", work / "direct.duckdb"
        started = time.perf_counter()
        rows = load_raw(runner_db, args.scale)
        settings = Settings(duckdb_path=runner_db, home=work / "home")
        # one untimed build: creates raw.web_events (the stream's table) and warms the caches
        summary = transform(settings, full_refresh=True)
        fact_rows = next(m.rows for m in summary.models if m.model == "marts.fct_sales")
        shutil.copy(runner_db, direct_db)
        plan = compiled_plan()
        print(
            f"scale {args.scale:g}: {rows:,} raw rows, fct_sales {fact_rows:,} rows;"
            f" prepared in {time.perf_counter() - started:.1f}s",
            flush=True,
        )
        runner: list[tuple[float, float]] = []
        direct: list[tuple[float, float]] = []
        incremental: list[tuple[float, float]] = []
        for i in range(RUNS):
            runner.append(timed(lambda: transform(settings, full_refresh=True)))
            direct.append(timed(lambda: run_direct(direct_db, plan)))
            incremental.append(timed(lambda: transform(settings)))
            print(
                f"run {i + 1} (wall/cpu s): runner {fmt(runner[-1])}, direct {fmt(direct[-1])},"
                f" incremental re-run {fmt(incremental[-1])}",
                flush=True,
            )
        result = Result(
            args.scale,
            rows,
            int(fact_rows or 0),
            len(plan),
            median(runner),
            median(direct),
            median(incremental),
            os.getloadavg()[0],
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"median of {RUNS} (wall/cpu s): runner {fmt(result.runner)}, direct {fmt(result.direct)},"
        f" overhead ratio {result.ratio(0):.2f}× wall, {result.ratio(1):.2f}× cpu;"
        f" incremental re-run {fmt(result.incremental)}; load average {result.load:.1f}"
    )
    if args.write:
        write_results(result)


def seconds(times: tuple[float, float]) -> str:
    return f"{times[0]:.2f} s / {times[1]:.2f} s"


def fmt(times: tuple[float, float]) -> str:
    return f"{times[0]:.2f}/{times[1]:.2f}"


@dataclass(frozen=True)
class Result:
    """The medians of one benchmark run."""

    scale: float
    rows: int
    fact_rows: int
    nodes: int
    runner: tuple[float, float]
    direct: tuple[float, float]
    incremental: tuple[float, float]
    load: float

    def ratio(self, index: int) -> float:
        """runner / direct: 0 = wall clock, 1 = CPU."""
        return self.runner[index] / self.direct[index]


def write_results(r: Result) -> None:
    """Replace this benchmark's section of bench/RESULTS.md, keeping the others."""
    lines = [
        SECTION,
        "",
        f"`python bench/bench_transform.py --write` on {os.cpu_count()} cores"
        f" ({platform.machine()}, Python {platform.python_version()}, DuckDB"
        f" {duckdb.__version__}); median of {RUNS} alternating runs. Raw layer: the synthetic"
        f" generator at scale {r.scale:g} (seed 0) written straight into DuckDB per the raw"
        " contract. *runner* is `transform(full_refresh=True)` (load, parse, lint, compile, build"
        f" the {r.nodes} seeds and models, count rows); *direct* runs the same compiled SQL as"
        " `create or replace view|table` statements on one connection. The ratio is the"
        " runner's overhead. *incremental* is the runner's re-run with nothing changed (every"
        " incremental model computes its changed rows and merges none). Each cell is wall"
        " clock / CPU seconds of the process (all DuckDB threads); the machine was shared"
        f" (1-minute load average {r.load:.1f} on {os.cpu_count()} cores at the end), so the"
        " CPU ratio is the steadier measure of the overhead.",
        "",
        "| scale | raw rows | fct_sales rows | runner (wall / CPU) | direct SQL (wall / CPU) |"
        " runner / direct (wall, CPU) | incremental re-run (wall / CPU) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {r.scale:g} | {r.rows:,} | {r.fact_rows:,} | {seconds(r.runner)}"
        f" | {seconds(r.direct)} | {r.ratio(0):.2f}×, {r.ratio(1):.2f}×"
        f" | {seconds(r.incremental)} |",
        "",
    ]
    write_section(SECTION, "\n".join(lines))


if __name__ == "__main__":
    main()
