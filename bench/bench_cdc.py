"""Log-based replication (`cdc start`): commit-to-visible latency and backlog throughput.

Run: `python bench/bench_cdc.py [--seconds 60] [--backlog 1000000] [--write]` (`--backlog 0`
measures the latency and its dlt reference only).

- *Latency*: `adventure-elt cdc start` runs as its own process on a fresh source (the embedded
  PostgreSQL) and DuckDB file. This process commits 10 transactions a second of 100 changed rows
  each (50 inserted cards, 50 updated) — 1,000 changed rows/s — and polls the raw table
  read-only every 100 ms on average (a new connection each time, as the dashboard does). A
  transaction's latency is from its commit returning to the first poll that sees its last
  insert (the stream applies in commit order). Aim: p99 ≤ 2 s.
- *Backlog*: with the stream stopped, `--backlog` changes are made (updates of every order line,
  repeated), then `cdc start` (in this process) is timed until it has applied them all.
- *References* in the same run: an incremental `sync` of one table with 100 changed rows — the
  floor of a micro-batch that would go through the dlt pipeline instead of the adapter — and a
  `sync --full-refresh` of the order lines (rows/s of the dlt path, for the backlog's changes/s).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb

from adventure_elt.oltp import generator, server
from adventure_elt.replicate.cdc import parse_lsn
from adventure_elt.replicate.cdc.stream import CdcStream
from adventure_elt.replicate.sync import sync
from adventure_elt.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from results import write_section

ROWS_PER_COMMIT = 100
COMMITS_PER_SECOND = 10
FIRST_CARD = 10_000_000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def fresh_source(home: Path, scale: float) -> Settings:
    """A seeded source database on the embedded server under `home`, and a DuckDB path."""
    settings = Settings(home=home, duckdb_path=home / "warehouse.duckdb")
    dsn = server.start(settings)
    with server.connect_to(dsn) as conn:
        generator.seed(conn, scale=scale, seed=0)
    return Settings(
        home=home, duckdb_path=home / "warehouse.duckdb", source_dsn=dsn, cdc_slot="bench"
    )


def latency(settings: Settings, seconds: float) -> tuple[list[float], int]:
    """Per-transaction commit-to-visible seconds at 1,000 changed rows/s, and rows changed."""
    assert settings.source_dsn is not None
    env = {**os.environ, "ADVENTURE_ELT_CDC_SLOT": settings.cdc_slot}
    log = settings.home / "cdc.stderr"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "adventure_elt",
                "--source-dsn",
                settings.source_dsn,
                "--duckdb-path",
                str(settings.duckdb_path),
                "--home",
                str(settings.home),
                "cdc",
                "start",
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
        )
    while "cdc: streaming" not in log.read_text():
        if proc.poll() is not None:
            raise SystemExit(log.read_text())
        time.sleep(0.1)
    committed: dict[int, float] = {}  # last card id of a transaction → when its commit returned
    seen: dict[int, float] = {}
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set() or len(seen) < len(committed):
            try:
                with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
                    row = con.execute(
                        "select max(creditcardid) from raw.sales_creditcard"
                    ).fetchone()
            except duckdb.IOException:
                row = None  # the writer holds the file for a moment
            now = time.perf_counter()
            newest = int(row[0]) if row and row[0] is not None else 0
            for last, _ in list(committed.items()):
                if last <= newest and last not in seen:
                    seen[last] = now
            time.sleep(random.uniform(0.05, 0.15))

    reader = threading.Thread(target=poll)
    reader.start()
    card = FIRST_CARD
    with server.connect_to(settings.source_dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "select creditcardid from sales.creditcard where creditcardid < %s", (FIRST_CARD,)
        )
        existing = [r[0] for r in cur.fetchall()]
        conn.commit()
        started = time.perf_counter()
        for n in range(int(seconds * COMMITS_PER_SECOND)):
            due = started + n / COMMITS_PER_SECOND
            time.sleep(max(0.0, due - time.perf_counter()))
            half = ROWS_PER_COMMIT // 2
            cur.execute(
                "insert into sales.creditcard select id, 'Vista', 'bench-' || id, 5, 2030, now()"
                " from generate_series(%s, %s) as id",
                (card + 1, card + half),
            )
            cur.execute(
                "update sales.creditcard set expmonth = expmonth %% 12 + 1, modifieddate = now()"
                " where creditcardid = any(%s)",
                (random.sample(existing, half),),
            )
            conn.commit()
            card += half
            committed[card] = time.perf_counter()
    stop.set()
    reader.join(120)
    proc.send_signal(signal.SIGTERM)
    proc.wait(120)
    delays = [seen[k] - committed[k] for k in committed if k in seen]
    return delays, len(committed) * ROWS_PER_COMMIT


def dlt_micro_batch(settings: Settings) -> float:
    """Seconds of one incremental `sync` of one table with 100 changed rows (median of 3)."""
    assert settings.source_dsn is not None
    times = []
    for _ in range(3):
        with server.connect_to(settings.source_dsn) as conn, conn.cursor() as cur:
            cur.execute(
                "update sales.creditcard set modifieddate = now() where creditcardid in"
                " (select creditcardid from sales.creditcard order by random() limit 100)"
            )
        started = time.perf_counter()
        sync(settings, tables="sales.creditcard")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def backlog(settings: Settings, changes: int) -> tuple[int, float]:
    """Changes made while the stream is stopped, and seconds `cdc start` takes to apply them."""
    assert settings.source_dsn is not None
    made = 0
    with server.connect_to(settings.source_dsn) as conn, conn.cursor() as cur:
        while made < changes:
            cur.execute(
                "update sales.salesorderdetail set unitpricediscount = unitpricediscount,"
                " modifieddate = now() where salesorderid in (select salesorderid from"
                " sales.salesorderheader order by salesorderid limit %s)",
                (max(1, (changes - made) // 2),),
            )
            made += cur.rowcount
            conn.commit()
        cur.execute("select pg_current_wal_lsn()::text")
        row = cur.fetchone()
        assert row is not None
        target = parse_lsn(str(row[0]))
    done = threading.Event()
    stream = CdcStream(settings)

    def check(summary: object) -> None:
        applied = getattr(summary, "applied_lsn", None)
        if applied is not None and parse_lsn(applied) >= target:
            done.set()
            stream.request_stop()

    stream.on_batch = check
    started = time.perf_counter()
    summary = stream.run()
    seconds = time.perf_counter() - started
    assert done.is_set() and summary.changes >= made, (summary.changes, made)
    return made, seconds


def full_refresh_rate(settings: Settings) -> float:
    """Rows/s of `sync --full-refresh` of the order lines (the dlt path)."""
    started = time.perf_counter()
    summary = sync(settings, tables="sales.salesorderdetail", full_refresh=True)
    return summary.tables[0].rows_read / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--backlog", type=int, default=1_000_000)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--write", action="store_true", help="record in bench/RESULTS.md")
    options = parser.parse_args()
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    with tempfile.TemporaryDirectory(prefix="bench-cdc-") as folder:
        home = Path(folder)
        os.environ.setdefault("DLT_DATA_DIR", str(home / "dlt-data"))
        load_at_start = os.getloadavg()[0]
        settings = fresh_source(home, options.scale)
        try:
            delays, rows = latency(settings, options.seconds)
            micro = dlt_micro_batch(settings)
            if options.backlog:
                made, seconds = backlog(settings, options.backlog)
                reference = full_refresh_rate(settings)
        finally:
            with server.connect_to(str(settings.source_dsn), autocommit=True) as conn:
                from adventure_elt.replicate.cdc import drop_slot

                drop_slot(conn, settings.cdc_slot)
            server.stop(settings)
    p50, p99 = percentile(delays, 0.5), percentile(delays, 0.99)
    lines = [
        f"- latency: {len(delays)} transactions, {rows:,} changed rows in {options.seconds:.0f} s:"
        f" p50 {p50 * 1000:,.0f} ms, p99 {p99 * 1000:,.0f} ms, max {max(delays) * 1000:,.0f} ms"
        f" (aim p99 ≤ 2,000 ms: {'met' if p99 <= 2 else 'NOT met'})",
        f"- one incremental dlt `sync` of 100 changed rows (the dlt route's micro-batch floor):"
        f" {micro * 1000:,.0f} ms = {micro / p50:.1f}× the cdc p50",
    ]
    if options.backlog:
        lines.append(
            f"- backlog: {made:,} changes applied in {seconds:.1f} s ="
            f" {made / seconds:,.0f} changes/s;"
            f" `sync --full-refresh` of the order lines in the same run: {reference:,.0f} rows/s"
            f" (backlog / full refresh = {made / seconds / reference:.2f}×)"
        )
    print("\n".join(lines))
    if options.write:
        load = os.getloadavg()[0]
        write_section(
            "## Log-based replication (cdc)",
            "## Log-based replication (cdc)\n\n"
            f"`python bench/bench_cdc.py --seconds {options.seconds:.0f} --backlog"
            f" {options.backlog} --scale {options.scale} --write` on 2 cores ({platform.machine()},"
            f" Python {platform.python_version()}, DuckDB {duckdb.__version__}), embedded"
            f" PostgreSQL, default batch bounds (10,000 changes or 200 ms). 1-minute load average"
            f" {load_at_start:.1f} at the start, {load:.1f} at the end (2 cores shared with other"
            " test suites: wall-clock figures are inflated by that much). See the script's"
            " docstring for what is measured.\n\n" + "\n".join(lines) + "\n",
        )


if __name__ == "__main__":
    main()
