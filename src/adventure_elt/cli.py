"""The `adventure-elt` command line: thin wrappers that parse options and call the library.

Exit codes: 0 ok, 1 a check failed, 2 bad input or an unreachable system. Errors print as one
line on stderr; progress goes to stderr too, so stdout carries only data.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from adventure_elt.errors import AdventureEltError
from adventure_elt.progress import ProgressEvent
from adventure_elt.settings import Settings, mask_dsn

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

err = Console(stderr=True)
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


def _settings(ctx: typer.Context) -> Settings:
    root = ctx.find_root()
    return Settings.load(root.obj or {})


class _RichProgress:
    """Turns ProgressEvents into Rich progress bars on stderr."""

    def __init__(self) -> None:
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
        self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bars.stop()

    def __call__(self, event: ProgressEvent) -> None:
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


def main() -> None:
    """Console-script entry point: run the app, turning library errors into one-line messages.

    Typer itself reports bad options and arguments (exit 2) and Ctrl-C.
    """
    try:
        app()
    except AdventureEltError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
