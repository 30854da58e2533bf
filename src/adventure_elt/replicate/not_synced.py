"""The error of a sync that left some tables out and synced the others."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from adventure_elt.errors import AdventureEltError

if TYPE_CHECKING:
    from adventure_elt.catalog import SourceTable
    from adventure_elt.replicate.summary import SyncSummary


class TableProblem(Protocol):
    """Why a table was left out of a sync (a schema change, a replaced source)."""

    @property
    def table(self) -> SourceTable:
        """The table left out."""

    def describe(self) -> str:
        """What is wrong and what to do, without the table's name (the summary's note)."""

    def message(self) -> str:
        """One line: the table, what is wrong, and what to do."""


class TablesNotSyncedError(AdventureEltError):
    """Some tables were left out of the sync; the others were synced.

    `problems` says why, one per table and cause; `summary` holds what the run did, the tables
    left out included (mode `failed`, the reason in their notes).
    """

    def __init__(self, problems: Sequence[TableProblem], summary: SyncSummary) -> None:
        first = problems[0].message()
        more = (
            f" (and {len(problems) - 1} more problem(s), see the notes)"
            if len(problems) > 1
            else ""
        )
        super().__init__(first + more)
        self.problems = list(problems)
        self.summary = summary
