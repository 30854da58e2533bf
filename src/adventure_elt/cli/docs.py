"""`adventure-elt docs`: the project as a static site to browse (models, columns, checks,
lineage, semantic layer)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from adventure_elt.cli.console import RichProgress, err
from adventure_elt.cli.options import SqlDirOption, settings_from


def docs_command(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="folder for the site, replaced when it holds an earlier one "
            "(default: docs/ in --home, i.e. .adventure/docs)",
            show_default=False,
        ),
    ] = None,
    sql_dir: SqlDirOption = None,
) -> None:
    """Build a static docs site: every model with its columns, types, checks and their last
    results, lineage graphs down to raw columns, and the semantic layer; types and results come
    from the warehouse when it is built. Works offline; prints the path of index.html.

    Example: adventure-elt docs --out site   (then open site/index.html in a browser)
    """
    from adventure_elt.docs_site import build_docs

    settings = settings_from(ctx)
    with RichProgress() as progress:
        index, facts = build_docs(
            settings, out or settings.home / "docs", sql_dir=sql_dir, progress=progress
        )
    if facts.warehouse_note:
        err.print(
            f"note: warehouse not read ({facts.warehouse_note}); types and check results "
            "are left out",
            markup=False,
            highlight=False,
        )
    typer.echo(str(index))
