"""Options shared by several commands, and the global options all settings start from."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from adventure_elt.settings import Settings

JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]

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


def global_options(
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
    # A flag rather than detecting Kestra: it is visible in the flow, works the same when a run
    # is reproduced outside Kestra, and never adds `::{...}::` lines to a run that did not ask.
    kestra: Annotated[
        bool,
        typer.Option(
            "--kestra",
            help="also publish the counts and figures as Kestra outputs and metrics, on stderr"
            " (sync, reconcile, transform, test, report, run, stream)",
        ),
    ] = False,
) -> None:
    """AdventureWorks ELT: PostgreSQL → DuckDB or BigQuery, with transforms, checks and reports."""
    ctx.obj = {
        "source_dsn": source_dsn,
        "warehouse": warehouse,
        "duckdb_path": duckdb_path,
        "home": home,
        "kestra": kestra,
    }


Result = TypeVar("Result")


def publish_for_kestra(
    ctx: typer.Context, publish: Callable[[Result], None], result: Result
) -> None:
    """With the global `--kestra`, hand a command's result to an `adventure_elt.kestra` publisher.

    Its `::{...}::` lines go to stderr, which Kestra reads as well as stdout: stdout is the
    command's data (`report --json > report.json` must stay a JSON file).
    """
    if (ctx.find_root().obj or {}).get("kestra"):
        with contextlib.redirect_stdout(sys.stderr):
            publish(result)


def settings_from(ctx: typer.Context, **overrides: Any) -> Settings:
    """The settings of the global options, with a command's own options (None: not given)."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings.load({**(ctx.find_root().obj or {}), **given})
