"""The `Warehouse` interface every engine adapter implements, and what they share.

Layers (`raw`, `staging`, `marts`, `reports`, `ops`) are DuckDB schemas locally and BigQuery
datasets `<prefix>_<layer>` in production.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from adventure_elt.errors import ConfigError

if TYPE_CHECKING:
    from adventure_elt.settings import Settings

LAYERS: tuple[str, ...] = ("raw", "staging", "marts", "reports", "ops")
# BigQuery's time-unit partitioning granularities
GRANULARITIES: tuple[str, ...] = ("HOUR", "DAY", "MONTH", "YEAR")


@dataclass(frozen=True)
class Layout:
    """How a table's rows are stored: time partitioning and clustering.

    BigQuery keeps both in the table's metadata (queries filtering on them read less); DuckDB
    has neither and ignores the layout.

    Args:
        partition_field: the DATE or TIMESTAMP column the table is partitioned by, or None.
        granularity: `HOUR`, `DAY`, `MONTH` or `YEAR` (of `partition_field`).
        cluster_by: clustering columns, in order (BigQuery takes up to four).
    """

    partition_field: str | None = None
    granularity: str = "DAY"
    cluster_by: tuple[str, ...] = ()

    @classmethod
    def parse(cls, partition_by: Any = None, cluster_by: Sequence[str] = ()) -> Layout:
        """The layout `_models.yml` declares (`partition_by: {field, granularity}`).

        >>> Layout.parse({"field": "order_date", "granularity": "month"}, ["customer_key"])
        Layout(partition_field='order_date', granularity='MONTH', cluster_by=('customer_key',))

        Raises:
            ConfigError: no `field`, an unknown granularity, or more than four cluster columns.
        """
        field, granularity = None, "DAY"
        if partition_by:
            if not isinstance(partition_by, Mapping) or not partition_by.get("field"):
                raise ConfigError("partition_by needs a `field:` (a DATE or TIMESTAMP column)")
            field = str(partition_by["field"])
            granularity = str(partition_by.get("granularity") or "day").upper()
            if granularity not in GRANULARITIES:
                raise ConfigError(
                    f"partition_by granularity {granularity.lower()!r} is not one of "
                    f"{', '.join(g.lower() for g in GRANULARITIES)}"
                )
        if len(cluster_by) > 4:
            raise ConfigError(f"cluster_by names {len(cluster_by)} columns; BigQuery takes 4")
        return cls(field, granularity, tuple(cluster_by))

    @property
    def is_plain(self) -> bool:
        """True when the table is neither partitioned nor clustered."""
        return self.partition_field is None and not self.cluster_by


PLAIN = Layout()  # neither partitioned nor clustered


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

    @classmethod
    def printed_relation(cls, settings: Settings, layer: str, name: str) -> str:
        """`layer.name` as SQL printed for a person names it, known without connecting (what
        `query --sql` prints, to paste into the engine's own console)."""
        return f"{layer}.{name}"

    @abstractmethod
    def quote(self, name: str) -> str:
        """One identifier (a column name), quoted for this engine's SQL."""

    @abstractmethod
    def dataset_columns(self, dataset: str, name: str) -> list[str]:
        """Column names of `dataset.name`, a table outside the layers (a BigQuery dataset or
        DuckDB schema named as is, e.g. where Airbyte writes), in order; empty when missing."""

    @abstractmethod
    def replace_table(self, layer: str, name: str, sql: str, layout: Layout = PLAIN) -> None:
        """Make `layer.name` a table holding the rows of `sql`, laid out as `layout`, in place
        of whatever table of that name was there."""

    @abstractmethod
    def ensure_table(
        self, layer: str, name: str, schema: pa.Schema, layout: Layout = PLAIN
    ) -> None:
        """Create `layer.name` empty with `schema`'s columns if it does not exist (an existing
        table is left as it is)."""

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
        columns: the result's columns as (name, SQL type), when the dry run succeeded.
    """

    bytes_processed: int | None
    error: str | None = None
    columns: tuple[tuple[str, str], ...] = ()
