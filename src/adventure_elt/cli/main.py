"""The `adventure-elt` app: every command registered in one place, and the entry point.

Exit codes: 0 ok, 1 a check failed (or an unexpected error), 2 bad input or an unreachable
system, 130 interrupted. Errors print as one line on stderr; progress goes to stderr too, so
stdout carries only data.
"""

from __future__ import annotations

import inspect
import os
import sys
import traceback

import typer
from rich.markup import escape

from adventure_elt import signals
from adventure_elt.cli import bigquery, cdc, docs, oltp, replicate, run, serve, stream, transform
from adventure_elt.cli.console import err, print_error, redacted_output
from adventure_elt.cli.options import global_options
from adventure_elt.errors import AdventureEltError, first_line
from adventure_elt.redact import redact

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
app.command("runs")(run.runs_command)
app.add_typer(oltp.app, name="oltp")
app.command("sync")(replicate.sync_command)
app.command("reconcile")(replicate.reconcile_command)
app.add_typer(cdc.app, name="cdc")
app.command("airbyte-config")(replicate.airbyte_config_command)
app.command("airbyte-views")(replicate.airbyte_views_command)
app.command("transform")(transform.transform_command)
app.command("test")(transform.test_command)
app.command("compile")(transform.compile_command)
app.command("lineage")(transform.lineage_command)
app.command("bigquery-check")(bigquery.bigquery_check_command)
app.command("docs")(docs.docs_command)
app.add_typer(stream.app, name="stream")
app.command("query")(serve.query_command)
app.command("report")(serve.report_command)
app.command("dashboard")(serve.dashboard_command)


def _flowing_help(typer_app: typer.Typer) -> None:
    """Give every command its docstring as help, each paragraph on one line.

    Typer prints a docstring's own line breaks, made at the source's width, then wraps again
    at the terminal's: a word or two were left alone on a line.
    """
    for command in typer_app.registered_commands:
        if command.help is None and command.callback is not None:
            doc = inspect.getdoc(command.callback) or ""
            command.help = "\n\n".join(" ".join(p.split()) for p in doc.split("\n\n"))
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _flowing_help(group.typer_instance)


_flowing_help(app)


def main() -> None:
    """Console-script entry point: run the app; every error becomes one line on stderr.

    Exit codes: 0 ok; 1 a check failed, or an unexpected error (a bug: one line, and the
    traceback with ADVENTURE_ELT_TRACEBACK=1); 2 bad input — a usage error, a bad setting, an
    unreachable system; 130 interrupted. Everything written goes through `redact`.
    """
    with signals.installed(), redacted_output():
        code = run_app()
    sys.exit(code)


def run_app(args: list[str] | None = None) -> int:
    """Run the app on `args` (default: the command line) and return its exit code."""
    signals.forget()  # a process may run several commands (the tests, a notebook)
    try:
        code = _run_command(args)
        if code == 130:
            # Typer turns KeyboardInterrupt into exit 130 silently. (A command that caught the
            # interrupt and ended normally, as `oltp activity` does, keeps its own exit code.)
            print_error(f"interrupted by {signals.received() or 'SIGINT'}")
        return code
    finally:
        signals.forget()


def _run_command(args: list[str] | None) -> int:
    try:
        result = app(args=args, prog_name="adventure-elt", standalone_mode=False)
    except typer.TyperException as exc:  # Typer's (Click's) usage errors, unreadable files
        if type(exc).__name__ == "NoArgsIsHelpError":  # a group named alone: its help
            typer.echo(exc.format_message())
            return 2
        context = getattr(exc, "ctx", None)
        command = context.command_path if context is not None else "adventure-elt"
        hint = f"; see '{command} --help'"
        print_error(exc.format_message().rstrip(".") + (hint if exc.exit_code == 2 else ""))
        return exc.exit_code
    except typer.Abort:
        return 130
    except AdventureEltError as exc:
        if signals.received():
            return 130
        print_error(str(exc))
        return exc.exit_code
    except Exception as exc:  # a bug: still one line, never a traceback with secrets in it
        if signals.received():
            return 130
        if os.environ.get("ADVENTURE_ELT_TRACEBACK"):
            err.print(escape(redact("".join(traceback.format_exception(exc)))), highlight=False)
        print_error(
            f"unexpected {type(exc).__name__}: {first_line(exc)} — this is a bug; "
            "run again with ADVENTURE_ELT_TRACEBACK=1 to see where, and report it"
        )
        return 1
    return result if isinstance(result, int) else 0
