"""`adventure-elt cdc start|status|drop`: log-based replication into the raw layer."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from adventure_elt import signals
from adventure_elt.cli.console import err, out, print_json
from adventure_elt.cli.options import JsonOption, settings_from

if TYPE_CHECKING:
    from adventure_elt.replicate.cdc.stream import CdcStatus, StreamSummary

app = typer.Typer(
    help="Log-based replication (CDC): the raw layer follows the source within seconds.",
    no_args_is_help=True,
)


@app.command("start")
def cdc_start(
    ctx: typer.Context,
    max_changes: Annotated[
        int, typer.Option(help="close a batch at the first commit after this many changes", min=1)
    ] = 10_000,
    max_wait: Annotated[
        str, typer.Option(help="... or this long after its first change arrived, e.g. 500ms")
    ] = "200ms",
    duration: Annotated[
        str | None,
        typer.Option(help="stop by itself after this long, e.g. 1h (a scheduled restart)"),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Stream the source's changes into the raw tables until SIGTERM/SIGINT, then summarise.

    Makes the publication and the replication slot when missing; a new slot starts with a copy
    of every table read in the slot's snapshot (no gap, no double). A table whose column changed
    type or was dropped is stopped (the others go on) and the run exits 1 saying how to recover.

    Example: adventure-elt cdc start --max-wait 1s --duration 1h
    """
    from adventure_elt.durations import parse_duration
    from adventure_elt.errors import CheckFailedError
    from adventure_elt.replicate.cdc.stream import RELEASE_WAIT_SECONDS, CdcStream

    wait = parse_duration(max_wait).total_seconds()
    if wait <= 0:
        raise typer.BadParameter("--max-wait must be above 0, e.g. 500ms")
    settings = settings_from(ctx)
    stream = CdcStream(
        settings,
        max_changes=max_changes,
        max_seconds=wait,
        on_batch=_progress(),
        on_streaming=lambda: err.print(
            f"cdc: streaming from slot {settings.cdc_slot}", highlight=False, soft_wrap=True
        ),
        on_slot_held=lambda pid: err.print(
            f"cdc: slot {settings.cdc_slot} is held by process {pid} (a run stopped a moment"
            f" ago?); waiting up to {RELEASE_WAIT_SECONDS:g} s for it",
            highlight=False,
            soft_wrap=True,
        ),
    )
    timer = None
    if duration is not None:
        seconds = parse_duration(duration).total_seconds()
        if seconds <= 0:
            raise typer.BadParameter("--duration must be above 0, e.g. 1h")
        timer = threading.Timer(seconds, stream.request_stop)
        timer.daemon = True
        timer.start()
    with signals.caught(stream.request_stop):
        summary = stream.run()
    if timer is not None:
        timer.cancel()
    if as_json:
        print_json(summary.as_dict())
    else:
        _print_summary(summary)
    if summary.stopped:
        first = min(summary.stopped.items())[1]
        more = len(summary.stopped) - 1
        raise CheckFailedError(first + (f" (and {more} more stopped table(s))" if more else ""))


def _progress() -> Callable[[StreamSummary], None]:
    """Print each batch applied, and each table the moment it is stopped."""
    told: set[str] = set()

    def report(summary: StreamSummary) -> None:
        err.print(
            f"cdc: applied up to {summary.applied_lsn} ({summary.changes:,} changes in"
            f" {summary.batches:,} batches)",
            highlight=False,
            soft_wrap=True,
        )
        for table, message in sorted(summary.stopped.items()):
            if table not in told:
                told.add(table)
                err.print(f"cdc: stopped {message}", highlight=False, soft_wrap=True)

    return report


def _print_summary(summary: StreamSummary) -> None:
    console = out
    if summary.initial_copy:
        console.print("initial copy: every table copied in the new slot's snapshot")
    console.print(
        f"changes read: {summary.changes:,} in {summary.batches:,} batches; applied up to"
        f" {summary.applied_lsn or '-'}",
        highlight=False,
    )
    for name, counts in sorted(summary.tables.items()):
        console.print(
            f"{name}: {counts.inserted:,} inserted, {counts.updated:,} updated,"
            f" {counts.deleted:,} deleted",
            highlight=False,
        )
    for message in (m for _, m in sorted(summary.stopped.items())):
        console.print(f"stopped: {message}", highlight=False, soft_wrap=True)
    seconds = "-" if summary.lag_seconds is None else f"{summary.lag_seconds:.3f} s"
    bytes_ = "-" if summary.lag_bytes is None else f"{summary.lag_bytes:,} bytes"
    console.print(f"lag: {bytes_} of WAL, last batch {seconds} after commit", highlight=False)


@app.command("status")
def cdc_status_command(
    ctx: typer.Context,
    warn_retained: Annotated[
        int,
        typer.Option(help="warn (exit 1) when the slot retains more WAL than this many bytes"),
    ] = 1 << 30,
    as_json: JsonOption = False,
) -> None:
    """Show the slot, the publication, the confirmed LSN, the lag and the retained WAL.

    Exits 1 with a warning when the slot retains more WAL than --warn-retained, or when a
    table is stopped (a column changed type or was dropped: its line says how to recover).

    Example: adventure-elt cdc status --json
    """
    from adventure_elt.errors import CheckFailedError
    from adventure_elt.replicate.cdc.stream import cdc_status

    status = cdc_status(settings_from(ctx), warn_retained)
    document = status.as_dict()
    if as_json:
        print_json(document)
    else:
        _print_status(status, document)
    if status.warnings:
        raise CheckFailedError(status.warnings[0])


def _print_status(status: CdcStatus, document: dict[str, Any]) -> None:
    console = out
    for name in (
        "slot",
        "slot_exists",
        "active_pid",
        "publication",
        "publication_exists",
        "confirmed_lsn",
        "lag_bytes",
        "lag_seconds",
        "retained_wal_bytes",
        "wal_status",
    ):
        console.print(f"{name}: {document[name]}", highlight=False)
    last = status.applied
    console.print(
        "last batch: -"
        if last is None
        else f"last batch: up to {document['last_batch']['applied_lsn']} at"
        f" {last.applied_at.isoformat()} ({last.changes:,} changes)",
        highlight=False,
    )
    for stopped in status.stopped:
        console.print(f"stopped: {stopped.message}", highlight=False, soft_wrap=True)


@app.command("drop")
def cdc_drop_command(ctx: typer.Context) -> None:
    """Remove the replication slot and the publication (the source frees the WAL kept).

    Example: adventure-elt cdc drop
    """
    from adventure_elt.replicate.cdc.stream import cdc_drop

    settings = settings_from(ctx)
    slot, publication = cdc_drop(settings)
    typer.echo(
        f"slot {settings.cdc_slot}: {'dropped' if slot else 'did not exist'};"
        f" publication {settings.cdc_publication}: {'dropped' if publication else 'did not exist'}"
    )
