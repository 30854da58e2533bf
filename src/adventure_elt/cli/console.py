"""Everything the CLI prints: the two consoles, progress, tables of counts, runs and answers.

Data goes to stdout (`out`), progress and messages to stderr (`err`). On a terminal Rich draws
tables to fit it; piped into a file or a log (`is_terminal` false) every table is rendered at its
natural width as plain lines — no colour, no wrapping, no trailing blanks — so names and numbers
are never cut whatever `COLUMNS` says.
"""

from __future__ import annotations

import copy
import io
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TextIO

import typer
from rich import box
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from adventure_elt.progress import ProgressEvent
from adventure_elt.redact import redact

if TYPE_CHECKING:
    from adventure_elt.bigquery_check import BigQueryCheck
    from adventure_elt.freshness import RunStep
    from adventure_elt.pipeline import RunResult
    from adventure_elt.transform.checks import CheckReport, CheckResult

err = Console(stderr=True, soft_wrap=True)  # messages stay one line in logs
out = Console(soft_wrap=True)
_errors = Console(stderr=True, soft_wrap=True)  # errors print even with --quiet


def set_quiet(quiet: bool) -> None:
    """`--quiet`: progress and messages on stderr go silent; errors and stdout's data stay."""
    err.quiet = quiet


class RedactingStream:
    """A text stream that masks secrets (`redact`) in each line before `target` sees it.

    Lines are held until they end (or until `flush`), so a secret written in pieces is still
    masked whole. The binary `buffer` is passed through untouched: only `stream generate`
    writes there (events, not messages).
    """

    def __init__(self, target: TextIO) -> None:
        self.target = target
        self._pending = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            lines = (self._pending + text).split("\n")
            self._pending = lines.pop()
            if lines:
                self.target.write("".join(redact(line) + "\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        with self._lock:
            if self._pending:
                self.target.write(redact(self._pending))
                self._pending = ""
        self.target.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target, name)  # isatty, fileno, encoding, buffer …


@contextmanager
def redacted_output() -> Iterator[None]:
    """Route everything written to stdout and stderr through `redact` while the block runs."""
    saved = sys.stdout, sys.stderr
    sys.stdout = RedactingStream(saved[0])
    sys.stderr = RedactingStream(saved[1])
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with suppress(OSError, ValueError):  # a closed pipe (`| head`) has nothing to flush
                stream.flush()
        sys.stdout, sys.stderr = saved


# An error line echoes what the user gave (a measure name, a path): a pasted file or a runaway
# variable made it 100 kB long.
MAX_ERROR_CHARACTERS = 1_000


def print_error(message: str) -> None:
    """One line on stderr: `error: <message>` (redacted, Rich markup escaped, at most
    `MAX_ERROR_CHARACTERS` long)."""
    text = " ".join(redact(message).split())
    if len(text) > MAX_ERROR_CHARACTERS:
        cut = len(text) - MAX_ERROR_CHARACTERS
        text = f"{text[:MAX_ERROR_CHARACTERS]}… ({cut:,} more characters)"
    _errors.print(f"[red]error:[/red] {escape(text)}", highlight=False, soft_wrap=True)


def print_table(table: RenderableType) -> None:
    """A table on stdout: drawn to fit a terminal, plain lines elsewhere (see `plain_text`)."""
    if out.is_terminal:
        out.print(table)
    else:
        typer.echo(plain_text(table))


def plain_text(renderable: RenderableType) -> str:
    """`renderable` as text at its natural width: no colour, nothing wrapped or cut by `…`.

    >>> table = Table("table", "rows", title="Rows", title_justify="left")
    >>> table.add_row("person.businessentityaddress", "19,614")
    >>> print(plain_text(table))
    Rows
    ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━┓
    ┃ table                        ┃ rows   ┃
    ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━┩
    │ person.businessentityaddress │ 19,614 │
    └──────────────────────────────┴────────┘
    """
    if isinstance(renderable, Table):  # a title longer than the columns must not wrap either
        longest = max(len(str(text or "")) for text in (renderable.title, renderable.caption))
        renderable = copy.copy(renderable)
        renderable.min_width = max(renderable.min_width or 0, longest)
    width = Console(width=_UNLIMITED).measure(renderable).maximum
    console = Console(
        file=io.StringIO(), width=max(width, 1), color_system=None, highlight=False, emoji=False
    )
    with console.capture() as captured:
        console.print(renderable)
    return "\n".join(line.rstrip() for line in captured.get().splitlines())


_UNLIMITED = 1_000_000  # "as wide as it needs": Rich measures a table's natural width within it


class RateColumn(ProgressColumn):
    """Units a second (rows, bytes: whatever the task counts), once there is a rate."""

    def render(self, task: Task) -> Text:
        """`12,345/s`, or nothing before the second update."""
        speed = task.finished_speed or task.speed
        return Text("" if not speed else f"{speed:,.0f}/s", style="progress.data.speed")


class RichProgress:
    """Turns ProgressEvents into progress bars on stderr, or plain lines when it is not a terminal.

    A task with a total (a table's row estimate) fills its bar as it goes; one without pulses
    until it ends. Piped into a log (Kestra, CI), live bars would be printed as one block at the
    end, so there each finished task becomes one line instead (its count, time and rate) and an
    error stays the last line.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._live = err.is_terminal and not err.quiet
        self._bars = Progress(
            TextColumn("{task.description:<32}"),
            BarColumn(),
            TextColumn("{task.completed:>12,.0f}"),
            RateColumn(),
            TextColumn("{task.fields[message]}"),
            TimeElapsedColumn(),
            console=err,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._clock = clock
        self._started: dict[str, float] = {}

    def __enter__(self) -> RichProgress:
        if self._live:
            self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live:
            self._bars.stop()

    def __call__(self, event: ProgressEvent) -> None:
        if not self._live:
            if event.task not in self._started:
                self._started[event.task] = self._clock()
            if event.finished:
                seconds = self._clock() - self._started[event.task]
                err.print(plain_progress(event, seconds), highlight=False)
            return
        task = self._tasks.get(event.task)
        if task is None:
            task = self._bars.add_task(event.task, total=event.total, message="")
            self._tasks[event.task] = task
        self._bars.update(task, completed=event.done, total=event.total, message=event.message)
        if event.finished:
            self._bars.update(task, total=event.done or 1, completed=event.done or 1)


def plain_progress(event: ProgressEvent, seconds: float) -> str:
    """A finished task as one log line: its count, its note, its time and rate.

    >>> plain_progress(ProgressEvent("sync sales.customer", 19820, message="initial"), 0.5)
    'sync sales.customer: 19,820 initial (0.5 s, 39,640/s)'
    """
    note = f" {event.message}" if event.message else ""
    rate = f", {event.done / seconds:,.0f}/s" if event.done and seconds > 0 else ""
    return f"{event.task}: {event.done:,}{note} ({seconds:.1f} s{rate})"


def print_json(document: Any) -> None:
    """A JSON document on stdout, indented; decimals as numbers, dates as ISO text."""
    typer.echo(json.dumps(document, indent=2, default=json_value))


def print_csv(header: list[str], rows: list[list[Any]]) -> None:
    """CSV on stdout: the header, then the rows; decimals exact, dates ISO, NULL empty."""
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else csv_text(v) for v in row] for row in rows])


def csv_text(value: object) -> str:
    """A value as CSV text: decimals keep every digit (`str`, not float), dates are ISO."""
    return value.isoformat() if isinstance(value, date) else str(value)


def print_counts(counts: dict[str, int], *, as_json: bool, title: str) -> None:
    """Rows per table, as a table or as JSON."""
    if as_json:
        print_json(counts)
        return
    table = Table(title=title, title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    print_table(table)


def run_dict(result: RunResult) -> dict[str, Any]:
    """A run and its steps as plain data, for `--json`."""
    return {
        "run_id": result.run_id,
        "steps": [
            {
                "step": s.step,
                "status": s.status,
                "attempts": s.attempts,
                "rows": s.rows,
                "seconds": round(s.seconds, 3),
                "error": s.error,
            }
            for s in result.steps
        ],
    }


# What the `rows` of `ops.runs` count for each step: not all of them are rows.
STEP_COUNTS = {
    "sync": "rows written",
    "transform": "rows built",
    "test": "checks run",
    "report": "answer rows",
}


def runs_document(steps: Sequence[RunStep]) -> list[dict[str, Any]]:
    """Runs as `runs --json` prints them: newest first, each with its status and its steps."""
    runs: dict[str, list[RunStep]] = {}
    for step in steps:
        runs.setdefault(step.run_id, []).append(step)
    document = []
    for run_id, its_steps in runs.items():
        statuses = {s.status for s in its_steps}
        status = "failed" if "failed" in statuses else "running" if "running" in statuses else "ok"
        document.append(
            {
                "run_id": run_id,
                "started_at": its_steps[0].started_at.isoformat(),
                "status": status,
                "steps": [
                    {
                        "step": s.step,
                        "status": s.status,
                        "attempts": s.attempts,
                        "count": s.rows,
                        "counts": STEP_COUNTS.get(s.step, "rows"),
                        "seconds": None
                        if s.ended_at is None
                        else round((s.ended_at - s.started_at).total_seconds(), 3),
                        "error": s.error,
                    }
                    for s in its_steps
                ],
            }
        )
    return document


def print_run(result: RunResult) -> None:
    """A run's steps as a table; the count column says what each step's number counts."""
    table = Table(title=f"Run {result.run_id}", title_justify="left")
    for column in ("step", "status", "attempts", "count", "of", "seconds"):
        table.add_column(column, justify="left" if column in ("step", "status", "of") else "right")
    for s in result.steps:
        table.add_row(
            s.step,
            s.status,
            str(s.attempts),
            f"{s.rows:,}",
            STEP_COUNTS.get(s.step, "rows"),
            f"{s.seconds:.1f}",
        )
    print_table(table)


def print_runs(steps: Sequence[RunStep]) -> None:
    """Recent runs from `ops.runs`, newest first: one line per step, its error in full."""
    table = Table(title="Recent runs (newest first)", title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("run", "started (UTC)", "step", "status", "attempts", "count", "of"):
        table.add_column(column, justify="right" if column in ("attempts", "count") else "left")
    table.add_column("seconds", justify="right")
    table.add_column("error")
    for s in steps:
        seconds = "" if s.ended_at is None else f"{(s.ended_at - s.started_at).total_seconds():.1f}"
        status = s.status if s.status != "failed" else "[red]failed[/red]"
        table.add_row(
            s.run_id,
            f"{s.started_at:%Y-%m-%d %H:%M:%S}",
            s.step,
            status,
            str(s.attempts),
            f"{s.rows:,}",
            STEP_COUNTS.get(s.step, "rows"),
            seconds,
            escape(s.error or ""),
        )
    print_table(table)


def check_verdict(result: CheckResult) -> str:
    """dbt's word for a check's outcome: `PASS`, `WARN n`, `FAIL n` (n offending rows), `ERROR`.

    >>> from adventure_elt.transform.checks import CheckResult
    >>> check_verdict(CheckResult("marts.fct_orders", "not_null(id)", "not_null", "id", 3))
    'FAIL 3'
    """
    if result.error is not None:
        return "ERROR"
    if result.passed:
        return "PASS"
    return f"{'WARN' if result.status == 'warn' else 'FAIL'} {result.failures:,}"


_VERDICT_STYLE = {"pass": "green", "warn": "yellow", "error": "red"}


def print_check_results(report: CheckReport) -> None:
    """One line per check with its time, the samples of those that found rows, and a closing
    `PASS=n WARN=n ERROR=n TOTAL=n` line, as dbt prints them (all on stdout: it is the data)."""
    total = len(report.results)
    for i, result in enumerate(report.results, start=1):
        verdict = check_verdict(result)
        style = _VERDICT_STYLE[result.status]
        out.print(
            f"{i:>{len(str(total))}} of {total} [{style}]{verdict:<8}[/{style}]"
            f" {escape(result.model)} {escape(result.name)} [{result.seconds:.2f}s]",
            highlight=False,
        )
        if result.error is not None:
            out.print(f"    {escape(result.error)}", highlight=False)
        if result.sample:
            shown = len(result.sample)
            sample = Table(
                title=f"    first {shown} of {result.failures:,} offending rows"
                if result.failures > shown
                else None,
                title_justify="left",
                box=box.SIMPLE_HEAD,
            )
            for column in result.sample[0]:
                sample.add_column(column)
            for row in result.sample:
                sample.add_row(*("NULL" if v is None else str(v) for v in row.values()))
            print_table(sample)
        if result.stored_in and result.failures:
            out.print(f"    offending rows stored in {result.stored_in}", highlight=False)
    counts = report.counts()
    out.print(
        f"PASS={counts['pass']} WARN={counts['warn']} ERROR={counts['error']} TOTAL={total}",
        highlight=False,
    )


def print_bigquery_check(check: BigQueryCheck) -> None:
    """Every dry run (bytes, or why BigQuery refused it), then the totals and the notes."""
    from adventure_elt.transform.cost import format_bytes

    table = Table(
        title=f"Dry runs on {check.project} ({check.location})",
        title_justify="left",
        caption="* read tables not built yet as empty stand-ins: their bytes are left out",
    )
    for column, justify in (("kind", "left"), ("query", "left"), ("bytes", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_column("BigQuery says")
    for q in check.queries:
        size = "" if q.bytes_processed is None else f"{q.bytes_processed:,}"
        mark = " *" if q.stand_ins else ""
        verdict = "[red]refused[/red]: " + q.refused if q.refused else "ok"
        table.add_row(q.kind, q.name, size + mark, verdict)
    print_table(table)
    limit = "no limit" if not check.max_bytes_billed else f"{check.max_bytes_billed:,} bytes"
    for kind, what in (("model", "a transform"), ("check", "test"), ("semantic", "report")):
        total = check.total_bytes(kind)
        out.print(f"{what}: {total:,} bytes processed ({format_bytes(total)})", highlight=False)
    out.print(f"maximum bytes billed per query: {limit}", highlight=False)
    for q in check.over_limit:
        out.print(f"above the limit (BigQuery would refuse it): {q.name}", highlight=False)
    for note in check.notes:
        out.print(f"note: {note}", highlight=False)


REPORT_TABLE_ROWS = 20  # the longer answers (cities, months) print their top rows; --json has all

# (title, key, columns, how many leading columns are labels, rank long answers by)
_ANSWERS: list[tuple[str, str, list[str], int, str | None]] = [
    (
        "Product sales by category",
        "product_sales",
        ["category", "subcategory", "orders", "units", "revenue"],
        2,
        "revenue",
    ),
    (
        "New customers by month of first order",
        "new_customers",
        ["year", "month", "new_customers"],
        2,
        None,
    ),
    ("Orders by status", "order_status", ["status", "orders", "revenue"], 1, None),
    (
        "Orders by ship-to city",
        "geography",
        ["country", "state_province", "city", "orders", "revenue"],
        3,
        "revenue",
    ),
    (
        "Web traffic by country",
        "web_traffic",
        ["country", "visits", "sessions", "orders", "order_value"],
        1,
        "visits",
    ),
]


def print_report(document: dict[str, Any]) -> None:
    """The five business answers as tables; the long ones cut to their top rows."""
    summary = document["customer_summary"]
    _print_answer("Customers and orders", [summary], list(summary), labels=0)
    for title, key, columns, labels, rank_by in _ANSWERS:
        rows: list[dict[str, Any]] = list(document[key])
        if rank_by is not None and len(rows) > REPORT_TABLE_ROWS:
            rows.sort(key=_ranking(rank_by))
            title = f"{title} (top {REPORT_TABLE_ROWS} of {len(rows)} by {rank_by}; --json: all)"
            rows = rows[:REPORT_TABLE_ROWS]
        _print_answer(title, rows, columns, labels=labels)


def _print_answer(title: str, rows: list[dict[str, Any]], columns: list[str], labels: int) -> None:
    table = Table(title=title, title_justify="left", caption=None if rows else "no rows yet")
    for i, column in enumerate(columns):
        table.add_column(column.replace("_", " "), justify="left" if i < labels else "right")
    for row in rows:
        table.add_row(*(str(row[c]) if i < labels else cell(row[c]) for i, c in enumerate(columns)))
    print_table(table)


def _ranking(column: str) -> Callable[[dict[str, Any]], float]:
    def descending(row: dict[str, Any]) -> float:
        return -float(row[column])

    return descending


def cell(value: object) -> str:
    """A number as a table cell: thousands separators, two decimals for fractions."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def json_value(value: object) -> object:
    """Decimals as numbers and dates as ISO text, for JSON and for the table's cells."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
