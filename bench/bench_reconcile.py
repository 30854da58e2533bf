"""Benchmark `reconcile` of a clean warehouse: fingerprints first, against every row's hash.

One run starts a temporary embedded PostgreSQL and, for each scale, seeds it (seed 0), runs a
full sync into a fresh DuckDB file and then times, alternating, `reconcile` as it is (each table's
fingerprint on both sides, agreeing) and the reference: the same call with the fingerprint
step skipped, so every row's `(key, hash)` is sent and joined — what `reconcile` did before the
fingerprints. Both run in this process on the same warehouse; the median of `--runs` each.

Usage: .venv/bin/python bench/bench_reconcile.py [--scales 1,10] [--runs 3]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from bench_sync import fresh_home, on_temporary_server, seed_source


def measure(dsn: str, root: Path, scale: float) -> dict[str, float]:
    """Seconds of `reconcile` with and without fingerprints, medians, on a clean warehouse."""
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    os.environ["DLT_DATA_DIR"] = str(root / "dlt-data")
    from adventure_elt.replicate import reconcile as module
    from adventure_elt.replicate.sync import sync
    from adventure_elt.settings import Settings

    rows = seed_source(dsn, scale)
    home = fresh_home(root, f"reconcile-{scale:g}")
    settings = Settings(source_dsn=dsn, home=home, duckdb_path=home / "warehouse.duckdb")
    sync(settings)
    with_fingerprint = module._warehouse_fingerprint

    def timed(fingerprints: bool) -> float:
        module._warehouse_fingerprint = (  # type: ignore[assignment]
            with_fingerprint if fingerprints else lambda *_: ()
        )
        started = time.perf_counter()
        results = module.reconcile(settings)
        seconds = time.perf_counter() - started
        expected = "fingerprint" if fingerprints else "rows"
        if not all(r.clean and r.compared_by == expected for r in results):
            raise RuntimeError(f"reconcile was not clean by {expected}: {results}")
        return seconds

    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 3
    timed(True)  # warm the caches of both databases
    pairs = [(timed(False), timed(True)) for _ in range(runs)]
    module._warehouse_fingerprint = with_fingerprint
    every_row = statistics.median(p[0] for p in pairs)
    fingerprint = statistics.median(p[1] for p in pairs)
    ratio = statistics.median(p[1] / p[0] for p in pairs)
    print(
        f"scale {scale:g}: {rows:,} rows; every row's hash {every_row:.2f} s,"
        f" fingerprints {fingerprint:.2f} s ({ratio:.2f}×, median of {runs} pairs)",
        flush=True,
    )
    return {"scale": scale, "rows": rows, "every_row": every_row, "fingerprint": fingerprint}


if __name__ == "__main__":
    on_temporary_server("bench-reconcile-", measure)
