"""The `Warehouse` interface every engine adapter implements, and what they share.

Layers (`raw`, `staging`, `marts`, `reports`, `ops`) are DuckDB schemas locally and BigQuery
datasets `<prefix>_<layer>` in production.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

if TYPE_CHECKING:
    from adventure_elt.settings import Settings

LAYERS: tuple[str, ...] = ("raw", "staging", "marts", "reports", "ops")


class Warehouse(ABC):
    """What every engine offers. Use it as a context manager to close it."""

    kind: ClassVar[str]

    @classmethod
    @abstractmethod
    def open(cls, settings: Settings, *, read_only: bool = False) -> Warehouse:
        """Open the engine the settings configure (`read_only` where the engine has it)."""

    @abstractmethod
    def execute(self, sql: str, params: list[Any] | None = None) -> None:
        """Run a statement that returns nothing."""

    @abstractmethod
    def fetch_arrow(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        """Run a query and return its result as an Arrow table."""

    @abstractmethod
    def fetch_all(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples."""

    @abstractmethod
    def list_tables(self, layer: str) -> list[str]:
        """Names of the tables and views in a layer, sorted; empty when the layer is missing."""

    @abstractmethod
    def create_layer(self, layer: str) -> None:
        """Create the layer's schema/dataset if it does not exist."""

    @abstractmethod
    def relation(self, layer: str, name: str) -> str:
        """The quoted, fully qualified name to use in SQL for `layer.name`."""

    @abstractmethod
    def append(self, layer: str, name: str, rows: pa.Table) -> None:
        """Append Arrow rows to `layer.name`, creating the table from their schema if needed."""

    @abstractmethod
    def describe(self, layer: str, name: str) -> tuple[str, dict[str, str]] | None:
        """`layer.name`'s kind (`table` or `view`) and its column name → the engine's type name
        in table order, from one metadata look-up; None when it does not exist."""

    def table_kind(self, layer: str, name: str) -> str | None:
        """`table`, `view`, or None when `layer.name` does not exist."""
        described = self.describe(layer, name)
        return None if described is None else described[0]

    def column_types(self, layer: str, name: str) -> dict[str, str]:
        """Column name → the engine's type name, in table order; empty when it does not exist."""
        described = self.describe(layer, name)
        return {} if described is None else described[1]

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class DryRun:
    """What a BigQuery dry-run job says about one query.

    Args:
        bytes_processed: bytes the query would read (what on-demand pricing bills), or None.
        error: why the dry run failed (e.g. an upstream table that is not built yet).
    """

    bytes_processed: int | None
    error: str | None = None
