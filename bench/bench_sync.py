"""Benchmark `sync` against `psql \\copy` and against dlt's own `sql_database` source.

One run starts a temporary embedded PostgreSQL, seeds it at scale 1 and then scale 10, and
measures, on the 12 catalog tables:

- the reference: `psql -c "\\copy (select * from t) to /dev/null"` for every table, one psql;
- our full sync into a fresh DuckDB file;
- dlt's `sql_database` source (what a user would write instead) with the backends
  `sqlalchemy` (dlt's default; scale 1 only, it is slow), `pyarrow` and `connectorx`;
- an incremental sync after `oltp activity` changed ~0.1% of the rows (scale 1: three rounds);
- the peak RSS of each sync process.

Every sync and every dlt run happens in its own child process (this file with `--child`), so
the peak memory is that run's alone; the time is taken inside the child around the call
(imports are warmed up before the clock starts; the process wall time is printed as well).
Scale 1 is the median of 3 runs; scale 10 runs once.

Usage: .venv/bin/python bench/bench_sync.py [--write] [--quick] [--scales 1,10]
  --write   replace the "Replication (sync)" section of bench/RESULTS.md
  --quick   skip dlt's default (sqlalchemy) backend, the slowest row
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from results import write_section

SECTION = "## Replication (sync)"
RUNS = {1.0: 3, 10.0: 1}
# The share of rows the incremental rounds change, as the issue asks.
CHANGE_SHARE = 0.001
BACKENDS = ("sqlalchemy", "pyarrow", "connectorx")
T = TypeVar("T")


# --------------------------------------------------------------------------- child process


def child(kind: str, args: dict[str, Any]) -> None:
    """Run one measured job in this (fresh) process and print a JSON line with its figures."""
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    os.environ["DLT_DATA_DIR"] = str(Path(args["home"]) / "dlt-data")
    # Warm imports: not part of the measured time.
    import dlt
    import duckdb  # noqa: F401

    from adventure_elt.catalog import TABLES

    started = time.perf_counter()
    extra: dict[str, Any] = {}
    if kind == "sync":
        from adventure_elt.replicate.sync import sync
        from adventure_elt.settings import Settings

        settings = Settings(
            source_dsn=args["dsn"],
            home=Path(args["home"]),
            duckdb_path=Path(args["home"]) / "warehouse.duckdb",
        )
        summary = sync(settings)
        extra["rows_read"] = sum(t.rows_read for t in summary.tables)
        extra["rows_written"] = summary.rows_written
    elif kind == "extract":
        extra["rows_read"] = extract_only(args["dsn"])
    else:
        from dlt.sources.sql_database import sql_database

        backend = args["backend"]
        names = args.get("tables") or [t.qualified_name for t in TABLES]
        by_schema: dict[str, list[str]] = {}
        for name in names:
            schema, table = name.split(".")
            by_schema.setdefault(schema, []).append(table)
        # SQLAlchemy 2.1 picks psycopg 3 for plain postgresql://; psycopg2 is what is installed.
        credentials = args["dsn"].replace("postgresql://", "postgresql+psycopg2://", 1)
        pipeline = dlt.pipeline(
            pipeline_name=f"bench_{backend}",
            pipelines_dir=str(Path(args["home"]) / "dlt"),
            destination=dlt.destinations.duckdb(str(Path(args["home"]) / "dlt_sql.duckdb")),
            dataset_name="raw",
            progress=None,
        )
        backend_kwargs = {"conn": connectorx_url(args["dsn"])} if backend == "connectorx" else {}
        sources = [
            sql_database(
                credentials,
                schema=schema,
                table_names=tables,
                backend=backend,
                backend_kwargs=backend_kwargs,
            )
            for schema, tables in by_schema.items()
        ]
        pipeline.run(sources)
        extra["rows_read"] = sum(pipeline.last_trace.last_normalize_info.row_counts.values())
    seconds = time.perf_counter() - started
    peak_mib = max(peak_rss_mib(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    print(json.dumps({"seconds": seconds, "peak_mib": peak_mib, **extra}), flush=True)


def peak_rss_mib() -> float:
    """This process's own peak RSS (`VmHWM`), in MiB.

    Not `ru_maxrss`: Linux keeps it across `execve`, so a child started by this script reports
    at least the parent's high-water mark at the fork — the parent that seeded the source,
    which inflated the peaks recorded before 2026-12-03 (bench/RESULTS.md).
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def connectorx_url(dsn: str) -> str:
    """connectorx cannot parse `?host=/socket/dir`; it takes the socket folder percent-encoded."""
    from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

    parts = urlsplit(dsn)
    host = parse_qs(parts.query).get("host", [""])[0]
    if not host.startswith("/"):
        return dsn
    user = parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else ""
    netloc = f"{user}@{quote(host, safe='')}" if user else quote(host, safe="")
    return urlunsplit(parts._replace(netloc=netloc, query=""))


