"""The `Warehouse` interface every engine adapter implements, and what they share.

Layers (`raw`, `staging`, `marts`, `reports`, `ops`) are DuckDB schemas locally and BigQuery
datasets `<prefix>_<layer>` in production.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa
from sqlglot import exp

from adventure_elt.errors import ConfigError, ModelError

if TYPE_CHECKING:
    from adventure_elt.settings import Settings

LAYERS: tuple[str, ...] = ("raw", "staging", "marts", "reports", "ops")
RAW_LAYER = LAYERS[0]  # where sync, cdc and the stream write
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

# The canonical text of a row for reconciliation's hashes: NULL becomes the control character
# 0x1E (so it never equals ''), columns are joined by 0x1F, the UTF-8 bytes are md5-hashed.
NULL_MARK, SEPARATOR = 30, 31
_DECIMAL = re.compile(r"^(?:DECIMAL|NUMERIC|BIGNUMERIC)\((\d+),\s*(\d+)\)$")


def quote_identifier(name: str, dialect: str) -> str:
    """One identifier quoted for an engine's SQL, rendered by sqlglot in its dialect (the one
    quoting function of the project).

    >>> print(quote_identifier('odd"name', "duckdb"), quote_identifier("Mixed", "bigquery"))
    "odd""name" `Mixed`
    """
    return exp.to_identifier(name, quoted=True).sql(dialect=dialect)


def decimal_scale(type_name: str) -> int | None:
    """The scale of a `DECIMAL(p,s)` / `NUMERIC(p,s)` type name, else None.

    >>> decimal_scale("DECIMAL(38,9)"), decimal_scale("VARCHAR")
    (9, None)
    """
    match = _DECIMAL.match(type_name.upper())
    return int(match.group(2)) if match else None


@dataclass(frozen=True)
class MergeCounts:
    """Rows a merge wrote: inserted, updated (values changed) and deleted."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0


