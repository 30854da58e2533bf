"""`adventure-elt oltp …`: the operational source database — server, schema, data, activity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from adventure_elt.cli.console import RichProgress, err, print_counts, print_json, print_table
from adventure_elt.cli.options import JsonOption, SeedOption, finite, settings_from
from adventure_elt.redact import redact

app = typer.Typer(
    help="The operational source database: embedded server, schema and data.",
    no_args_is_help=True,
)


@app.command("up")
def oltp_up(ctx: typer.Context) -> None:
    """Start the embedded PostgreSQL (idempotent) and print its connection string.

    Example: adventure-elt oltp up
    """
    from adventure_elt.oltp import server

    settings = settings_from(ctx)
    if not settings.embedded:
        assert settings.source_dsn is not None
        err.print(f"using the configured source {redact(settings.source_dsn)}; nothing to start")
        return
    typer.echo(redact(server.start(settings)))


@app.command("down")
def oltp_down(ctx: typer.Context) -> None:
    """Stop the embedded PostgreSQL (idempotent).

    Example: adventure-elt oltp down
    """
    from adventure_elt.oltp import server

    settings = settings_from(ctx)
    if not settings.embedded:
        err.print("the source is configured by DSN, not embedded; nothing to stop")
        return
    stopped = server.stop(settings)
    err.print("embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running")


@app.command("status")
def oltp_status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Say whether the source database is up, and where; exit 2 when it is not (as a script
    wants: `adventure-elt oltp status || adventure-elt oltp up`).

    Example: adventure-elt oltp status --json
    """
    from adventure_elt.oltp import server

    state = server.status(settings_from(ctx))
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "embedded": state.embedded,
                    "running": state.running,
                    "dsn": redact(state.dsn) if state.dsn else None,
                    "pg_data": str(state.pg_data) if state.pg_data else None,
                }
            )
        )
    else:
        typer.echo(state.describe())
    if not state.running:
        raise typer.Exit(2)  # down or unreachable: the exit code of an unreachable system


@app.command("init")
def oltp_init(ctx: typer.Context) -> None:
    """Create the 12 AdventureWorks tables in the source (idempotent).

    Example: adventure-elt oltp init
    """
    from adventure_elt.oltp import schema, server

    with server.connect(settings_from(ctx)) as conn:
        schema.create_schema(conn)
    err.print("source schema ready: 12 tables in person, production, sales")


@app.command("seed")
def oltp_seed(
    ctx: typer.Context,
    scale: Annotated[
        float,
        typer.Option(
            help="size of the data; 1 ≈ the real database, 10 = ten times", callback=finite
        ),
    ] = 1.0,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Fill the 12 source tables with synthetic AdventureWorks data (replaces their rows).

    Example: adventure-elt oltp seed --scale 0.1 --seed 42
    """
    from adventure_elt.oltp import generator, server

    with server.connect(settings_from(ctx)) as conn, RichProgress() as progress:
        counts = generator.seed(conn, scale=scale, seed=seed, progress=progress)
    print_counts(counts, as_json=as_json, title=f"Synthetic rows (scale {scale:g}, seed {seed})")


@app.command("activity")
def oltp_activity(
    ctx: typer.Context,
    orders_per_minute: Annotated[
        float,
        typer.Option(help="new orders a minute; each is one transaction (tick)", callback=finite),
    ] = 60.0,
    duration: Annotated[str, typer.Option(help="how long to run, e.g. 30s, 5m, 1h30m")] = "1m",
    seed: Annotated[
        int, typer.Option(help="random seed: same seed + same data = same changes")
    ] = 0,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="run the same ticks back to back, without pacing")
    ] = False,
    start: Annotated[
        str | None,
        typer.Option(
            help="business date of the first new order, e.g. 2014-07-01 "
            "[default: the source's last order date]",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Simulate the shop on the source: new orders, status moves, edits and deletes.

    New orders continue the data's own timeline: their dates start at the last order date
    (or --start) and advance with the ticks. A paced run ends with --duration, with fewer
    orders if the source cannot keep up (it says so); --no-wait runs at most 1,000,000 orders.

    Example: adventure-elt oltp activity --orders-per-minute 120 --duration 5m
    """
    from adventure_elt.durations import parse_duration
    from adventure_elt.oltp.activity import parse_start, run_activity, tick_count

    length = parse_duration(duration)
    first = parse_start(start) if start is not None else None
    settings = settings_from(ctx)
    if err.is_terminal:
        with RichProgress() as progress:
            counts = run_activity(
                settings,
                orders_per_minute=orders_per_minute,
                duration=length,
                seed=seed,
                wait=not no_wait,
                start=first,
                progress=progress,
            )
    else:
        counts = run_activity(
            settings,
            orders_per_minute=orders_per_minute,
            duration=length,
            seed=seed,
            wait=not no_wait,
            start=first,
        )
    asked = tick_count(orders_per_minute, length)
    if counts.orders_created < asked:
        err.print(
            f"made {counts.orders_created:,} of the {asked:,} orders asked for: the source could"
            " not keep up with the rate within --duration (or the run was interrupted)",
            highlight=False,
        )
    if as_json:
        print_json(counts.as_dict())
        return
    table = Table(title="Shop activity", title_justify="left")
    table.add_column("change")
    table.add_column("count", justify="right")
    for kind, count in counts.as_dict().items():
        table.add_row(kind.replace("_", " "), f"{count:,}")
    print_table(table)


@app.command("load-csv")
def oltp_load_csv(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Argument(
            help="folder with the 12 <schema>.<table>.csv.gz files "
            "[default: the copy shipped with the project]",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Replace the 12 tables' rows with the real AdventureWorks CSV files, all or nothing.

    Example: adventure-elt oltp load-csv data/adventureworks
    """
    from adventure_elt.oltp import loader, server
    from adventure_elt.paths import adventureworks_dir

    directory = directory or adventureworks_dir()
    with server.connect(settings_from(ctx)) as conn:
        # Bars only on a terminal: piped into a log, Rich prints them as a block when it stops,
        # so a failed load would no longer end in a single error line.
        if err.is_terminal:
            with RichProgress() as progress:
                counts = loader.load_csv(conn, directory, progress=progress)
        else:
            counts = loader.load_csv(conn, directory)
    print_counts(counts, as_json=as_json, title="Rows loaded per table")
