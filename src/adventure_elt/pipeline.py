"""The whole job in one call: `run()` (sync → transform → test → report) and `demo()`.

Both compose the steps the CLI also offers one by one. `run` is what Kestra and cron call;
`demo` is what `make demo` calls on a fresh machine with nothing but Python installed.
"""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from adventure_elt import signals
from adventure_elt.errors import AdventureEltError, CheckFailedError, ConfigError, first_line
from adventure_elt.oltp import schema, server
from adventure_elt.progress import ProgressCallback, ignore
from adventure_elt.redact import redact
from adventure_elt.settings import Settings
from adventure_elt.warehouse import open_warehouse

if TYPE_CHECKING:
    from adventure_elt.replicate.summary import SyncSummary
    from adventure_elt.transform.checks import CheckReport
    from adventure_elt.transform.run import TransformSummary


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: where the source is, its rows per table, the web events it streamed
    (read, loaded, duplicates, rejected) and the pipeline run."""

    source_dsn: str
    source_rows: dict[str, int]
    events: dict[str, int]
    run: RunResult


def demo(
    settings: Settings,
    *,
    scale: float | None = None,
    seed: int = 0,
    data_dir: Path | None = None,
    stream_seconds: float = 5.0,
    stream_rate: float = 400.0,
    progress: ProgressCallback = ignore,
) -> DemoResult:
    """Fill the source, stream a burst of web events, and run it all, so the report's web
    traffic answer has data.

    The source gets the real AdventureWorks data shipped with the project, or the real CSV files
    in `data_dir`, or synthetic data when a `scale` is given. Safe to run twice: the server start
    is idempotent, the source tables are refilled, the warehouse is fully refreshed from them,
    and a second burst only adds new events.

    Args:
        settings: where the source and the warehouse are.
        scale: synthetic data of this size (1 ≈ the real database) instead of the real data.
        seed: the synthetic data's random seed.
        data_dir: load the real CSV files from this folder (default: the shipped ones).
        stream_seconds: seconds of web events to stream first (0: none).
        stream_rate: web events a second while streaming.
        progress: called as the steps advance.

    Returns:
        The source's DSN and rows per table, the events streamed and the pipeline run.

    Raises:
        ConfigError: both a `scale` and a `data_dir`.
    """
    from adventure_elt.stream.ingest import IngestCounts, run_stream

    if scale is not None and data_dir is not None:
        raise ConfigError("give either --scale (synthetic data) or --data (real CSV files)")
    dsn = server.source_dsn(settings)
    with server.connect_to(dsn) as conn:
        if scale is None:
            from adventure_elt.oltp.loader import load_csv
            from adventure_elt.paths import adventureworks_dir

            load_csv(conn, data_dir or adventureworks_dir(), progress=progress)
        else:
            from adventure_elt.oltp.generator import seed as seed_tables

            seed_tables(conn, scale=scale, seed=seed, progress=progress)
        counts = schema.row_counts(conn)
    events = IngestCounts()
    if stream_seconds > 0:
        duration = timedelta(seconds=stream_seconds)
        events = run_stream(settings, rate=stream_rate, duration=duration, progress=progress)
        if events.stopped_by:  # the burst stores what it read and ends; the demo ends with it
            signals.interrupt(signal.Signals[events.stopped_by])
    result = run(settings, full_refresh=True, detect_deletes=True, progress=progress)
    return DemoResult(source_dsn=dsn, source_rows=counts, events=events.as_dict(), run=result)


STEPS: tuple[str, ...] = ("sync", "transform", "test", "report")


@dataclass
class StepRecord:
    """One step of a run, as recorded in `ops.runs`."""

    run_id: str
    step: str
    started_at: datetime
    ended_at: datetime | None = None
    status: str = "running"
    attempts: int = 0
    rows: int = 0
    error: str | None = None

    @property
    def seconds(self) -> float:
        """Wall time of the step, retries and backoff included."""
        end = self.ended_at or self.started_at
        return (end - self.started_at).total_seconds()


@dataclass
class RunResult:
    """What `run` did: one record per step, and each step's own result when it ran."""

    run_id: str
    steps: list[StepRecord] = field(default_factory=list)
    report: dict[str, Any] | None = None
    sync: SyncSummary | None = None
    transform: TransformSummary | None = None
    checks: CheckReport | None = None

    @property
    def ok(self) -> bool:
        """True when every step that ran succeeded."""
        return all(s.status == "ok" for s in self.steps)


# The longest wait between two tries of a step: `run --retries 10` waits about 6 minutes in
# all, not 34.
MAX_BACKOFF_SECONDS = 60.0