class Warehouse(ABC):
    """What every engine offers. Use it as a context manager to close it."""

    kind: ClassVar[str]  # the name settings use (`ADVENTURE_ELT_WAREHOUSE`)
    dialect: ClassVar[str]  # sqlglot's dialect of the engine's SQL
    transactional: ClassVar[bool]  # runs multi-statement transactions
    # Whether a dry run prices a query (BigQuery's bytes billed); engines without one cannot
    # estimate costs.
    prices_queries: ClassVar[bool] = False
    # Whether reading the raw layer costs nothing (a local file): a sync then compares each
    # extracted batch with raw and appends to empty raw tables instead of merging.
    reads_are_free: ClassVar[bool] = False
    # Whether schema drift compares raw column types (in this engine's type names) with the
    # source's; dropped columns are compared everywhere.
    drift_compares_types: ClassVar[bool] = False
    # Appended to dlt's pipeline name, so each engine keeps its own cursors.
    pipeline_suffix: ClassVar[str]

    @classmethod
    @abstractmethod
    def open(cls, settings: Settings, *, read_only: bool = False) -> Warehouse:
        """Open the engine the settings configure (`read_only` where the engine has it)."""

    @classmethod
    def not_built(cls, settings: Settings) -> str | None:
        """Why the configured warehouse cannot be read yet without opening it (a local file
        that does not exist), or None when there is nothing to say before opening it."""
        return None

    @classmethod
    def open_to_load(cls, settings: Settings) -> Warehouse:
        """Open the warehouse for a sync: checked writable (one line otherwise) before the
        source is read, the raw layer ready."""
        return cls.open(settings)

    @contextmanager
    def released(self) -> Iterator[None]:
        """Let dlt's loader write through its own connection while inside; on engines whose
        writers exclude each other the handle lets go and reopens on its next statement."""
        yield

    def writable(self) -> None:
        """Make the handle able to write from now on (a handle opened read-only reopens)."""
        return None

    def drop_repeated_rows(self, layer: str, name: str, key: Sequence[str]) -> None:
        """Keep one row per `key` in the table `layer.name`, whose repeated rows are identical
        copies (a resumed sync that appended twice). Only engines that append during a sync
        (`reads_are_free`) can have any."""
        return None

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

    def quote(self, name: str) -> str:
        """One identifier (a column name), quoted for this engine's SQL."""
        return quote_identifier(name, self.dialect)

    def render(self, expression: exp.Expression) -> str:
        """A sqlglot expression as this engine's SQL."""
        return expression.sql(dialect=self.dialect)

    # Inside `transaction()` (set while one is open; nested ones join it).
    _in_transaction: bool = False

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the statements inside as one transaction where the engine has them (on an engine
        without, each DML statement is atomic on its own).

        Nested inside another, the statements join the outer transaction (which commits them
        all); an error rolls the whole transaction back at once, at the innermost level, so
        clean-ups on the way out (e.g. `stage`'s) run outside an aborted transaction.
        """
        if not self.transactional:
            yield
            return
        outermost = not self._in_transaction
        if outermost:
            self.execute("begin transaction")
            self._in_transaction = True
        try:
            yield
        except BaseException:
            if self._in_transaction:
                self._in_transaction = False
                self.execute("rollback")
            raise
        if outermost:
            self._in_transaction = False
            self.execute("commit")

    @abstractmethod
    def stage(self, rows: pa.Table, layer: str, hint: str) -> AbstractContextManager[str]:
        """Make Arrow `rows` readable by this engine's SQL for the statements inside the
        `with`; yields the relation to name in them. Nothing is left behind after it.

        Args:
            rows: the rows to stage.
            layer: the layer a scratch table goes in (on engines that need one).
            hint: a readable part of the staged name (e.g. `source_keys_sales_x`).
        """

    @abstractmethod
    def execute_dml(self, sql: str) -> int:
        """Run one DML statement (`insert`, `update`, `delete`); the rows it affected."""

    @abstractmethod
    def add_flag_column(self, layer: str, name: str, column: str) -> None:
        """Add a BOOLEAN `column`, default false, to the table `layer.name` if it lacks it."""

    @abstractmethod
    def canonical_text(self, column: str, type_name: str) -> str:
        """SQL rendering column `column` of type `type_name` (as `column_types` names it) as
        reconciliation's canonical text: numbers without trailing zeros, timestamps
        `YYYY-MM-DD HH:MM:SS.ffffff` (UTC), bytes as lower hex; NULL stays NULL."""

    @abstractmethod
    def row_hash(self, texts: Sequence[str]) -> str:
        """SQL of the lower-hex md5 of `texts` (canonical texts), NULLs marked with
        `NULL_MARK` and joined by `SEPARATOR`."""

    @abstractmethod
    def hash_slice(self, hash_sql: str, start: int) -> str:
        """SQL of the integer (0 to 2³² − 1) that 8 hex digits of the lower-hex hash
        `hash_sql` spell, from digit `start` (1-based), of a type whose SUM over any table does
        not overflow: `reconcile` sums them per table."""

    @abstractmethod
    def merge(
        self, layer: str, name: str, sql: str, key: Sequence[str], layout: Layout = PLAIN
    ) -> MergeCounts | None:
        """Make the table `layer.name` hold the rows of `sql`, writing only the rows that
        changed: rows whose values changed are replaced, new keys inserted, keys gone from
        `sql` deleted; unchanged rows are not written. `key` is unique in `sql`.

        Returns:
            The rows written, or None when the table cannot take a merge and must be rebuilt
            (missing, a view, laid out other than `layout`, or lacking a column of `sql`).

        Raises:
            ModelError: a `key` column is not in `sql`'s output, or is not unique there.
        """

    def merge_queries(
        self, layer: str, name: str, sql: str, key: Sequence[str], layout: Layout = PLAIN
    ) -> list[str] | None:
        """The queries reading data that `merge` would run (for a cost estimate), or None when
        the table would be rebuilt instead. Engines that do not price queries need not say."""
        return None

    def upsert(
        self,
        layer: str,
        name: str,
        rows: pa.Table,
        key: Sequence[str],
        deleted: str | None,
        flag: str | None = None,
    ) -> int:
        """Apply Arrow `rows` (at most one per key, the latest change) to the table
        `layer.name` by primary key: every existing row with a key among `rows` is removed,
        then the rows are inserted, except those whose `deleted` column is true. One
        transaction where the engine has them (joining one already open); the rows changed.

        This is how a batch of change events (inserts, updates, deletes in order, reduced to
        the last per key) is applied. On an engine without transactions the delete and the
        insert are two atomic statements: a failure between them is repaired by applying the
        same batch again (it is idempotent), which is what re-delivery does.

        Args:
            layer: the table's layer.
            name: the table; it must exist and have every column of `rows` but `deleted`.
            rows: the rows, keys included.
            key: the primary-key columns.
            deleted: the BOOLEAN column of `rows` marking a deleted key (only its key columns
                need be set), or None when there are no deletes.
            flag: soft deletes: a deleted key's row stays, with this BOOLEAN column set true
                (added when missing), and inserted rows get false; None removes the row.
        """
        q = self.quote
        target = self.relation(layer, name)
        match = " and ".join(f"s.{q(k)} = t.{q(k)}" for k in key)
        gone, columns, values = self.upsert_parts(rows, deleted, flag)
        with self.stage(rows, layer, f"upsert_{name}") as staged, self.transaction():
            keyed = f"exists (select 1 from {staged} as s where {match}"
            flagged = 0
            if flag is not None:
                self.add_flag_column(layer, name, flag)
                if deleted is not None:
                    flagged = self.execute_dml(
                        f"update {target} as t set {q(flag)} = true where {keyed} and {gone})"
                    )
                keyed += f" and not {gone}"
            removed = self.execute_dml(f"delete from {target} as t where {keyed})")
            added = self.execute_dml(
                f"insert into {target} ({', '.join(columns)})"
                f" select {', '.join(values)} from {staged} as s where not {gone}"
            )
        return max(removed, added) + flagged

    def upsert_parts(
        self, rows: pa.Table, deleted: str | None, flag: str | None
    ) -> tuple[str, list[str], list[str]]:
        """`upsert`'s SQL pieces for staged rows aliased `s`: the condition of a deleted key,
        the quoted columns to write and their values (the flag false, when there is one)."""
        q = self.quote
        gone = "false" if deleted is None else f"coalesce(s.{q(deleted)}, false)"
        columns = [q(c) for c in rows.column_names if c != deleted]
        values = [f"s.{c}" for c in columns]
        if flag is not None:
            columns, values = [*columns, q(flag)], [*values, "false"]
        return gone, columns, values

    @abstractmethod
    def add_columns(self, layer: str, name: str, schema: pa.Schema) -> None:
        """Add to the table `layer.name` the columns of `schema` it lacks, nullable, in this
        engine's type for each Arrow type (a source column added since the table was made)."""

    @staticmethod
    def check_merge_key(layer: str, name: str, columns: Sequence[str], key: Sequence[str]) -> None:
        """Raise ModelError unless every `key` column is among `columns`."""
        missing = [k for k in key if k not in columns]
        if missing:
            raise ModelError(
                f"{layer}.{name}: unique_key column(s) {', '.join(missing)} are not in the "
                "model's output; fix unique_key in _models.yml"
            )

    def check_unique(self, layer: str, name: str, source: str, key: Sequence[str]) -> None:
        """Raise ModelError when `key` is not unique in the relation or parenthesised query
        `source`."""
        dupes = self.fetch_all(self.unique_check_sql(source, key))
        if dupes:
            raise ModelError(
                f"{layer}.{name}: unique_key ({', '.join(key)}) is not unique in the model's "
                f"output (e.g. {dupes[0]}); fix the model or its unique_key"
            )

    def unique_check_sql(self, source: str, key: Sequence[str]) -> str:
        """The query returning one `key` value that `source` holds twice, if any."""
        cols = ", ".join(self.quote(k) for k in key)
        return f"select {cols} from {source} group by {cols} having count(*) > 1 limit 1"

    # The project (BigQuery) or catalog holding the layers, when SQL names it; None otherwise.
    catalog: str | None = None

    def layer_dataset(self, layer: str) -> str:
        """The dataset (schema) name a layer has in this engine."""
        return layer

    def dataset_relation(self, dataset: str, name: str) -> str:
        """The quoted relation of `dataset.name`, a table outside the layers (e.g. where
        Airbyte writes)."""
        table = exp.table_(name, db=dataset, catalog=self.catalog, quoted=True)
        return self.render(table)

    @abstractmethod
    def dataset_tables(self, dataset: str) -> list[str]:
        """Table names in `dataset`, a dataset (schema) outside the layers; empty when it is
        missing."""

    def from_bigquery_sql(self, sql: str) -> str:
        """A statement written in BigQuery SQL (what the models and the Airbyte views are
        written in), in this engine's dialect."""
        import sqlglot

        return ";\n".join(sqlglot.transpile(sql, read="bigquery", write=self.dialect))

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

    def dry_run(self, sql: str) -> DryRun:
        """What `sql` would cost, without running it (engines with `prices_queries`)."""
        raise ConfigError(f"the {self.kind} warehouse prices no queries")

    @abstractmethod
    def dlt_destination(self, dlt: Any) -> tuple[Any, str]:
        """The dlt destination writing the raw layer here, and the raw dataset's name."""

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
