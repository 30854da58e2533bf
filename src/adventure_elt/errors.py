"""Errors the library raises on purpose.

Every error a user can cause or fix is an `AdventureEltError`. The CLI prints its message as one
line and exits with its `exit_code`; anything else is a bug, printed as one line too (exit 1).
Messages are redacted when the error is made, so text wrapped from a driver never carries a
password into a log, the run log or the terminal.
"""

from __future__ import annotations

from adventure_elt.redact import redact


class AdventureEltError(Exception):
    """Base class: a one-line message saying what is wrong and what to do.

    `retryable` errors are transient (the source cannot be reached: a dropped or refused
    connection): `run` retries the step with backoff. Everything else fails the step at once (a
    busy DuckDB file is waited for where it is opened, see `wait_for_duckdb_lock`).
    """

    exit_code = 2
    retryable = False

    def __init__(self, *args: object) -> None:
        super().__init__(*(redact(a) if isinstance(a, str) else a for a in args))


class ConfigError(AdventureEltError):
    """A setting is missing or malformed."""


class SourceUnreachableError(AdventureEltError):
    """The source PostgreSQL cannot be reached or refuses the login."""

    retryable = True


class SourceLoginRefusedError(SourceUnreachableError):
    """The source answered and refused the login: no such database or role, a wrong password.
    Asking again gets the same answer (and may lock the account), so `run` does not retry."""

    retryable = False


class EmbeddedServerError(AdventureEltError):
    """The embedded PostgreSQL server could not be started or stopped."""


class InputFileError(AdventureEltError):
    """An input file is missing, corrupt or does not match the table it loads into."""


class WarehouseError(AdventureEltError):
    """The warehouse cannot be opened or written."""


class BytesBilledLimitError(WarehouseError):
    """BigQuery refused a query that would bill more bytes than the configured limit."""


class ReplicationSetupError(AdventureEltError):
    """The source cannot feed log-based replication (`cdc`) as it is set up: a server setting,
    a missing privilege, no free replication slot, an incomplete publication, a broken slot."""


class CheckFailedError(AdventureEltError):
    """A data check or reconciliation found differences."""

    exit_code = 1


class ModelError(AdventureEltError):
    """A SQL model, seed or `_models.yml` is invalid: syntax, unknown upstream, cycle, lint."""


def first_line(exc: BaseException) -> str:
    """The first line of an error's message, for one-line errors (Google API errors keep theirs
    in `.message`); the exception's type name when it has none."""
    text = str(getattr(exc, "message", "") or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
