"""`adventure-elt run` and `demo`: the whole pipeline, on configured systems or embedded ones."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from adventure_elt.cli.console import (
    RichProgress,
    err,
    print_counts,
    print_json,
    print_report,
    print_run,
    print_runs,
    run_dict,
    runs_document,
)
from adventure_elt.cli.options import JsonOption, finite, publish_for_kestra, settings_from
from adventure_elt.kestra import publish_run
from adventure_elt.redact import redact


def run_command(
    ctx: typer.Context,
    from_step: Annotated[
        str | None,
        typer.Option("--from", help="resume at this step: sync, transform, test or report"),
    ] = None,
    only: Annotated[str | None, typer.Option(help="run just this step")] = None,
    full_refresh: Annotated[
        bool,
        typer.Option("--full-refresh", help="reload every table and rebuild incremental models"),
    ] = False,
    detect_deletes: Annotated[
        bool,
        typer.Option(
            "--detect-deletes", help="remove rows deleted in the source from the warehouse"
        ),
    ] = False,
    retries: Annotated[
        int,
        typer.Option(
            min=0,
            help="tries of a step again when the source cannot be reached (a dropped or refused"
            " connection), waiting 2 s, then 4 s, … up to 60 s; 0 leaves retrying to your"
            " orchestrator",
        ),
    ] = 2,
    as_json: JsonOption = False,
) -> None:
    """Run the pipeline: sync → transform → test → report, recorded in ops.runs.

    A source that cannot be reached is retried with backoff (--retries); a failed check stops
    the run with exit 1.

    Example: adventure-elt run --from transform
    """
    from adventure_elt.pipeline import run

    with RichProgress() as progress:
        result = run(
            settings_from(ctx),
            from_step=from_step,
            only=only,
            full_refresh=full_refresh,
            detect_deletes=detect_deletes,
            max_attempts=retries + 1,
            progress=progress,
        )
    publish_for_kestra(ctx, publish_run, result)
    if as_json:
        print_json(run_dict(result))
        return
    print_run(result)


def runs_command(
    ctx: typer.Context,
    last: Annotated[
        int, typer.Option("--last", "-n", help="how many runs", min=1, max=1_000_000)
    ] = 10,
    as_json: JsonOption = False,
) -> None:
    """Show the pipeline's recent runs from ops.runs: steps, status, counts, seconds, errors.

    The count of a step is rows written (sync), rows built (transform), checks run (test) or
    answer rows (report).

    Example: adventure-elt runs --last 3 --json
    """
    from adventure_elt.freshness import recent_runs
    from adventure_elt.warehouse import open_warehouse

    with open_warehouse(settings_from(ctx), read_only=True) as warehouse:
        steps = recent_runs(warehouse, last)
    if as_json:
        print_json(runs_document(steps))
        return
    if not steps:
        err.print("no runs recorded yet; 'adventure-elt run' records each run in ops.runs")
        return
    print_runs(steps)


def demo_command(
    ctx: typer.Context,
    scale: Annotated[
        float | None,
        typer.Option(
            help="synthetic data of this size instead of the real data; 1 ≈ the real database",
            show_default=False,
            callback=finite,
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="random seed of the synthetic data", min=0)] = 0,
    data: Annotated[
        Path | None,
        typer.Option(
            help="load the real AdventureWorks CSV files from this folder "
            "[default: the copy shipped with the project]",
            show_default=False,
        ),
    ] = None,
    stream_seconds: Annotated[
        float,
        typer.Option(
            min=0,
            max=86_400,
            help="seconds of web events to stream first (0: none)",
        ),
    ] = 5.0,
) -> None:
    """Everything on embedded defaults: PostgreSQL up, data in, a burst of web events, the
    pipeline, the five answers.

    The data is the real AdventureWorks database shipped with the project; --scale gives
    synthetic data of any size instead.

    Example: adventure-elt demo --scale 0.1
    """
    from adventure_elt.pipeline import demo

    settings = settings_from(ctx)
    with RichProgress() as progress:
        result = demo(
            settings,
            scale=scale,
            seed=seed,
            data_dir=data,
            stream_seconds=stream_seconds,
            progress=progress,
        )
    print_counts(result.source_rows, as_json=False, title="Source rows per table")
    print_counts(result.events, as_json=False, title="Web events streamed")
    print_run(result.run)
    if result.run.report is not None:
        print_report(result.run.report)
    err.print(
        f"source: {redact(result.source_dsn)}\n"
        f"warehouse: {settings.duckdb_path} (open it with DuckDB, or 'adventure-elt query')\n"
        "next:\n"
        "  dashboard  .venv/bin/adventure-elt dashboard   (http://localhost:8501)\n"
        "  notebook   notebooks/explore.ipynb             (Jupyter or VS Code, kernel .venv)\n"
        "  query      .venv/bin/adventure-elt query revenue orders --by product.category\n"
        "  more data  .venv/bin/adventure-elt oltp activity --no-wait && "
        ".venv/bin/adventure-elt run",
        highlight=False,
    )
