"""Where a full sync's time goes, stage by stage, against `psql \\copy` in the same run.

One run starts a temporary embedded PostgreSQL and, for each scale, seeds it (seed 0) and
measures on the 12 catalog tables:

- the reference: one psql `\\copy (select * from t) to /dev/null` of every table (warm cache);
- our COPY → Arrow extraction alone (nothing written), as `bench_sync.py` runs it;
- a full sync into a fresh DuckDB file, split by timing dlt's step calls into what happens
  before its extract step (checks, state, schema), extract (our reading + dlt writing the Arrow
  batches as load files), normalize, load (DuckDB reads the files into the raw tables) and what
  follows;
- an incremental sync after ~0.1% of the rows changed, split the same way.

Each sync runs in a child process (`bench_sync.py --child`-style, imports warmed first), so
its peak RSS is its own; its RSS is also sampled every 20 ms to show the peak of each stage
(where memory grows with the table). Scales run once each (the machine is shared: read the
ratios, which are taken within one run, rather than the seconds).

Usage: .venv/bin/python bench/profile_sync.py [--write] [--scales 1,10]
  --write   replace the "Sync, stage by stage" section of bench/RESULTS.md
"""

from __future__ import annotations

import json
import os
import platform
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench_sync import (
    CHANGE_SHARE,
    change_rows,
    fresh_home,
    on_temporary_server,
    peak_rss_mib,
    psql_copy,
    run_child,
    seed_source,
)
from results import write_section

SECTION = "## Sync, stage by stage"
STAGES = ("before", "extract", "normalize", "load", "after")


def child(args: dict[str, Any]) -> None:
    """Run one sync in this process; print its total, its stages and its peak RSS as JSON."""
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    os.environ["DLT_DATA_DIR"] = str(Path(args["home"]) / "dlt-data")
    import duckdb  # noqa: F401

    from adventure_elt.replicate.sync import sync
    from adventure_elt.settings import Settings

    steps = _time_dlt_steps()
    home = Path(args["home"])
    settings = Settings(source_dsn=args["dsn"], home=home, duckdb_path=home / "warehouse.duckdb")
    samples: list[tuple[float, float]] = []
    sampled = threading.Event()
    sampler = threading.Thread(target=_sample_rss, args=(samples, sampled), daemon=True)
    sampler.start()
    busy_before = busy_seconds()
    started = time.perf_counter()
    summary = sync(settings)
    finished = time.perf_counter()
    cpu_seconds = busy_seconds() - busy_before
    sampled.set()
    sampler.join()
    stages = {
        "before": steps["extract"][0] - started,
        "extract": _elapsed(steps["extract"]),
        "normalize": _elapsed(steps["normalize"]),
        "load": _elapsed(steps["load"]),
        "after": finished - steps["load"][1],
    }
    spans = {
        "before": (started, steps["extract"][0]),
        **{name: steps[name] for name in ("extract", "normalize", "load")},
        "after": (steps["load"][1], finished),
    }
    stage_peaks = {
        name: max((mib for at, mib in samples if begin <= at <= end), default=0.0)
        for name, (begin, end) in spans.items()
    }
    print(
        json.dumps(
            {
                "seconds": finished - started,
                "cpu_seconds": cpu_seconds,
                "stages": stages,
                "rows_read": sum(t.rows_read for t in summary.tables),
                "rows_written": summary.rows_written,
                "peak_mib": peak_rss_mib(),
                "stage_peak_mib": stage_peaks,
            }
        ),
        flush=True,
    )


def _time_dlt_steps() -> dict[str, tuple[float, float]]:
    """Record when each of dlt's steps starts and ends (`perf_counter`), by step name.

    `sync` calls extract, normalize and load one by one (it releases the warehouse around the
    last two), so dlt keeps one trace per call and the last trace holds the load only; timing
    the calls themselves gives all three.
    """
    from dlt.pipeline.pipeline import Pipeline

    steps: dict[str, tuple[float, float]] = {}
    for name in ("extract", "normalize", "load"):
        step = getattr(Pipeline, name)

        def timed(self: Any, *a: Any, _step: Any = step, _name: str = name, **kw: Any) -> Any:
            began = time.perf_counter()
            try:
                return _step(self, *a, **kw)
            finally:
                steps[_name] = (began, time.perf_counter())

        setattr(Pipeline, name, timed)
    return steps


def _sample_rss(samples: list[tuple[float, float]], done: threading.Event) -> None:
    """Append (`perf_counter`, RSS in MiB) every 20 ms until `done`."""
    page = os.sysconf("SC_PAGE_SIZE")
    statm = Path("/proc/self/statm")
    while not done.is_set():
        resident = int(statm.read_text().split()[1])
        samples.append((time.perf_counter(), resident * page / 2**20))
        time.sleep(0.02)


def _elapsed(step: tuple[float, float]) -> float:
    return step[1] - step[0]


