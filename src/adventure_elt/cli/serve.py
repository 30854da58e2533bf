"""`adventure-elt report`, `query`, `dashboard`: the answers, for people and programs."""

from __future__ import annotations

import sys
from datetime import date
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from adventure_elt.cli.console import (
    cell,
    err,
    json_value,
    print_csv,
    print_json,
    print_report,
    print_table,
)
from adventure_elt.cli.options import (
    JsonOption,
    TargetAlias,
    WarehouseOption,
    publish_for_kestra,
    settings_from,
)
from adventure_elt.kestra import publish_report


def report_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Print the five business answers from the built reports (run `transform` first).

    Example: adventure-elt report --json
    """
    from adventure_elt.report import report

    document = report(settings_from(ctx))
    publish_for_kestra(ctx, publish_report, document)
    if as_json:
        print_json(document)
        return
    print_report(dict(document))


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
    limit: Annotated[
        int | None, typer.Option(help="at most this many rows", min=0, max=1_000_000_000)
    ] = None,
    show_sql: Annotated[
        bool, typer.Option("--sql", help="print the SQL instead of running it")
    ] = False,
    warehouse: WarehouseOption = None,
    list_fields: Annotated[
        bool, typer.Option("--list", help="list the measures and dimensions, then stop")
    ] = False,
    as_json: JsonOption = False,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="print CSV (a header, then one line per row)")
    ] = False,
    target: TargetAlias = None,
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
    if as_json and as_csv:
        raise typer.BadParameter("--json and --csv each choose the output; give one")
    dimensions = [d.strip() for item in by or [] for d in item.split(",") if d.strip()]
    if not measures and not dimensions:
        raise typer.BadParameter("name at least one measure or --by dimension (see --list)")
    settings = settings_from(ctx, warehouse=warehouse or target)
    if show_sql:
        from functools import partial

        from adventure_elt.warehouse import ENGINES

        engine = ENGINES.get(settings.warehouse)
        typer.echo(
            compile_query(
                model,
                measures or [],
                dimensions,
                where or [],
                order or [],
                limit,
                target=settings.warehouse,
                grain=grain,
                relation=None if engine is None else partial(engine.printed_relation, settings),
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
        print_json(rows)
        return
    labels = len(dimensions)
    if as_csv:
        print_csv(
            table.column_names,
            [[dimension_text(k, v) if i < labels else v for i, (k, v) in enumerate(row.items())]
             for row in rows],
        )  # fmt: skip
        return
    shown = Table(box=box.SIMPLE_HEAD, caption=None if rows else "no rows")
    for i, name in enumerate(table.column_names):
        shown.add_column(name, justify="left" if i < labels else "right")
    for row in rows:
        shown.add_row(
            *(
                dimension_text(k, v) if i < labels else cell(json_value(v))
                for i, (k, v) in enumerate(row.items())
            )
        )
    print_table(shown)


def dimension_text(column: str, value: object) -> str:
    """A dimension's value as text; a date at the `year` grain as its year (`2011`, not
    `2011-01-01`: the first day stands for the whole year).

    >>> from datetime import date
    >>> dimension_text("order_date_year", date(2011, 1, 1)), dimension_text("city", None)
    ('2011', '')
    """
    if value is None:
        return ""
    if column.endswith("_year") and isinstance(value, date):
        return str(value.year)
    return str(value)


def _print_catalog(catalog: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print_json(catalog)
        return
    for kind, extra in (("measures", "type"), ("dimensions", "grains")):
        table = Table(title=kind.capitalize(), title_justify="left", box=box.SIMPLE_HEAD)
        for name in ("name", "label", extra, "description"):
            table.add_column(name)
        for item in catalog[kind]:
            detail = item[extra] if extra == "type" else ", ".join(item[extra]) or item["type"]
            table.add_row(item["name"], item["label"], detail, item["description"])
        print_table(table)


def _an_address(host: str) -> str:
    """Refuse a blank `--host`: Streamlit took it for 0.0.0.0, every interface (an unset
    `$HOST` in a script shared the dashboard on the network)."""
    if not host.strip():
        raise typer.BadParameter("give an address, e.g. 127.0.0.1 (0.0.0.0: every interface)")
    return host


def dashboard_command(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="port to serve on", min=1, max=65535)] = 8501,
    host: Annotated[
        str,
        typer.Option(
            help="address to listen on; 0.0.0.0 shares it on the network", callback=_an_address
        ),
    ] = "127.0.0.1",
) -> None:
    """Serve the Streamlit dashboard: the five answers as charts, filters, live web traffic.

    Reads the warehouse read-only through the semantic layer; needs the `dashboard` extra
    (pip install 'adventure-elt\\[dashboard]'). Stop it with Ctrl-C.

    Example: adventure-elt dashboard --port 8502
    """
    import os

    from adventure_elt.dashboard.launch import (
        check_port,
        dashboard_env,
        dashboard_url,
        require_streamlit,
        streamlit_command,
    )
    from adventure_elt.errors import WarehouseError
    from adventure_elt.warehouse import engine_of

    settings = settings_from(ctx)
    require_streamlit()
    # here, not in dashboard/: no dashboard module imports the warehouse adapters
    problem = engine_of(settings).not_built(settings)
    if problem is not None:
        raise WarehouseError(f"{problem}; run 'adventure-elt demo' (or sync + transform) first")
    check_port(host, port)
    typer.echo(dashboard_url(host, port))
    err.print("dashboard starting; stop it with Ctrl-C", highlight=False)
    sys.stdout.flush()
    sys.stderr.flush()
    # Become Streamlit (exec, not a child): Ctrl-C, SIGTERM from a supervisor and the exit code
    # all reach the server itself, and no orphan is left serving when this command is stopped.
    command = streamlit_command(host, port)
    os.execve(command[0], command, dashboard_env(settings))
