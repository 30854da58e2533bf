"""The `adventure-elt` app: every command registered in one place, and the entry point.

Exit codes: 0 ok, 1 a check failed, 2 bad input or an unreachable system. Errors print as one
line on stderr; progress goes to stderr too, so stdout carries only data.
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from adventure_elt.cli import docs, oltp, replicate, run, serve, stream, transform
from adventure_elt.cli.console import err
from adventure_elt.cli.options import global_options
from adventure_elt.errors import AdventureEltError

app = typer.Typer(
    name="adventure-elt",
    help="AdventureWorks ELT: PostgreSQL → DuckDB or BigQuery, with transforms and reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.callback()(global_options)

# In the order of the data's journey: the whole thing, the source, replication, transforms,
# the stream, then the answers.
app.command("demo")(run.demo_command)
app.command("run")(run.run_command)
app.add_typer(oltp.app, name="oltp")
app.command("sync")(replicate.sync_command)
app.command("reconcile")(replicate.reconcile_command)
app.command("airbyte-config")(replicate.airbyte_config_command)
app.command("airbyte-views")(replicate.airbyte_views_command)
app.command("transform")(transform.transform_command)
app.command("test")(transform.test_command)
app.command("compile")(transform.compile_command)
app.command("lineage")(transform.lineage_command)
app.command("docs")(docs.docs_command)
app.add_typer(stream.app, name="stream")
app.command("query")(serve.query_command)
app.command("report")(serve.report_command)
app.command("dashboard")(serve.dashboard_command)


def main() -> None:
    """Console-script entry point: run the app, turning library errors into one-line messages.

    Typer itself reports bad options and arguments (exit 2) and Ctrl-C.
    """
    try:
        app()
    except AdventureEltError as exc:
        # escaped: messages hold literal brackets (`[week_start]`) that are not Rich markup
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
