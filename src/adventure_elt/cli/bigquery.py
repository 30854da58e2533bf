"""`adventure-elt bigquery-check`: a real BigQuery project checked before the first run."""

from __future__ import annotations

import typer

from adventure_elt.cli.console import RichProgress, err, print_bigquery_check, print_json
from adventure_elt.cli.options import JsonOption, SqlDirOption, settings_from


def bigquery_check_command(
    ctx: typer.Context, sql_dir: SqlDirOption = None, as_json: JsonOption = False
) -> None:
    """Dry-run every model, check and report query on the configured BigQuery project: what
    BigQuery refuses and what each would process. Free (dry runs), writes nothing; exit 1 if
    BigQuery refuses a query or one is above the bytes-billed limit.

    Example: ADVENTURE_ELT_BIGQUERY_PROJECT=my-project adventure-elt bigquery-check
    """
    from adventure_elt.bigquery_check import check_bigquery

    settings = settings_from(ctx)
    with RichProgress() as progress:
        check = check_bigquery(settings, sql_dir=sql_dir, progress=progress)
    if as_json:
        print_json(check.to_dict())
    else:
        print_bigquery_check(check)
    refused, over = len(check.refused), len(check.over_limit)
    err.print(
        f"{len(check.queries)} queries: {refused} refused, {over} above the bytes-billed limit",
        highlight=False,
    )
    if not check.passed:
        raise typer.Exit(1)