def extract_only(dsn: str) -> int:
    """Our COPY → Arrow extraction of the 12 tables alone (no dlt, nothing written)."""
    import psycopg2.extensions

    from adventure_elt.catalog import TABLES
    from adventure_elt.oltp import server
    from adventure_elt.replicate.extract import read_batches, source_columns

    rows = 0
    with server.connect_to(dsn) as conn:
        conn.set_session(
            isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True
        )
        with conn.cursor() as cur:
            cur.execute("set datestyle = 'ISO, YMD'; set bytea_output = 'hex'")
        for table in TABLES:
            for batch in read_batches(conn, table, source_columns(conn, table)):
                rows += batch.num_rows
    return rows


# --------------------------------------------------------------------------- parent process


@dataclass
class Measure:
    """One measured figure: median seconds over runs, peak RSS and rows moved."""

    seconds: float
    runs: int
    peak_mib: float = 0.0
    rows: int = 0
    process_seconds: float = 0.0
    note: str = ""


@dataclass
class ScaleResult:
    scale: float
    rows: int
    psql: Measure
    full: Measure
    incremental: Measure | None = None
    extract: Measure | None = None
    changed_rows: int = 0
    backends: dict[str, Measure | str] = field(default_factory=dict)


def run_child(kind: str, args: dict[str, Any]) -> dict[str, Any]:
    """Start this file as a child running one job; its JSON line plus the process wall time."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, json.dumps(args)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"{kind} child failed: {tail}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_seconds"] = wall
    return result


def psql_path() -> Path:
    import pgserver

    return Path(pgserver.__file__).parent / "pginstall" / "bin" / "psql"


def psql_copy(dsn: str, tables: list[str]) -> float:
    """Seconds for one psql to `\\copy` every table to /dev/null."""
    commands: list[str] = []
    for table in tables:
        commands += ["-c", f"\\copy (select * from {table}) to '/dev/null'"]
    started = time.perf_counter()
    subprocess.run(
        [str(psql_path()), "-X", "-q", "-v", "ON_ERROR_STOP=1", dsn, *commands],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def fresh_home(root: Path, label: str) -> Path:
    home = root / label
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    return home


def full_sync(dsn: str, root: Path, label: str) -> tuple[dict[str, Any], Path]:
    home = fresh_home(root, label)
    return run_child("sync", {"dsn": dsn, "home": str(home)}), home


def median_measure(results: list[dict[str, Any]]) -> Measure:
    return Measure(
        seconds=statistics.median(r["seconds"] for r in results),
        runs=len(results),
        peak_mib=max(r["peak_mib"] for r in results),
        rows=int(results[0].get("rows_read", 0)),
        process_seconds=statistics.median(r["process_seconds"] for r in results),
    )


def change_rows(dsn: str, target: int, round_index: int) -> int:
    """Run `oltp activity` (no waiting) until about `target` source rows were written."""
    from adventure_elt.oltp import server
    from adventure_elt.oltp.activity import run_activity

    changed = 0
    seed = 1000 * (round_index + 1)
    with server.connect_to(dsn) as conn:
        while changed < target:
            # One tick is one new order plus its side changes (~10 rows); 10 ticks a step.
            counts = run_activity(
                conn, orders_per_minute=60, duration=timedelta(seconds=10), seed=seed, wait=False
            )
            changed += sum(counts.as_dict().values())
            seed += 1
    return changed


def seed_source(dsn: str, scale: float) -> int:
    """Fill the source at `scale` (seed 0), vacuum and analyze it; returns its row count."""
    from adventure_elt.oltp import server
    from adventure_elt.oltp.generator import seed
    from adventure_elt.oltp.schema import row_counts

    with server.connect_to(dsn) as conn:
        seed(conn, scale=scale, seed=0)
    with server.connect_to(dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("vacuum analyze")
    with server.connect_to(dsn) as conn:
        rows = sum(row_counts(conn).values())
    return rows


def bench_scale(dsn: str, root: Path, scale: float, runs: int, quick: bool) -> ScaleResult:
    from adventure_elt.catalog import TABLES

    rows = seed_source(dsn, scale)
    names = [t.qualified_name for t in TABLES]
    print(f"scale {scale:g}: {rows:,} rows", flush=True)

    psql_copy(dsn, names)  # warm the server's cache, as every later reader finds it
    psql_s = [psql_copy(dsn, names) for _ in range(runs)]
    psql = Measure(statistics.median(psql_s), runs, rows=rows)
    print(f"  psql \\copy        {psql.seconds:6.2f} s  {rows / psql.seconds:>11,.0f} rows/s")

    fulls = []
    sync_home = root
    for index in range(runs):
        result, sync_home = full_sync(dsn, root, f"sync-{scale:g}-{index}")
        fulls.append(result)
    full = median_measure(fulls)
    report("our full sync", full, rows, psql)

    outcome = ScaleResult(scale, rows, psql, full)
    home = fresh_home(root, f"extract-{scale:g}")
    outcome.extract = median_measure(
        [run_child("extract", {"dsn": dsn, "home": str(home)}) for _ in range(runs)]
    )
    report("extraction only", outcome.extract, rows, psql)
    for backend in BACKENDS:
        if backend == "sqlalchemy" and (quick or scale != 1.0):
            continue
        backend_runs = 1 if backend == "sqlalchemy" else runs
        try:
            if backend == "connectorx":
                import connectorx  # noqa: F401
            measured = []
            for index in range(backend_runs):
                home = fresh_home(root, f"dlt-{backend}-{scale:g}-{index}")
                measured.append(
                    run_child("dlt", {"dsn": dsn, "home": str(home), "backend": backend})
                )
            backend_measure = median_measure(measured)
            outcome.backends[backend] = backend_measure
            report(f"dlt {backend}", backend_measure, rows, psql)
        except (ImportError, RuntimeError) as exc:
            outcome.backends[backend] = f"not measured: {str(exc)[:160]}"
            print(f"  dlt {backend:<13} {outcome.backends[backend]}")
    # Incremental: rounds of ~0.1% changes, each followed by a sync of the last full sync's home.
    target = max(1, round(rows * CHANGE_SHARE))
    incs = []
    for index in range(runs):
        outcome.changed_rows = change_rows(dsn, target, index)
        incs.append(run_child("sync", {"dsn": dsn, "home": str(sync_home)}))
    outcome.incremental = median_measure(incs)
    inc = outcome.incremental
    print(
        f"  incremental       {inc.seconds:6.2f} s  after ~{outcome.changed_rows:,} changed rows;"
        f" {inc.seconds / full.seconds:.2f}× the full sync, peak {inc.peak_mib:,.0f} MiB"
    )

    return outcome


def report(label: str, measure: Measure, rows: int, psql: Measure) -> None:
    print(
        f"  {label:<17} {measure.seconds:6.2f} s  {rows / measure.seconds:>11,.0f} rows/s"
        f"  {measure.seconds / psql.seconds:5.1f}× psql time ({psql.seconds / measure.seconds:.0%}"
        f" of its speed), peak {measure.peak_mib:,.0f} MiB,"
        f" process {measure.process_seconds:.2f} s",
        flush=True,
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], json.loads(sys.argv[3]))
        return
    quick = "--quick" in sys.argv
    outcomes = on_temporary_server(
        "bench-sync-",
        lambda dsn, root, scale: bench_scale(dsn, root, scale, RUNS.get(scale, 1), quick),
    )
    if "--write" in sys.argv:
        write_results(outcomes)


def on_temporary_server(prefix: str, measure: Callable[[str, Path, float], T]) -> list[T]:
    """`measure(dsn, root, scale)` for each scale of `--scales` (default 1,10) on a temporary
    embedded PostgreSQL, stopped and removed afterwards."""
    from adventure_elt.oltp import server
    from adventure_elt.settings import Settings

    scales = [1.0, 10.0]
    if "--scales" in sys.argv:
        scales = [float(s) for s in sys.argv[sys.argv.index("--scales") + 1].split(",")]
    root = Path(tempfile.mkdtemp(prefix=prefix))
    settings = Settings(home=root / "server")
    dsn = server.start(settings)
    try:
        return [measure(dsn, root, scale) for scale in scales]
    finally:
        server.stop(settings)
        shutil.rmtree(root, ignore_errors=True)


def write_results(outcomes: list[ScaleResult]) -> None:
    """Replace this benchmark's section of bench/RESULTS.md, keeping the others."""
    lines = [
        SECTION,
        "",
        f"`python bench/bench_sync.py --write` on {os.cpu_count()} cores ({platform.machine()},"
        f" Python {platform.python_version()}; a shared, noisy machine: expect ±15% between runs),"
        " embedded PostgreSQL (pgserver, unix socket), seed 0, the 12 catalog tables into a fresh"
        " DuckDB file. Scale 1 = median of 3 runs, scale 10 = 1 run. The reference is"
        " `psql \\copy (select * from t) to /dev/null` of the same 12 tables in the same run"
        " (one psql process, warm cache). Times are taken inside a child process around the"
        " call (imports warmed first); *peak* is that process's RSS high-water mark. dlt's"
        " `sql_database` rows are what a user would write instead (`sql_database(dsn, schema=…,"
        " table_names=…, backend=…)`, default `append` into DuckDB, one source per schema).",
        "",
        "| scale | rows | what | seconds | rows/s | time vs psql \\copy | speed vs psql"
        " | peak RSS |",
        "|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.scale:g} | {o.rows:,} | psql `\\copy` (reference) | {o.psql.seconds:.2f}"
            f" | {o.rows / o.psql.seconds:,.0f} | 1.00× | 100% | – |"
        )
        rows: list[tuple[str, Measure | str]] = [
            ("**adventure-elt sync** (full, fresh DuckDB)", o.full)
        ]
        if o.extract is not None:
            rows.append(("its COPY → Arrow extraction alone (no dlt, nothing written)", o.extract))
        for backend in BACKENDS:
            if backend in o.backends:
                rows.append((f"dlt `sql_database`, backend `{backend}`", o.backends[backend]))
        for label, m in rows:
            if isinstance(m, str):
                lines.append(f"| {o.scale:g} | {o.rows:,} | {label} | {m} | | | | |")
                continue
            lines.append(
                f"| {o.scale:g} | {o.rows:,} | {label} | {m.seconds:.2f}"
                f" | {o.rows / m.seconds:,.0f}"
                f" | {m.seconds / o.psql.seconds:.2f}× | {o.psql.seconds / m.seconds:.0%}"
                f" | {m.peak_mib:,.0f} MiB |"
            )
    lines += [
        "",
        "| scale | incremental sync after ~0.1% of rows changed | seconds | vs full sync"
        " | peak RSS |",
        "|---:|---|---:|---:|---:|",
    ]
    for o in outcomes:
        if o.incremental is not None:
            m = o.incremental
            lines.append(
                f"| {o.scale:g} | `oltp activity` wrote ~{o.changed_rows:,} rows"
                f" ({o.changed_rows / o.rows:.2%}) | {m.seconds:.2f}"
                f" | {m.seconds / o.full.seconds:.2f}×"
                f" | {m.peak_mib:,.0f} MiB |"
            )
    lines += ["", NOTES, ""]
    write_section(SECTION, "\n".join(lines))


