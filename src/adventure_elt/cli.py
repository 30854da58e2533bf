"""The `adventure-elt` command line: thin wrappers that parse options and call the library.

Exit codes: 0 ok, 1 a check failed, 2 bad input or an unreachable system. Errors print as one
line on stderr; progress goes to stderr too, so stdout carries only data.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from adventure_elt.errors import AdventureEltError
from adventure_elt.progress import ProgressEvent
from adventure_elt.settings import Settings, mask_dsn

if TYPE_CHECKING:
    from adventure_elt.pipeline import RunResult

app = typer.Typer(
    name="adventure-elt",
    help="AdventureWorks ELT: PostgreSQL → DuckDB or BigQuery, with transforms and reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
oltp_app = typer.Typer(
    help="The operational source database: embedded server, schema and data.",
    no_args_is_help=True,
)
app.add_typer(oltp_app, name="oltp")

err = Console(stderr=True, soft_wrap=True)  # messages stay one line in logs
out = Console()


@app.callback()
def _global_options(
    ctx: typer.Context,
    source_dsn: Annotated[
        str | None,
        typer.Option(
            help="PostgreSQL URL of the source [env ADVENTURE_ELT_SOURCE_DSN; default: embedded]",
            show_default=False,
        ),
    ] = None,
    warehouse: Annotated[
        str | None, typer.Option(help="duckdb or bigquery [env ADVENTURE_ELT_WAREHOUSE]")
    ] = None,
    duckdb_path: Annotated[
        Path | None, typer.Option(help="DuckDB file [env ADVENTURE_ELT_DUCKDB_PATH]")
    ] = None,
    home: Annotated[
        Path | None,
        typer.Option(help="embedded server, state and logs [env ADVENTURE_ELT_HOME]"),
    ] = None,
) -> None:
    """AdventureWorks ELT: PostgreSQL → DuckDB or BigQuery, with transforms, checks and reports."""
    ctx.obj = {
        "source_dsn": source_dsn,
        "warehouse": warehouse,
        "duckdb_path": duckdb_path,
        "home": home,
    }


def _settings(ctx: typer.Context, **overrides: Any) -> Settings:
    """The settings of the global options, with a command's own options (None: not given)."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings.load({**(ctx.find_root().obj or {}), **given})


