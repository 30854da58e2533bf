"""The whole job in one call: the demo on embedded defaults.

`demo()` composes the steps the CLI also offers one by one, so `make demo` shows the product
end to end on a fresh machine with nothing but Python installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from adventure_elt.oltp import schema, server
from adventure_elt.progress import ProgressCallback, ignore
from adventure_elt.settings import Settings


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: where the source is and how many rows each table holds."""

    source_dsn: str
    source_rows: dict[str, int]


def demo(
    settings: Settings,
    *,
    scale: float = 1.0,
    seed: int = 0,
    data_dir: Path | None = None,
    progress: ProgressCallback = ignore,
) -> DemoResult:
    """Bring up the source and fill it: synthetic data at `scale`, or the real CSVs in `data_dir`.

    Safe to run twice: the server start is idempotent and the tables are refilled.
    """
    dsn = server.source_dsn(settings)
    with server.connect_to(dsn) as conn:
        if data_dir is not None:
            from adventure_elt.oltp.loader import load_csv

            load_csv(conn, data_dir, progress=progress)
        else:
            from adventure_elt.oltp.generator import seed as seed_tables

            seed_tables(conn, scale=scale, seed=seed, progress=progress)
        counts = schema.row_counts(conn)
    return DemoResult(source_dsn=dsn, source_rows=counts)
