"""`adventure-elt stream …`: real-time web events — generate them, ingest them, or both."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from adventure_elt.cli.console import err
from adventure_elt.cli.options import JsonOption, publish_for_kestra, settings_from
from adventure_elt.kestra import publish_stream
from adventure_elt.progress import ProgressEvent

if TYPE_CHECKING:
    from adventure_elt.stream.ingest import IngestOptions

app = typer.Typer(
    help="Real-time web events: generate them, ingest them, or both at once.",
    no_args_is_help=True,
)

RateOption = Annotated[
    float,
    typer.Option(help="events a second (steady)", min=0.001, max=1_000_000),
]
DurationOption = Annotated[str, typer.Option(help="how long to run, e.g. 30s, 5m")]
BatchSizeOption = Annotated[
    int, typer.Option(help="write a micro-batch when it holds this many lines", min=1)
]
MaxWaitOption = Annotated[
    str | None,
    typer.Option(
        help="write a micro-batch when its first line waited this long "
        "[default: 500ms on DuckDB, 10s on BigQuery]",
        show_default=False,
    ),
]
MaxAgeOption = Annotated[str, typer.Option(help="reject events older than this, e.g. 7d")]
MaxFutureOption = Annotated[str, typer.Option(help="reject events further ahead than this")]


def _ingest_options(
    batch_size: int,
    max_wait: str | None,
    max_age: str | None = None,
    max_future: str | None = None,
) -> IngestOptions:
    """IngestOptions; without max_age and max_future, the default TimeWindow; without
    max_wait, the sink's own."""
    from adventure_elt.durations import parse_duration
    from adventure_elt.stream.ingest import IngestOptions
    from adventure_elt.stream.validate import TimeWindow

    window = TimeWindow()
    if max_age is not None and max_future is not None:
        window = TimeWindow(max_future=parse_duration(max_future), max_age=parse_duration(max_age))
    wait = None if max_wait is None else parse_duration(max_wait).total_seconds()
    return IngestOptions(batch_size=batch_size, max_wait=wait, window=window)


def _print_batch(event: ProgressEvent) -> None:
    # One line per stored batch: a stream has no total, and each line is an acknowledgement.
    # The closing counts are the command's result: printed once, on stdout.
    if event.finished:
        return
    err.print(f"{event.task}: {event.message}", highlight=False, soft_wrap=True)


def _print_ingest_counts(counts: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(counts.as_dict()))
    else:
        typer.echo(counts.describe())


@app.command("generate")
def stream_generate(
    ctx: typer.Context,
    rate: RateOption = 100.0,
    duration: DurationOption = "10s",
    count: Annotated[
        int | None,
        typer.Option(help="emit exactly this many events as fast as possible (no pacing)", min=0),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="random seed: the same seed gives the same events")
    ] = None,
    known_share: Annotated[
        float,
        typer.Option(help="share of sessions by known customers", min=0.0, max=1.0),
    ] = 0.3,
) -> None:
    """Write mock web page views as JSON lines on stdout, at a steady rate.

    A share of the sessions belong to real customers (read from the source if it is running,
    else from the warehouse's raw layer, else synthetic ids: a note on stderr says which).

    Example: adventure-elt stream generate --rate 500 --duration 1m --seed 7 > events.jsonl
    """
    from adventure_elt.durations import parse_duration
    from adventure_elt.stream.generator import event_lines, generator_for, write_events

    length = parse_duration(duration)  # a bad duration is the only line printed
    generator, note = generator_for(settings_from(ctx), seed, known_share)
    err.print(f"customer ids: {note}", highlight=False)
    sink = sys.stdout.buffer
    try:
        write_events(event_lines(generator, rate=rate, duration=length, count=count), sink)
        sink.flush()
    except BrokenPipeError:
        # the reader went away (`| head`): stop quietly, as Unix tools do
        sys.stderr.close()
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@app.command("ingest")
def stream_ingest(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Option("--from", help="JSON-lines file to read, or - for stdin")
    ] = "-",
    batch_size: BatchSizeOption = 50_000,
    max_wait: MaxWaitOption = None,
    max_age: MaxAgeOption = "7d",
    max_future: MaxFutureOption = "5m",
    as_json: JsonOption = False,
) -> None:
    """Load JSON-lines web events into raw.web_events in micro-batches; bad lines go to
    raw.web_events_rejected with the reason. Replays are harmless (dedup by event_id).

    Prints one line per stored batch on stderr and `read … loaded … duplicates … rejected …`
    at the end. SIGINT/SIGTERM store the open batch, print the counts and exit 0.

    Example: adventure-elt stream generate --rate 1000 --duration 1m | adventure-elt stream ingest
    """
    from adventure_elt.stream.ingest import ingest_source

    options = _ingest_options(batch_size, max_wait, max_age, max_future)
    counts = ingest_source(settings_from(ctx), source, options=options, progress=_print_batch)
    publish_for_kestra(ctx, publish_stream, counts)
    _print_ingest_counts(counts, as_json)


@app.command("run")
def stream_run(
    ctx: typer.Context,
    rate: RateOption = 100.0,
    duration: DurationOption = "10s",
    seed: Annotated[int | None, typer.Option(help="random seed of the events")] = None,
    batch_size: BatchSizeOption = 50_000,
    max_wait: MaxWaitOption = None,
    as_json: JsonOption = False,
) -> None:
    """Generate and ingest web events in one process (a demo of the whole stream).

    SIGINT/SIGTERM store what was generated, print the counts and exit 0.

    Example: adventure-elt stream run --rate 200 --duration 30s
    """
    from adventure_elt.durations import parse_duration
    from adventure_elt.stream.ingest import run_stream

    options = _ingest_options(batch_size, max_wait)
    counts = run_stream(
        settings_from(ctx),
        rate=rate,
        duration=parse_duration(duration),
        seed=seed,
        options=options,
        progress=_print_batch,
    )
    publish_for_kestra(ctx, publish_stream, counts)
    _print_ingest_counts(counts, as_json)