class _RichProgress:
    """Turns ProgressEvents into progress bars on stderr, or plain lines when it is not a terminal.

    Piped into a log (Kestra, CI), live bars would be printed as one block at the end, so there
    each finished task becomes one line instead and an error stays the last line.
    """

    def __init__(self) -> None:
        self._live = err.is_terminal
        self._bars = Progress(
            TextColumn("{task.description:<32}"),
            BarColumn(),
            TextColumn("{task.completed:>12,.0f}"),
            TextColumn("{task.fields[message]}"),
            TimeElapsedColumn(),
            console=err,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> _RichProgress:
        if self._live:
            self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live:
            self._bars.stop()

    def __call__(self, event: ProgressEvent) -> None:
        if not self._live:
            if event.finished:
                note = f" {event.message}" if event.message else ""
                err.print(f"{event.task}: {event.done:,}{note}", highlight=False)
            return
        task = self._tasks.get(event.task)
        if task is None:
            task = self._bars.add_task(event.task, total=event.total, message="")
            self._tasks[event.task] = task
        self._bars.update(task, completed=event.done, total=event.total, message=event.message)
        if event.finished:
            self._bars.update(task, total=event.done or 1, completed=event.done or 1)


def _print_counts(counts: dict[str, int], *, as_json: bool, title: str) -> None:
    if as_json:
        typer.echo(json.dumps(counts, indent=2))
        return
    table = Table(title=title, title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    out.print(table)


JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


# ----------------------------------------------------------------------------- oltp


@oltp_app.command("up")
def oltp_up(ctx: typer.Context) -> None:
    """Start the embedded PostgreSQL (idempotent) and print its connection string.

    Example: adventure-elt oltp up
    """
    from adventure_elt.oltp import server

    settings = _settings(ctx)
    if not settings.embedded:
        assert settings.source_dsn is not None
        err.print(f"using the configured source {mask_dsn(settings.source_dsn)}; nothing to start")
        return
    typer.echo(mask_dsn(server.start(settings)))


@oltp_app.command("down")
def oltp_down(ctx: typer.Context) -> None:
    """Stop the embedded PostgreSQL (idempotent).

    Example: adventure-elt oltp down
    """
    from adventure_elt.oltp import server

    settings = _settings(ctx)
    if not settings.embedded:
        err.print("the source is configured by DSN, not embedded; nothing to stop")
        return
    stopped = server.stop(settings)
    err.print("embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running")


@oltp_app.command("status")
def oltp_status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Say whether the source database is up, and where.

    Example: adventure-elt oltp status --json
    """
    from adventure_elt.oltp import server

    state = server.status(_settings(ctx))
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "embedded": state.embedded,
                    "running": state.running,
                    "dsn": mask_dsn(state.dsn) if state.dsn else None,
                    "pg_data": str(state.pg_data) if state.pg_data else None,
                }
            )
        )
    else:
        typer.echo(state.describe())


@oltp_app.command("init")
def oltp_init(ctx: typer.Context) -> None:
    """Create the 12 AdventureWorks tables in the source (idempotent).

    Example: adventure-elt oltp init
    """
    from adventure_elt.oltp import schema, server

    with server.connect(_settings(ctx)) as conn:
        schema.create_schema(conn)
    err.print("source schema ready: 12 tables in person, production, sales")


@oltp_app.command("seed")
def oltp_seed(
    ctx: typer.Context,
    scale: Annotated[
        float, typer.Option(help="size of the data; 1 ≈ the real database, 10 = ten times")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="random seed; the same seed gives the same data")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Fill the 12 source tables with synthetic AdventureWorks data (replaces their rows).

    Example: adventure-elt oltp seed --scale 0.1 --seed 42
    """
    from adventure_elt.oltp import generator, server

    with server.connect(_settings(ctx)) as conn, _RichProgress() as progress:
        counts = generator.seed(conn, scale=scale, seed=seed, progress=progress)
    _print_counts(counts, as_json=as_json, title=f"Synthetic rows (scale {scale:g}, seed {seed})")


@oltp_app.command("activity")
def oltp_activity(
    ctx: typer.Context,
    orders_per_minute: Annotated[
        float, typer.Option(help="new orders a minute; each is one transaction (tick)")
    ] = 60.0,
    duration: Annotated[str, typer.Option(help="how long to run, e.g. 30s, 5m, 1h30m")] = "1m",
    seed: Annotated[
        int, typer.Option(help="random seed: same seed + same data = same changes")
    ] = 0,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="run the same ticks back to back, without pacing")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Simulate the shop on the source: new orders, status moves, edits and deletes.

    Example: adventure-elt oltp activity --orders-per-minute 120 --duration 5m
    """
    from adventure_elt.durations import parse_duration
    from adventure_elt.oltp.activity import run_activity

    length = parse_duration(duration)
    settings = _settings(ctx)
    if err.is_terminal:
        with _RichProgress() as progress:
            counts = run_activity(
                settings,
                orders_per_minute=orders_per_minute,
                duration=length,
                seed=seed,
                wait=not no_wait,
                progress=progress,
            )
    else:
        counts = run_activity(
            settings,
            orders_per_minute=orders_per_minute,
            duration=length,
            seed=seed,
            wait=not no_wait,
        )
    if as_json:
        typer.echo(json.dumps(counts.as_dict(), indent=2))
        return
    table = Table(title="Shop activity", title_justify="left")
    table.add_column("change")
    table.add_column("count", justify="right")
    for kind, count in counts.as_dict().items():
        table.add_row(kind.replace("_", " "), f"{count:,}")
    out.print(table)


@oltp_app.command("load-csv")
def oltp_load_csv(
    ctx: typer.Context,
    directory: Annotated[
        Path,
        typer.Argument(help="folder with the 12 <schema>.<table>.csv.gz files", show_default=False),
    ],
    as_json: JsonOption = False,
) -> None:
    """Replace the 12 tables' rows with the real AdventureWorks CSV files, all or nothing.

    Example: adventure-elt oltp load-csv ../shared/adventureworks
    """
    from adventure_elt.oltp import loader, server

    with server.connect(_settings(ctx)) as conn:
        # Bars only on a terminal: piped into a log, Rich prints them as a block when it stops,
        # so a failed load would no longer end in a single error line.
        if err.is_terminal:
            with _RichProgress() as progress:
                counts = loader.load_csv(conn, directory, progress=progress)
        else:
            counts = loader.load_csv(conn, directory)
    _print_counts(counts, as_json=as_json, title="Rows loaded per table")


# ----------------------------------------------------------------------------- pipeline


@app.command("run")
def run_command(
    ctx: typer.Context,
    from_step: Annotated[
        str | None,
        typer.Option("--from", help="resume at this step: sync, transform, test or report"),
    ] = None,
    only: Annotated[str | None, typer.Option(help="run just this step")] = None,
    full_refresh: Annotated[
        bool, typer.Option(help="reload every table and rebuild incremental models")
    ] = False,
    detect_deletes: Annotated[
        bool, typer.Option(help="remove rows deleted in the source from the warehouse")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Run the pipeline: sync → transform → test → report, recorded in ops.runs.

    Transient failures are retried with backoff; a failed check stops the run with exit 1.

    Example: adventure-elt run --from transform
    """
    from adventure_elt.pipeline import run

    with _RichProgress() as progress:
        result = run(
            _settings(ctx),
            from_step=from_step,
            only=only,
            full_refresh=full_refresh,
            detect_deletes=detect_deletes,
            progress=progress,
        )
    if as_json:
        typer.echo(json.dumps(_run_dict(result), indent=2, default=str))
        return
    _print_run(result)


def _run_dict(result: RunResult) -> dict[str, Any]:
    return {
        "run_id": result.run_id,
        "steps": [
            {
                "step": s.step,
                "status": s.status,
                "attempts": s.attempts,
                "rows": s.rows,
                "seconds": round(s.seconds, 3),
                "error": s.error,
            }
            for s in result.steps
        ],
    }


def _print_run(result: RunResult) -> None:
    table = Table(title=f"Run {result.run_id}", title_justify="left")
    for column in ("step", "status", "attempts", "rows", "seconds"):
        table.add_column(column, justify="left" if column in ("step", "status") else "right")
    for s in result.steps:
        table.add_row(s.step, s.status, str(s.attempts), f"{s.rows:,}", f"{s.seconds:.1f}")
    out.print(table)


@app.command("demo")
def demo_command(
    ctx: typer.Context,
    scale: Annotated[
        float, typer.Option(help="size of the synthetic data; 1 ≈ the real database")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="random seed of the synthetic data")] = 0,
    data: Annotated[
        Path | None,
        typer.Option(help="load the real AdventureWorks CSV files from this folder instead"),
    ] = None,
    stream_seconds: Annotated[
        float, typer.Option(min=0, help="seconds of web events to stream first (0: none)")
    ] = 5.0,
) -> None:
    """Everything on embedded defaults: PostgreSQL up, data in, a burst of web events, the
    pipeline, the five answers.

    Example: adventure-elt demo --scale 0.1
    """
    from adventure_elt.pipeline import demo

    settings = _settings(ctx)
    with _RichProgress() as progress:
        result = demo(
            settings,
            scale=scale,
            seed=seed,
            data_dir=data,
            stream_seconds=stream_seconds,
            progress=progress,
        )
    _print_counts(result.source_rows, as_json=False, title="Source rows per table")
    _print_counts(result.events, as_json=False, title="Web events streamed")
    _print_run(result.run)
    if result.run.report is not None:
        _print_report(result.run.report)
    err.print(
        f"source: {mask_dsn(result.source_dsn)}\n"
        f"warehouse: {settings.duckdb_path} (open it with DuckDB, or 'adventure-elt query')\n"
        "next:\n"
        "  dashboard  .venv/bin/adventure-elt dashboard   (http://localhost:8501)\n"
        "  notebook   notebooks/explore.ipynb             (Jupyter or VS Code, kernel .venv)\n"
        "  query      .venv/bin/adventure-elt query revenue orders --by product.category\n"
        "  more data  .venv/bin/adventure-elt oltp activity --no-wait && "
        ".venv/bin/adventure-elt run",
        highlight=False,
    )


# ----------------------------------------------------------------------------- reconcile


@app.command("reconcile")
def reconcile_command(
    ctx: typer.Context,
    tables: Annotated[
        str | None,
        typer.Option(help="comma-separated tables to compare (default: all 12)"),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Compare the raw layer with the source: row counts, keys missing/extra, content hashes.

    Exits 1 when any table differs. Soft-deleted rows (`_is_deleted`) count as deleted.

    Example: adventure-elt reconcile --tables sales.salesorderheader,sales.salesorderdetail --json
    """
    from adventure_elt.errors import CheckFailedError
    from adventure_elt.replicate.reconcile import reconcile

    settings = _settings(ctx)
    if err.is_terminal:
        with _RichProgress() as progress:
            results = reconcile(settings, tables, progress=progress)
    else:
        results = reconcile(settings, tables)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in results], indent=2))
    else:
        table = Table(title="Raw layer vs source", title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("table", no_wrap=True)
        for name in ("source", "warehouse", "missing", "extra", "differing"):
            table.add_column(name, justify="right", no_wrap=True)
        table.add_column("status", no_wrap=True)
        for r in results:
            counts = (r.source_rows, r.warehouse_rows, r.missing_keys, r.extra_keys)
            table.add_row(
                r.table,
                *(f"{n:,}" for n in (*counts, r.differing_rows)),
                "[green]ok[/green]" if r.clean else f"[red]{r.describe()}[/red]",
            )
        # Piped into a file or log, Rich would squeeze the table into 80 columns and cut names.
        (out if out.is_terminal else Console(width=132)).print(table)
    differing = [r for r in results if not r.clean]
    if differing:
        listed = ", ".join(f"{r.table} ({r.describe()})" for r in differing)
        raise CheckFailedError(
            f"reconcile found differences in {len(differing)} of {len(results)} tables: {listed};"
            " run `adventure-elt sync --detect-deletes`, or `--full-refresh --tables <table>`"
        )


# ----------------------------------------------------------------------------- airbyte


@app.command("airbyte-config")
def airbyte_config_command(
    out: Annotated[Path, typer.Option(help="folder to write the three JSON files to")] = Path(
        "airbyte"
    ),
    check: Annotated[
        bool,
        typer.Option("--check", help="write nothing; exit 1 if the files differ from the catalog"),
    ] = False,
    host: Annotated[
        str | None,
        typer.Option(help="PostgreSQL host (default: placeholder ${AIRBYTE_SOURCE_HOST})"),
    ] = None,
    port: Annotated[int, typer.Option(help="PostgreSQL port")] = 5432,
    database: Annotated[str, typer.Option(help="PostgreSQL database")] = "adventureworks",
    username: Annotated[
        str | None,
        typer.Option(help="PostgreSQL login (default: placeholder ${AIRBYTE_SOURCE_USER})"),
    ] = None,
    ssl_mode: Annotated[str, typer.Option(help="disable, allow, prefer or require")] = "require",
    project: Annotated[
        str | None,
        typer.Option(help="BigQuery project (default: placeholder ${AIRBYTE_BIGQUERY_PROJECT})"),
    ] = None,
    dataset: Annotated[
        str, typer.Option(help="BigQuery dataset the tables land in")
    ] = "adventure_elt_airbyte",
    location: Annotated[str, typer.Option(help="BigQuery location: US, EU or a region")] = "US",
    cron: Annotated[
        str | None,
        typer.Option(
            help="Quartz cron for Airbyte's own scheduler (default: manual, Kestra triggers it)"
        ),
    ] = None,
    raw_dataset: Annotated[
        str, typer.Option(help="raw dataset the views in raw_views.sql create (<prefix>_raw)")
    ] = "adventure_raw",
) -> None:
    """Write the Airbyte alternate path (connection configs and raw views) from the catalog.

    Secrets stay out of the files: they hold ${ENV_VAR} placeholders.
    Substitute them (jq) before sending the files to the Airbyte API.
    raw_views.sql holds the views `airbyte-views` creates over Airbyte's tables.

    Example: adventure-elt airbyte-config --check
    """
    from adventure_elt.errors import CheckFailedError
    from adventure_elt.replicate.airbyte import (
        AirbyteTarget,
        stale_airbyte_files,
        write_airbyte_config,
    )

    placeholders = AirbyteTarget()
    target = AirbyteTarget(
        host=host or placeholders.host,
        port=port,
        database=database,
        username=username or placeholders.username,
        ssl_mode=ssl_mode,
        project_id=project or placeholders.project_id,
        dataset_id=dataset,
        dataset_location=location,
        cron=cron,
    )
    if check:
        stale = stale_airbyte_files(out, target, raw_dataset=raw_dataset)
        if stale:
            raise CheckFailedError(
                f"{out}/ is out of date ({', '.join(stale)}); "
                "run `adventure-elt airbyte-config` and commit the result"
            )
        err.print(f"{out}/ matches the catalog")
        return
    for path in write_airbyte_config(out, target, raw_dataset=raw_dataset):
        typer.echo(str(path))


@app.command("airbyte-views")
def airbyte_views_command(
    ctx: typer.Context,
    dataset: Annotated[
        str, typer.Option(help="dataset Airbyte writes to (dataset_id of its destination)")
    ] = "adventure_elt_airbyte",
    as_json: JsonOption = False,
) -> None:
    """Create the raw layer views over the tables Airbyte wrote, so the models can read them.

    One view per catalog table: raw.<schema>_<table> (<prefix>_raw on BigQuery).
    Airbyte's _airbyte_* columns become _extracted_at, _dlt_load_id and _dlt_id.
    airbyte/raw_views.sql shows the statements. Run it after each Airbyte sync (idempotent).

    Example: adventure-elt --warehouse bigquery airbyte-views --dataset adventure_elt_airbyte
    """
    from adventure_elt.replicate.airbyte_views import apply_raw_views

    with _RichProgress() as progress:
        applied = apply_raw_views(_settings(ctx), dataset, progress=progress)
    if as_json:
        typer.echo(json.dumps([{"view": a.view, "source": a.source} for a in applied], indent=2))
        return
    for view in applied:
        typer.echo(f"{view.view} <- {view.source}")


# ----------------------------------------------------------------------------- transform

SelectOption = Annotated[
    str | None,
    typer.Option(
        "--select",
        "-s",
        help="models to run, dbt-style: fct_sales, fct_sales+, +rpt_geography, a,b",
    ),
]
SqlDirOption = Annotated[
    Path | None,
    typer.Option(
        "--sql-dir", help="folder with staging/, marts/, reports/, seeds/ [default: sql/]"
    ),
]


@app.command("transform")
def transform_command(
    ctx: typer.Context,
    select: SelectOption = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="rebuild incremental models from scratch")
    ] = False,
    sql_dir: SqlDirOption = None,
    as_json: JsonOption = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="BigQuery: list the bytes each model would process, build nothing"
        ),
    ] = False,
    max_bytes: Annotated[
        int | None,
        typer.Option(help="BigQuery: refuse to run when the dry run totals more bytes", min=0),
    ] = None,
    warehouse: Annotated[
        str | None, typer.Option(help="duckdb or bigquery (overrides the global option)")
    ] = None,
) -> None:
    """Build the SQL models (seeds → staging → marts → reports) in dependency order.

    Example: adventure-elt transform --select fct_sales+
    Cost guard: adventure-elt transform --dry-run --warehouse bigquery --max-bytes 10000000000
    """
    from adventure_elt.transform import transform

    settings = _settings(ctx, warehouse=warehouse)
    if dry_run or max_bytes is not None:
        from adventure_elt.transform.cost import check_budget, estimate

        plan = estimate(settings, select, sql_dir)
        if dry_run:
            _print_cost_plan(plan, as_json=as_json)
        if max_bytes is not None:
            check_budget(plan, max_bytes)
        if dry_run:
            return

    with _RichProgress() as progress:
        summary = transform(
            settings,
            select=select,
            full_refresh=full_refresh,
            progress=progress,
            sql_dir=sql_dir,
        )
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), indent=2))
        return
    table = Table(title="Transform", title_justify="left")
    for column, justify in (
        ("model", "left"),
        ("built as", "left"),
        ("rows", "right"),
        ("changed", "right"),
        ("seconds", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for run in summary.models:
        rows = "" if run.rows is None else f"{run.rows:,}"
        changed = "" if run.rows is None else f"{run.changed:,}"
        table.add_row(run.model, run.describe().split(" ")[0], rows, changed, f"{run.seconds:.2f}")
    err.print(table)
    err.print(f"{summary.built} models built in {summary.seconds:.2f}s")


def _print_cost_plan(plan: Any, *, as_json: bool) -> None:
    """The dry run's bytes per model and the total (stdout: it is the command's data)."""
    from adventure_elt.transform.cost import format_bytes

    if as_json:
        typer.echo(json.dumps(plan.to_dict(), indent=2))
        return
    table = Table(title="Dry run (bytes processed)", title_justify="left")
    for column, justify in (("model", "left"), ("built as", "left"), ("bytes", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for model in plan.models:
        size = "?" if model.bytes_processed is None else f"{model.bytes_processed:,}"
        table.add_row(model.model, model.materialized, size)
    out.print(table, width=None if out.is_terminal else 120)
    out.print(f"total {plan.total_bytes:,} bytes ({format_bytes(plan.total_bytes)})")
    for model in plan.unknown:
        out.print(f"{model.model}: not estimated: {model.error}", highlight=False)


@app.command("test")
def test_command(
    ctx: typer.Context,
    select: SelectOption = None,
    sql_dir: SqlDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run the data checks of _models.yml; show up to 5 offending rows; exit 1 on failure.

    Example: adventure-elt test --select marts.fct_sales
    """
    from adventure_elt.transform import run_checks

    report = run_checks(_settings(ctx), select=select, sql_dir=sql_dir)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        for result in report.results:
            mark = "[green]pass[/green]" if result.passed else "[red]FAIL[/red]"
            detail = result.error or (
                f"{result.failures:,} offending rows" if result.failures else ""
            )
            out.print(f"{mark} {result.model} {result.name} {detail}", highlight=False)
            if result.sample:
                sample = Table(show_header=True, padding=(0, 1))
                for column in result.sample[0]:
                    sample.add_column(column)
                for row in result.sample:
                    sample.add_row(*("NULL" if v is None else str(v) for v in row.values()))
                out.print(sample)
        failed = len(report.failed)
        err.print(f"{len(report.results)} checks, {failed} failed")
    if not report.passed:
        raise typer.Exit(1)


@app.command("compile")
def compile_command(
    model: Annotated[
        str | None, typer.Argument(help="model name; all models when left out")
    ] = None,
    target: Annotated[str, typer.Option(help="duckdb or bigquery")] = "duckdb",
    sql_dir: SqlDirOption = None,
) -> None:
    """Print the SQL a model would run on the target engine (after the portability lint).

    Example: adventure-elt compile fct_sales --target duckdb
    """
    from adventure_elt.transform import compile_all, compile_model

    if model is not None:
        typer.echo(compile_model(model, target=target, sql_dir=sql_dir))
        return
    for name, sql in compile_all(target=target, sql_dir=sql_dir).items():
        typer.echo(f"-- {name}\n{sql.rstrip()}\n")


@app.command("lineage")
def lineage_command(
    column: Annotated[str, typer.Argument(help="MODEL.COLUMN, e.g. fct_sales.line_total")],
    sql_dir: SqlDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print where a model column comes from, down to raw columns.

    Example: adventure-elt lineage fct_sales.line_total --json
    """
    from adventure_elt.transform import column_lineage

    tree = column_lineage(column, sql_dir=sql_dir)
    typer.echo(json.dumps(tree.to_dict(), indent=2) if as_json else tree.render())


# ----------------------------------------------------------------------------- report

_REPORT_TABLE_ROWS = 20  # the longer answers (cities, months) print their top rows; --json has all


@app.command("report")
def report_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Print the five business answers from the built reports (run `transform` first).

    Example: adventure-elt report --json
    """
    from adventure_elt.report import report

    document = report(_settings(ctx))
    if as_json:
        typer.echo(json.dumps(document, indent=2))
        return
    _print_report(dict(document))


def _print_report(document: dict[str, Any]) -> None:
    summary = document["customer_summary"]
    _print_answer("Customers and orders", [summary], list(summary), labels=0)
    # (title, key, columns, how many leading columns are labels, rank long answers by)
    answers: list[tuple[str, str, list[str], int, str | None]] = [
        (
            "Product sales by category",
            "product_sales",
            ["category", "subcategory", "orders", "units", "revenue"],
            2,
            "revenue",
        ),
        (
            "New customers by month of first order",
            "new_customers",
            ["year", "month", "new_customers"],
            2,
            None,
        ),
        ("Orders by status", "order_status", ["status", "orders", "revenue"], 1, None),
        (
            "Orders by ship-to city",
            "geography",
            ["country", "state_province", "city", "orders", "revenue"],
            3,
            "revenue",
        ),
        (
            "Web traffic by country",
            "web_traffic",
            ["country", "visits", "sessions", "orders", "order_value"],
            1,
            "visits",
        ),
    ]
    for title, key, columns, labels, rank_by in answers:
        rows: list[dict[str, Any]] = list(document[key])
        if rank_by is not None and len(rows) > _REPORT_TABLE_ROWS:
            rows.sort(key=_ranking(rank_by))
            title = f"{title} (top {_REPORT_TABLE_ROWS} of {len(rows)} by {rank_by}; --json: all)"
            rows = rows[:_REPORT_TABLE_ROWS]
        _print_answer(title, rows, columns, labels=labels)


def _print_answer(title: str, rows: list[dict[str, Any]], columns: list[str], labels: int) -> None:
    table = Table(title=title, title_justify="left", caption=None if rows else "no rows yet")
    for i, column in enumerate(columns):
        table.add_column(column.replace("_", " "), justify="left" if i < labels else "right")
    for row in rows:
        table.add_row(
            *(str(row[c]) if i < labels else _cell(row[c]) for i, c in enumerate(columns))
        )
    out.print(table)


def _ranking(column: str) -> Callable[[dict[str, Any]], float]:
    def descending(row: dict[str, Any]) -> float:
        return -float(row[column])

    return descending


def _cell(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


# ----------------------------------------------------------------------------- replicate


@app.command("sync")
def sync_command(
    ctx: typer.Context,
    tables: Annotated[
        str | None,
        typer.Option(help="comma-separated tables to sync, e.g. sales.customer,person.address"),
    ] = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="reload the tables and reset their cursors")
    ] = False,
    lag: Annotated[
        str | None,
        typer.Option(help="re-read rows this much older than the cursor, e.g. 5m (late commits)"),
    ] = None,
    detect_deletes: Annotated[
        bool,
        typer.Option(
            "--detect-deletes", help="remove (or flag) raw rows whose key is gone from the source"
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Replicate the source tables into the warehouse's raw layer (incremental by default).

    Example: adventure-elt sync --tables sales.salesorderheader --lag 5m
    """
    from adventure_elt.durations import parse_duration
    from adventure_elt.replicate.drift import SchemaChangeError
    from adventure_elt.replicate.pipeline import sync

    window = parse_duration(lag) if lag is not None else None
    settings = _settings(ctx)
    failure: SchemaChangeError | None = None
    try:
        with _RichProgress() as progress:
            summary = sync(
                settings,
                tables=tables,
                full_refresh=full_refresh,
                lag=window,
                detect_deletes=detect_deletes,
                progress=progress,
            )
    except SchemaChangeError as exc:
        # The other tables were synced: show their summary, then fail (exit 2) with one line.
        summary, failure = exc.summary, exc
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), indent=2))
        if failure is not None:
            raise failure
        return
    table = Table(title=f"Sync (load {summary.load_id or '-'})", title_justify="left")
    for name in ("table", "mode", "read", "inserted", "updated", "unchanged", "deleted", "seconds"):
        table.add_column(name, justify="left" if name in ("table", "mode") else "right")
    for t in summary.tables:
        table.add_row(
            t.table,
            t.mode,
            f"{t.rows_read:,}",
            f"{t.inserted:,}",
            f"{t.updated:,}",
            f"{t.unchanged:,}",
            f"{t.deleted:,}",
            f"{t.seconds:.2f}",
        )
    # Piped output has no width; 80 columns would cut the table names.
    console = out if out.is_terminal else Console(width=130)
    console.print(table)
    for t in summary.tables:
        for note in t.notes:
            console.print(f"{t.table}: {note}", highlight=False)
    console.print(f"total {summary.seconds:.2f} s", highlight=False)
    if failure is not None:
        raise failure


# --- stream ------------------------------------------------------------------------ stream

stream_app = typer.Typer(
    help="Real-time web events: generate them, ingest them, or both at once.",
    no_args_is_help=True,
)
app.add_typer(stream_app, name="stream")

RateOption = Annotated[float, typer.Option(help="events a second (steady)", min=0.001)]
DurationOption = Annotated[str, typer.Option(help="how long to run, e.g. 30s, 5m")]
BatchSizeOption = Annotated[
    int, typer.Option(help="write a micro-batch when it holds this many lines", min=1)
]
MaxWaitOption = Annotated[
    str, typer.Option(help="write a micro-batch when its first line waited this long")
]
MaxAgeOption = Annotated[str, typer.Option(help="reject events older than this, e.g. 7d")]
MaxFutureOption = Annotated[str, typer.Option(help="reject events further ahead than this")]


def _stream_options(
    batch_size: int, max_wait: str, max_age: str | None = None, max_future: str | None = None
) -> Any:
    """IngestOptions; without max_age and max_future, the default TimeWindow."""
    from adventure_elt.durations import parse_duration
    from adventure_elt.stream.ingest import IngestOptions
    from adventure_elt.stream.validate import TimeWindow

    window = TimeWindow()
    if max_age is not None and max_future is not None:
        window = TimeWindow(max_future=parse_duration(max_future), max_age=parse_duration(max_age))
    return IngestOptions(
        batch_size=batch_size, max_wait=parse_duration(max_wait).total_seconds(), window=window
    )


def _print_batch(event: ProgressEvent) -> None:
    # One line per stored batch: a stream has no total, and each line is an acknowledgement.
    err.print(f"{event.task}: {event.message}", highlight=False, soft_wrap=True)


def _print_ingest_counts(counts: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(counts.as_dict()))
    else:
        typer.echo(counts.describe())


@stream_app.command("generate")
def stream_generate(
    ctx: typer.Context,
    rate: RateOption = 100.0,
    duration: DurationOption = "10s",
    count: Annotated[
        int | None,
        typer.Option(help="emit exactly this many events as fast as possible (no pacing)", min=0),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="random seed: the same seed gives the same events")
    ] = None,
    known_share: Annotated[
        float, typer.Option(help="share of sessions by known customers", min=0.0, max=1.0)
    ] = 0.3,
) -> None:
    """Write mock web page views as JSON lines on stdout, at a steady rate.

    A share of the sessions belong to real customers (read from the source if it is running,
    else from the warehouse's raw layer, else synthetic ids: a note on stderr says which).

    Example: adventure-elt stream generate --rate 500 --duration 1m --seed 7 > events.jsonl
    """
    from adventure_elt.durations import parse_duration
    from adventure_elt.stream.generator import event_lines, generator_for, write_events

    generator, note = generator_for(_settings(ctx), seed, known_share)
    err.print(f"customer ids: {note}", highlight=False)
    sink = sys.stdout.buffer
    try:
        write_events(
            event_lines(generator, rate=rate, duration=parse_duration(duration), count=count), sink
        )
        sink.flush()
    except BrokenPipeError:
        # the reader went away (`| head`): stop quietly, as Unix tools do
        sys.stderr.close()
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@stream_app.command("ingest")
def stream_ingest(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Option("--from", help="JSON-lines file to read, or - for stdin")
    ] = "-",
    batch_size: BatchSizeOption = 50_000,
    max_wait: MaxWaitOption = "500ms",
    max_age: MaxAgeOption = "7d",
    max_future: MaxFutureOption = "5m",
    as_json: JsonOption = False,
) -> None:
    """Load JSON-lines web events into raw.web_events in micro-batches; bad lines go to
    raw.web_events_rejected with the reason. Replays are harmless (dedup by event_id).

    Prints one line per stored batch on stderr and `read … loaded … duplicates … rejected …`
    at the end. SIGINT/SIGTERM store the open batch, then stop.

    Example: adventure-elt stream generate --rate 1000 --duration 1m | adventure-elt stream ingest
    """
    from adventure_elt.stream.ingest import ingest_source

    options = _stream_options(batch_size, max_wait, max_age, max_future)
    counts = ingest_source(_settings(ctx), source, options=options, progress=_print_batch)
    _print_ingest_counts(counts, as_json)


@stream_app.command("run")
def stream_run(
    ctx: typer.Context,
    rate: RateOption = 100.0,
    duration: DurationOption = "10s",
    seed: Annotated[int | None, typer.Option(help="random seed of the events")] = None,
    batch_size: BatchSizeOption = 50_000,
    max_wait: MaxWaitOption = "500ms",
    as_json: JsonOption = False,
) -> None:
    """Generate and ingest web events in one process (a demo of the whole stream).

    Example: adventure-elt stream run --rate 200 --duration 30s
    """
    from adventure_elt.durations import parse_duration
    from adventure_elt.stream.ingest import run_stream

    options = _stream_options(batch_size, max_wait)
    counts = run_stream(
        _settings(ctx),
        rate=rate,
        duration=parse_duration(duration),
        seed=seed,
        options=options,
        progress=_print_batch,
    )
    _print_ingest_counts(counts, as_json)


# --- query ------------------------------------------------------------------------- query


@app.command("query")
def query_command(
    ctx: typer.Context,
    measures: Annotated[
        list[str] | None,
        typer.Argument(help="measures, e.g. revenue orders (see --list)", show_default=False),
    ] = None,
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            help="dimension to group by, repeatable or comma-separated: product.category,"
            " order_date.month",
        ),
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(help="SQL condition over dimensions or measures, repeatable"),
    ] = None,
    grain: Annotated[
        str | None,
        typer.Option(help="time grain for date dimensions given without one: day … year"),
    ] = None,
    order: Annotated[
        list[str] | None,
        typer.Option(help="field to sort by, repeatable; -field for descending"),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="at most this many rows", min=0)] = None,
    show_sql: Annotated[
        bool, typer.Option("--sql", help="print the SQL instead of running it")
    ] = False,
    target: Annotated[
        str | None,
        typer.Option(help="with --sql: duckdb or bigquery [default: the configured warehouse]"),
    ] = None,
    list_fields: Annotated[
        bool, typer.Option("--list", help="list the measures and dimensions, then stop")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Ask the semantic layer: measures by dimensions, filtered, as a table or JSON.

    Example: adventure-elt query revenue orders --by product.category
    --where "order_date >= '2013-01-01'" --order -revenue --limit 10
    """
    from adventure_elt.semantic import cached_model, compile_query, query

    model = cached_model()
    if list_fields:
        _print_catalog(model.catalog(), as_json=as_json)
        return
    dimensions = [d.strip() for item in by or [] for d in item.split(",") if d.strip()]
    if not measures and not dimensions:
        raise typer.BadParameter("name at least one measure or --by dimension (see --list)")
    settings = _settings(ctx)
    if show_sql:
        typer.echo(
            compile_query(
                model,
                measures or [],
                dimensions,
                where or [],
                order or [],
                limit,
                target=target or settings.warehouse,
                grain=grain,
            )
        )
        return
    table = query(
        measures or [],
        dimensions,
        where or [],
        order or [],
        limit,
        settings,
        grain=grain,
        model=model,
    )
    rows = table.to_pylist()
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=_json_value))
        return
    labels = len(dimensions)
    shown = Table(box=box.SIMPLE_HEAD, caption=None if rows else "no rows")
    for i, name in enumerate(table.column_names):
        shown.add_column(name, justify="left" if i < labels else "right")
    for row in rows:
        shown.add_row(
            *(str(v) if i < labels else _cell(_json_value(v)) for i, v in enumerate(row.values()))
        )
    (out if out.is_terminal else Console(width=160)).print(shown)


def _json_value(value: object) -> object:
    """Decimals as numbers and dates as ISO text, for JSON and for the table's cells."""
    from datetime import date
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _print_catalog(catalog: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(catalog, indent=2))
        return
    for kind, extra in (("measures", "type"), ("dimensions", "grains")):
        table = Table(title=kind.capitalize(), title_justify="left", box=box.SIMPLE_HEAD)
        for name in ("name", "label", extra, "description"):
            table.add_column(name)
        for item in catalog[kind]:
            detail = item[extra] if extra == "type" else ", ".join(item[extra]) or item["type"]
            table.add_row(item["name"], item["label"], detail, item["description"])
        (out if out.is_terminal else Console(width=160)).print(table)


# --- dashboard ----------------------------------------------------------------- dashboard


@app.command("dashboard")
def dashboard_command(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="port to serve on", min=1, max=65535)] = 8501,
    host: Annotated[
        str, typer.Option(help="address to listen on; 0.0.0.0 shares it on the network")
    ] = "127.0.0.1",
) -> None:
    """Serve the Streamlit dashboard: the five answers as charts, filters, live web traffic.

    Reads the warehouse read-only through the semantic layer; needs the `dashboard` extra
    (pip install 'adventure-elt\\[dashboard]'). Stop it with Ctrl-C.

    Example: adventure-elt dashboard --port 8502
    """
    import os

    from adventure_elt.dashboard.launch import (
        check_warehouse,
        dashboard_env,
        dashboard_url,
        require_streamlit,
        streamlit_command,
    )

    settings = _settings(ctx)
    require_streamlit()
    check_warehouse(settings)
    typer.echo(dashboard_url(host, port))
    err.print("dashboard starting; stop it with Ctrl-C", highlight=False)
    sys.stdout.flush()
    sys.stderr.flush()
    # Become Streamlit (exec, not a child): Ctrl-C, SIGTERM from a supervisor and the exit code
    # all reach the server itself, and no orphan is left serving when this command is stopped.
    command = streamlit_command(host, port)
    os.execve(command[0], command, dashboard_env(settings))


def main() -> None:
    """Console-script entry point: run the app, turning library errors into one-line messages.

    Typer itself reports bad options and arguments (exit 2) and Ctrl-C.
    """
    try:
        app()
    except AdventureEltError as exc:
        # escaped: messages hold literal brackets (`[week_start]`) that are not Rich markup
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
