"""Options shared by several commands, and the global options all settings start from."""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from adventure_elt.settings import Settings

JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


def finite(value: float | None) -> float | None:
    """The callback of a float option without bounds: refuse `nan` and `inf`, which ended in an
    OverflowError deep inside a command (Typer's `min`/`max` refuse them where they are set)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number")
    return value


SeedOption = Annotated[
    int, typer.Option(help="random seed; the same seed gives the same data", min=0)
]

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


WarehouseOption = Annotated[
    str | None,
    typer.Option("--warehouse", help="duckdb or bigquery [default: the configured warehouse]"),
]
# `--target` was the name of `--warehouse` on `compile` and `query`: still read, not shown.
TargetAlias = Annotated[str | None, typer.Option("--target", hidden=True)]

# dlt logs through Python logging at the level of RUNTIME__LOG_LEVEL (default WARNING): its
# warnings, such as "the dedup_sort column hint ... will be ignored", are notes for pipeline
# authors, not for the people running the pipeline. Shown with --verbose; an
# explicit RUNTIME__LOG_LEVEL always wins.
DLT_LOG_LEVEL = {"quiet": "ERROR", "default": "ERROR", "verbose": "WARNING"}
_USERS_DLT_LOG_LEVEL = os.environ.get("RUNTIME__LOG_LEVEL")  # before any command set it


def show_version(value: bool) -> None:
    """`--version`: print the package's version and stop."""
    if value:
        from adventure_elt import __version__

        typer.echo(f"adventure-elt {__version__}")
        raise typer.Exit()


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
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="no progress and no messages on stderr, only errors"),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="also show dlt's warnings (or set RUNTIME__LOG_LEVEL)"
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=show_version, is_eager=True, help="print the version and stop"
        ),
    ] = False,
) -> None:
    """AdventureWorks ELT: PostgreSQL → DuckDB or BigQuery, with transforms, checks and reports."""
    from adventure_elt.cli.console import set_quiet

    if quiet and verbose:
        raise typer.BadParameter("--quiet and --verbose contradict each other; give one")
    set_quiet(quiet)
    loudness = "quiet" if quiet else "verbose" if verbose else "default"
    # dlt reads its level from the environment when a pipeline starts
    os.environ["RUNTIME__LOG_LEVEL"] = _USERS_DLT_LOG_LEVEL or DLT_LOG_LEVEL[loudness]
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