def run(
    settings: Settings,
    *,
    from_step: str | None = None,
    only: str | None = None,
    full_refresh: bool = False,
    detect_deletes: bool = False,
    max_attempts: int = 3,
    backoff_seconds: float = 2.0,
    progress: ProgressCallback = ignore,
    sleep: Callable[[float], None] = time.sleep,
) -> RunResult:
    """Run sync → transform → test → report, recording each step in `ops.runs`.

    Transient failures (`AdventureEltError.retryable`: a dropped or refused source
    connection) are retried with exponential backoff; a failed check or a login the source
    refuses (`SourceLoginRefusedError`) is not.

    Args:
        settings: where the source and the warehouse are.
        from_step: resume at this step and run the ones after it.
        only: run just this step.
        full_refresh: reload every table and rebuild incremental models.
        detect_deletes: let sync remove rows deleted in the source.
        max_attempts: tries per step for transient failures.
        backoff_seconds: the first wait between tries; it doubles each time, up to
            MAX_BACKOFF_SECONDS.
        progress: receives the steps' progress events.
        sleep: how to wait between tries (tests pass a function that repairs the fault).

    Returns:
        The run's records; the run stops at the first failed step.

    Raises:
        CheckFailedError: a data check failed (exit 1), after the step was recorded.
        AdventureEltError: a step failed for another reason, after its tries.
    """
    steps = _steps_to_run(from_step, only)
    result = RunResult(run_id=uuid.uuid4().hex[:12])
    actions: dict[str, Callable[[], int]] = {
        "sync": lambda: _sync_step(settings, result, full_refresh, detect_deletes, progress),
        "transform": lambda: _transform_step(settings, result, full_refresh, progress),
        "test": lambda: _test_step(settings, result, progress),
        "report": lambda: _report_step(settings, result),
    }
    for step in steps:
        record = StepRecord(result.run_id, step, started_at=_now())
        result.steps.append(record)
        try:
            record.rows = _with_retries(actions[step], record, max_attempts, backoff_seconds, sleep)
            record.status = "ok"
        except BaseException as exc:  # a stop signal too: the step must not stay `running`
            record.status = "failed"
            record.error = error_text(exc)
            raise
        finally:
            record.ended_at = _now()
            _record(settings, record)
    return result


def error_text(exc: BaseException) -> str:
    """What `ops.runs` and `--json` say about a failure: one line, secrets masked.

    >>> error_text(ValueError("postgresql://u:pw@h/db\\nsecond line"))
    'ValueError: postgresql://u:***@h/db'
    """
    interrupted = signals.interrupted_by(exc)
    if interrupted:  # whatever the engine made of the signal ("Query interrupted", a lost link)
        return interrupted
    if isinstance(exc, AdventureEltError):
        return redact(str(exc))
    return redact(f"{type(exc).__name__}: {first_line(exc)}")


def _steps_to_run(from_step: str | None, only: str | None) -> tuple[str, ...]:
    if from_step is not None and only is not None:
        raise ConfigError("give --from (that step and the ones after it) or --only, not both")
    for name in (from_step, only):
        if name is not None and name not in STEPS:
            raise ConfigError(f"unknown step {name!r}; choose from: {', '.join(STEPS)}")
    if only is not None:
        return (only,)
    return STEPS[STEPS.index(from_step) :] if from_step else STEPS


def _with_retries(
    action: Callable[[], int],
    record: StepRecord,
    max_attempts: int,
    backoff_seconds: float,
    sleep: Callable[[float], None],
) -> int:
    while True:
        record.attempts += 1
        try:
            return action()
        except AdventureEltError as exc:
            if not exc.retryable or record.attempts >= max_attempts or signals.received():
                raise
            sleep(min(backoff_seconds * 2 ** (record.attempts - 1), MAX_BACKOFF_SECONDS))


def _sync_step(
    settings: Settings,
    result: RunResult,
    full_refresh: bool,
    detect_deletes: bool,
    progress: ProgressCallback,
) -> int:
    from adventure_elt.replicate.sync import sync

    result.sync = sync(
        settings, full_refresh=full_refresh, detect_deletes=detect_deletes, progress=progress
    )
    return result.sync.rows_written


def _transform_step(
    settings: Settings, result: RunResult, full_refresh: bool, progress: ProgressCallback
) -> int:
    from adventure_elt.transform import transform

    result.transform = transform(settings, full_refresh=full_refresh, progress=progress)
    return sum(m.rows or 0 for m in result.transform.models)


def _test_step(settings: Settings, result: RunResult, progress: ProgressCallback) -> int:
    from adventure_elt.transform import run_checks

    checks = result.checks = run_checks(settings, progress=progress)
    if not checks.passed:
        failed = ", ".join(f"{r.model}: {r.name}" for r in checks.failed[:5])
        raise CheckFailedError(
            f"{len(checks.failed)} of {len(checks.results)} checks failed ({failed}); "
            "run 'adventure-elt test' for the offending rows"
        )
    return len(checks.results)


def _report_step(settings: Settings, result: RunResult) -> int:
    from adventure_elt.report import report

    result.report = dict(report(settings))
    return sum(len(v) for v in result.report.values() if isinstance(v, list))


def _record(settings: Settings, record: StepRecord) -> None:
    """Append the step to `ops.runs`; a warehouse that cannot be opened is not recorded into."""
    row = pa.Table.from_pylist(
        [
            {
                "run_id": record.run_id,
                "step": record.step,
                "started_at": record.started_at,
                "ended_at": record.ended_at,
                "status": record.status,
                "attempts": record.attempts,
                "rows": record.rows,
                "error": None if record.error is None else redact(record.error),
            }
        ],
        schema=_RUNS_SCHEMA,
    )
    try:
        with open_warehouse(settings) as warehouse:
            warehouse.append("ops", "runs", row)
    except AdventureEltError:
        pass  # the step's own error says what is wrong with the warehouse


_RUNS_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("step", pa.string()),
        ("started_at", pa.timestamp("us", tz="UTC")),
        ("ended_at", pa.timestamp("us", tz="UTC")),
        ("status", pa.string()),
        ("attempts", pa.int32()),
        ("rows", pa.int64()),
        ("error", pa.string()),
    ]
)


def _now() -> datetime:
    return datetime.now(UTC)