def run_sync(dsn: str, home: Path) -> dict[str, Any]:
    """One sync in a child process of this file."""
    import subprocess

    args = json.dumps({"dsn": dsn, "home": str(home)})
    done = subprocess.run(
        [sys.executable, __file__, "--child", args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"sync child failed: {tail}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def profile_scale(dsn: str, root: Path, scale: float) -> dict[str, Any]:
    """Seed at `scale`, then measure psql, the extraction alone, a full and an incremental sync."""
    from adventure_elt.catalog import TABLES

    rows = seed_source(dsn, scale)
    names = [t.qualified_name for t in TABLES]
    psql_copy(dsn, names)  # warm the server's cache
    busy_before = busy_seconds()
    psql = psql_copy(dsn, names)
    psql_cpu = busy_seconds() - busy_before
    extract = run_child("extract", {"dsn": dsn, "home": str(fresh_home(root, "extract"))})
    home = fresh_home(root, f"sync-{scale:g}")
    full = run_sync(dsn, home)
    changed = change_rows(dsn, max(1, round(rows * CHANGE_SHARE)), 0)
    incremental = run_sync(dsn, home)
    noop = run_sync(dsn, home)
    outcome = {
        "scale": scale,
        "rows": rows,
        "psql": psql,
        "extract": extract,
        "full": full,
        "changed": changed,
        "incremental": incremental,
        "noop": noop,
        "psql_cpu": psql_cpu,
    }
    print(describe(outcome), flush=True)
    return outcome


def busy_seconds() -> float:
    """Seconds all cores spent busy since boot (user, nice, system, irq and softirq), from
    Linux's /proc/stat: the sync, the PostgreSQL server and anything else running, so a
    difference means something on a quiet machine only (idle, it counted 0.06-0.09 core-s in
    7 s here)."""
    user, nice, system, _idle, _iowait, irq, softirq = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]
    )
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def describe(o: dict[str, Any]) -> str:
    """A few lines for the terminal."""
    full, inc, noop, psql_cpu = o["full"], o["incremental"], o["noop"], o["psql_cpu"]
    cores = os.cpu_count() or 1
    return (
        f"scale {o['scale']:g}: {o['rows']:,} rows; psql {o['psql']:.2f} s;"
        f" extraction alone {o['extract']['seconds']:.2f} s\n"
        f"  full {full['seconds']:.2f} s = {full['seconds'] / o['psql']:.2f}× psql"
        f" ({_stages(full)}),"
        f" peak {full['peak_mib']:,.0f} MiB ({_peaks(full)})\n"
        f"  incremental after {o['changed']:,} changed rows {inc['seconds']:.2f} s ="
        f" {inc['seconds'] / full['seconds']:.0%} of full ({_stages(inc)}),"
        f" peak {inc['peak_mib']:,.0f} MiB ({_peaks(inc)})\n"
        f"  nothing to do {noop['seconds']:.2f} s ({_stages(noop)})\n"
        f"  CPU of the whole machine: psql {psql_cpu:.2f} core-s, full sync"
        f" {full['cpu_seconds']:.2f} ({full['cpu_seconds'] / psql_cpu:.2f}× psql's); spread"
        f" perfectly over {cores} cores, the full sync would still take"
        f" {full['cpu_seconds'] / cores / o['psql']:.2f}× psql's time"
    )


def _stages(measure: dict[str, Any]) -> str:
    """The seconds of each stage, e.g. "before 0.42, extract 5.30"."""
    return ", ".join(f"{s} {measure['stages'][s]:.2f}" for s in STAGES)


def _peaks(measure: dict[str, Any]) -> str:
    """The sampled peak RSS of each stage, e.g. "extract 550, load 600" (MiB)."""
    return ", ".join(f"{s} {measure['stage_peak_mib'][s]:,.0f}" for s in STAGES)


def write_results(outcomes: list[dict[str, Any]]) -> None:
    """Replace this script's section of bench/RESULTS.md."""
    lines = [
        SECTION,
        "",
        f"`python bench/profile_sync.py --write` on {os.cpu_count()} cores"
        f" ({platform.machine()}, Python {platform.python_version()}; shared machine, one run"
        " per scale). A full sync into a fresh DuckDB file split by timing dlt's step calls:"
        " *before* is everything up to dlt's extract step (warehouse and source checks, pipeline"
        " state, schema), *extract* is our COPY → Arrow reading plus dlt writing the batches as"
        " load files, *normalize* and *load* are dlt's steps (load: DuckDB reads the files into the"
        " raw tables), *after* is the rest of `sync()`. *reading* is the extraction alone (no dlt,"
        " nothing written), measured in the same run; *extract − reading* estimates dlt's"
        " writing. The reference is `psql \\copy (select * from t) to /dev/null` of the same 12"
        " tables.",
        "",
        "| scale | rows | sync | seconds | × psql | before | extract | (reading)"
        " | (extract − reading) | normalize | load | after | peak RSS |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        for label, m in (("full", o["full"]), ("incremental", o["incremental"])):
            s = m["stages"]
            reading = o["extract"]["seconds"] if label == "full" else None
            lines.append(
                f"| {o['scale']:g} | {o['rows']:,} | {label}"
                + (f" (~{o['changed']:,} rows changed)" if label == "incremental" else "")
                + f" | {m['seconds']:.2f} | {m['seconds'] / o['psql']:.2f}×"
                f" | {s['before']:.2f} | {s['extract']:.2f}"
                + (
                    f" | {reading:.2f} | {s['extract'] - reading:.2f}"
                    if reading is not None
                    else " | | "
                )
                + f" | {s['normalize']:.2f} | {s['load']:.2f} | {s['after']:.2f}"
                f" | {m['peak_mib']:,.0f} MiB |"
            )
    lines += [
        "",
        "psql: " + ", ".join(f"scale {o['scale']:g} {o['psql']:.2f} s" for o in outcomes) + ".",
        "",
    ]
    write_section(SECTION, "\n".join(lines))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(json.loads(sys.argv[2]))
        return
    outcomes = on_temporary_server("profile-sync-", profile_scale)
    if "--write" in sys.argv:
        write_results(outcomes)


if __name__ == "__main__":
    main()