NOTES = """\
**Against the aim (half the speed of `psql \\copy`, i.e. at most 2× its time): not reached.**
What limits it, in order:

- *The extraction alone is already near the aim.* PostgreSQL formats the same rows as CSV for
  us as for psql, and parsing them into typed Arrow columns (decimals, timestamps) costs about
  as much again on the same 2 cores: the "extraction alone" row is the ceiling for any design
  that reads through COPY, before anything is written.
- *dlt's stages run one after another, each over all rows:* extract (Arrow → parquet files),
  normalize, load (DuckDB reads the parquet into the raw tables). Nothing overlaps, so their
  times add up; at scale 10 writing parquet and DuckDB's insert together cost about as much as
  the extraction.
- *Fixed costs of about 1 s per run* whatever the size: dlt's configuration resolution (hundreds
  of look-ups), state sync with the destination, the schema, 12 resources, and at the end an
  import of SQLAlchemy that dlt does to print the DuckDB credentials. At scale 1 (psql: ~0.2 s)
  these alone rule out the aim, and they are most of an incremental sync.
- The machine: 2 cores shared with other work (load average 1–10 during these runs), so every
  figure here is noisy; the ratios within one run are more trustworthy than the absolute times.

What was done, measured back to back on the same data at a quiet moment (the old code put back
by monkeypatching, same process layout): full sync at scale 1 3.38 s → 1.98 s (median of 3), at
scale 10 11.17 s → 5.91 s, peak RSS at scale 10 1,286 → 1,089 MiB. (The first run of this bench,
before the changes and under a much heavier load — psql took 3.00 s at scale 10 — measured
18.1× / 12.9× psql at scale 1 / 10, and incremental 0.94× / 0.20× of the full sync.) The
changes: `_dlt_id` is made while extracting (one vectorised call per batch) instead of by dlt's
normalizer, so parquet files are no longer rewritten in normalize; a table whose raw table is
empty (first sync) is loaded with `append` instead of a merge through a staging table (a resumed
load removes any rows a re-run job appended twice), and is not compared with raw; uncompressed
parquet for the temporary files; dlt's DuckDB credentials passed as an object (a string is
parsed with SQLAlchemy); completed load packages are deleted instead of piling up. Not done
yet: one shared read-only DuckDB connection for the 12 comparisons of an incremental sync
(~20 ms each), reading two tables at once on two connections sharing one snapshot
(`pg_export_snapshot`), and overlapping extraction with loading, which dlt's staged
design does not offer."""


if __name__ == "__main__":
    main()
