"""`adventure-elt transform`, `test`, `compile`, `lineage`: the SQL models and their checks."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from adventure_elt.cli.console import (
    RichProgress,
    out,
    print_check_results,
    print_json,
    print_table,
)
from adventure_elt.cli.options import (
    JsonOption,
    SelectOption,
    SqlDirOption,
    TargetAlias,
    WarehouseOption,
    publish_for_kestra,
    settings_from,
)
from adventure_elt.kestra import publish_checks, publish_transform


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
        typer.Option(
            help="BigQuery: refuse to run when the dry run totals more bytes, and cap every "
            "query job at that many bytes billed [env ADVENTURE_ELT_BIGQUERY_MAX_BYTES_BILLED "
            "caps the jobs of every command]",
            min=0,
        ),
    ] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Build the SQL models (seeds → staging → marts → reports) in dependency order.

    Example: adventure-elt transform --select fct_sales+

    Cost guard: adventure-elt transform --dry-run --warehouse bigquery --max-bytes 10000000000
    """
    from adventure_elt.transform import transform

    settings = settings_from(ctx, warehouse=warehouse, bigquery_max_bytes_billed=max_bytes)
    if dry_run or max_bytes is not None:
        from adventure_elt.transform.cost import check_budget, estimate

        plan = estimate(settings, select, sql_dir, full_refresh)
        if dry_run:
            _print_cost_plan(plan, as_json=as_json)
        if max_bytes is not None:
            check_budget(plan, max_bytes)
        if dry_run:
            return

    with RichProgress() as progress:
        summary = transform(
            settings,
            select=select,
            full_refresh=full_refresh,
            progress=progress,
            sql_dir=sql_dir,
        )
    publish_for_kestra(ctx, publish_transform, summary)
    if as_json:
        print_json(summary.to_dict())
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
    print_table(table)
    out.print(f"{summary.built} models built in {summary.seconds:.2f}s", highlight=False)


def _print_cost_plan(plan: Any, *, as_json: bool) -> None:
    """The dry run's bytes per model and the total (stdout: it is the command's data)."""
    from adventure_elt.transform.cost import format_bytes

    if as_json:
        print_json(plan.to_dict())
        return
    table = Table(title="Dry run (bytes processed)", title_justify="left")
    for column, justify in (("model", "left"), ("built as", "left"), ("bytes", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for model in plan.models:
        size = "?" if model.bytes_processed is None else f"{model.bytes_processed:,}"
        table.add_row(model.model, model.materialized, size)
    print_table(table)
    out.print(f"total {plan.total_bytes:,} bytes ({format_bytes(plan.total_bytes)})")
    for model in plan.unknown:
        out.print(f"{model.model}: not estimated: {model.error}", highlight=False)


def test_command(
    ctx: typer.Context,
    select: SelectOption = None,
    sql_dir: SqlDirOption = None,
    store_failures: Annotated[
        bool,
        typer.Option(
            "--store-failures",
            help="also write each check's offending rows to the table audit.<model>__<check>",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Run the data checks of _models.yml: one line per check, then PASS=n WARN=n ERROR=n.

    Shows up to 5 offending rows of each failing check (its model's key and the tested column).
    Exits 1 when a check fails; a check declared `severity: warn` only warns.

    Example: adventure-elt test --select marts.fct_sales --store-failures
    """
    from adventure_elt.transform import run_checks

    report = run_checks(
        settings_from(ctx), select=select, sql_dir=sql_dir, store_failures=store_failures
    )
    publish_for_kestra(ctx, publish_checks, report)
    if as_json:
        print_json(report.to_dict())
    else:
        print_check_results(report)
    if not report.passed:
        raise typer.Exit(1)


def compile_command(
    ctx: typer.Context,
    model: Annotated[
        str | None, typer.Argument(help="model name; all models when left out")
    ] = None,
    warehouse: WarehouseOption = None,
    sql_dir: SqlDirOption = None,
    target: TargetAlias = None,
) -> None:
    """Print the SQL a model would run on the warehouse's engine (after the portability lint).

    Example: adventure-elt compile fct_sales --warehouse duckdb
    """
    from adventure_elt.transform import compile_all, compile_model

    target = settings_from(ctx, warehouse=warehouse or target).warehouse

    if model is not None:
        typer.echo(compile_model(model, target=target, sql_dir=sql_dir))
        return
    for name, sql in compile_all(target=target, sql_dir=sql_dir).items():
        typer.echo(f"-- {name}\n{sql.rstrip()}\n")


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
    if as_json:
        print_json(tree.to_dict())
        return
    typer.echo(tree.render())
