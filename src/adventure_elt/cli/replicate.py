"""`adventure-elt sync`, `reconcile`, `airbyte-config`, `airbyte-views`: source to raw layer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from adventure_elt.cli.console import RichProgress, err, out, print_json, print_table
from adventure_elt.cli.options import JsonOption, publish_for_kestra, settings_from
from adventure_elt.kestra import publish_reconcile, publish_sync


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
    from adventure_elt.replicate.not_synced import TablesNotSyncedError
    from adventure_elt.replicate.sync import sync

    window = parse_duration(lag) if lag is not None else None
    settings = settings_from(ctx)
    failure: TablesNotSyncedError | None = None
    try:
        with RichProgress() as progress:
            summary = sync(
                settings,
                tables=tables,
                full_refresh=full_refresh,
                lag=window,
                detect_deletes=detect_deletes,
                progress=progress,
            )
    except TablesNotSyncedError as exc:
        # The other tables were synced: show their summary, then fail (exit 2) with one line.
        summary, failure = exc.summary, exc
    publish_for_kestra(ctx, publish_sync, summary)
    if as_json:
        print_json(summary.as_dict())
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
    print_table(table)
    for t in summary.tables:
        for note in t.notes:
            # one line however long (soft wrap), so the command it names is whole in logs
            out.print(f"{t.table}: {note}", highlight=False)
    out.print(f"total {summary.seconds:.2f} s", highlight=False)
    if failure is not None:
        raise failure


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
    from adventure_elt.replicate.reconcile import reconcile, require_clean

    settings = settings_from(ctx)
    if err.is_terminal:
        with RichProgress() as progress:
            results = reconcile(settings, tables, progress=progress)
    else:
        results = reconcile(settings, tables)
    publish_for_kestra(ctx, publish_reconcile, results)
    if as_json:
        print_json([r.to_dict() for r in results])
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
        print_table(table)
    require_clean(results)


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
    from adventure_elt.replicate.airbyte import (
        AirbyteTarget,
        check_airbyte_files,
        write_airbyte_config,
    )

    target = AirbyteTarget.given(
        host=host,
        username=username,
        project_id=project,
        port=port,
        database=database,
        ssl_mode=ssl_mode,
        dataset_id=dataset,
        dataset_location=location,
        cron=cron,
    )
    if check:
        check_airbyte_files(out, target, raw_dataset=raw_dataset)
        err.print(f"{out}/ matches the catalog")
        return
    for path in write_airbyte_config(out, target, raw_dataset=raw_dataset):
        typer.echo(str(path))


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

    with RichProgress() as progress:
        applied = apply_raw_views(settings_from(ctx), dataset, progress=progress)
    if as_json:
        print_json([{"view": a.view, "source": a.source} for a in applied])
        return
    for view in applied:
        typer.echo(f"{view.view} <- {view.source}")
