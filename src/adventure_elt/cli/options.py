"""Options shared by several commands, and the global options all settings start from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
) -> None:
    """AdventureWorks ELT: PostgreSQL → DuckDB or BigQuery, with transforms, checks and reports."""
    ctx.obj = {
        "source_dsn": source_dsn,
        "warehouse": warehouse,
        "duckdb_path": duckdb_path,
        "home": home,
    }


def settings_from(ctx: typer.Context, **overrides: Any) -> Settings:
    """The settings of the global options, with a command's own options (None: not given)."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings.load({**(ctx.find_root().obj or {}), **given})
