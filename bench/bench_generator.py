"""Benchmark the synthetic generator: rows/s to generate, and to generate + load into PostgreSQL.

Runs against a temporary embedded PostgreSQL (started here, stopped at the end). Scale 1 is the
median of 3 runs, scale 10 one run. The reference is a plain COPY of the same CSV bytes into the
same tables (truncate + COPY, no generation), measured in the same run, so the ratio says how
much of the time is the generator's own.

Usage: .venv/bin/python bench/bench_generator.py [--write]   (--write updates bench/RESULTS.md)
"""

from __future__ import annotations

import io
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from results import write_section

from adventure_elt.oltp import server
from adventure_elt.oltp.generator import generate, seed, to_csv
from adventure_elt.settings import Settings

SECTION = "## Synthetic generator"
RUNS = {1.0: 3, 10.0: 1}


def timed(action: Callable[[], object], runs: int) -> float:
    """Median wall-clock seconds of `runs` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def copy_only(dsn: str, csvs: dict[str, tuple[list[str], bytes]]) -> None:
    """The reference: truncate and COPY pre-rendered CSV, in one transaction."""
    with server.connect_to(dsn) as conn, conn.cursor() as cur:
        cur.execute("truncate " + ", ".join(csvs))
        for name, (columns, data) in csvs.items():
            cur.copy_expert(
                f"copy {name} ({', '.join(columns)}) from stdin with (format csv, header true)",
                io.BytesIO(data),
            )


def seed_once(dsn: str, scale: float) -> None:
    with server.connect_to(dsn) as conn:
        seed(conn, scale=scale, seed=0)


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="bench-generator-"))
    settings = Settings(home=home)
    dsn = server.start(settings)
    rows_out = []
    try:
        seed_once(dsn, 0.01)  # creates the schema and warms the server up
        for scale, runs in RUNS.items():
            tables = generate(scale=scale, seed=0)
            rows = sum(t.num_rows for t in tables.values())
            csvs = {name: (t.column_names, to_csv(t)) for name, t in tables.items()}
            del tables
            gen_s = timed(lambda s=scale: generate(scale=s, seed=0), runs)
            seed_s = timed(lambda s=scale: seed_once(dsn, s), runs)
            copy_s = timed(lambda c=csvs: copy_only(dsn, c), runs)
            rows_out.append((scale, runs, rows, gen_s, seed_s, copy_s))
            print(
                f"scale {scale:g}: {rows:,} rows;"
                f" generate {gen_s:.2f}s ({rows / gen_s:,.0f} rows/s);"
                f" generate+load {seed_s:.2f}s ({rows / seed_s:,.0f} rows/s);"
                f" COPY-only reference {copy_s:.2f}s ({rows / copy_s:,.0f} rows/s)",
                flush=True,
            )
    finally:
        server.stop(settings)
    if "--write" in sys.argv:
        write_results(rows_out)


def write_results(rows: list[tuple[float, int, int, float, float, float]]) -> None:
    """Replace this benchmark's section of bench/RESULTS.md, keeping the others."""
    lines = [
        SECTION,
        "",
        f"`python bench/bench_generator.py --write` on {os.cpu_count()} cores"
        f" ({platform.machine()}, Python {platform.python_version()}), embedded PostgreSQL"
        " (pgserver), seed 0; scale 1 = median of 3 runs, scale 10 = 1 run. *generate* is"
        " `generate()` into Arrow tables; *generate+load* is `seed()` (generate, truncate, COPY in"
        " load order with every primary key, index and foreign key in force); the reference is a"
        " COPY of the same CSV bytes (truncate + COPY, no generation) in the same run. Loading is"
        " PostgreSQL-bound (key checks and index upkeep): generating costs a few percent of it.",
        "",
        "| scale | rows | generate | rows/s | generate+load | rows/s | COPY-only reference |"
        " load / reference |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scale, _runs, count, gen_s, seed_s, copy_s in rows:
        lines.append(
            f"| {scale:g} | {count:,} | {gen_s:.2f} s | {count / gen_s:,.0f} | {seed_s:.2f} s"
            f" | {count / seed_s:,.0f} | {copy_s:.2f} s | {seed_s / copy_s:.2f}× |"
        )
    lines.append("")
    write_section(SECTION, "\n".join(lines))


if __name__ == "__main__":
    main()
