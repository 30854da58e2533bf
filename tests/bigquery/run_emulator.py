"""Start bqemulator with BigQuery's NUMERIC (run with .bqvenv's Python by the test fixture).

Quirk: bqemulator transpiles BigQuery SQL to DuckDB with sqlglot, which writes BigQuery's plain
NUMERIC as DuckDB's bare DECIMAL, i.e. DECIMAL(18, 3): `cast(x as numeric)` keeps 3 decimals
there, and a view's stored SQL loses a NUMERIC's precision and scale the same way. BigQuery's
NUMERIC is 38 digits with 9 decimals
(https://cloud.google.com/bigquery/docs/reference/standard-sql/data-types#decimal_types), which
is also what the emulator's own table schemas use for NUMERIC columns. So, in the emulator's
process only, sqlglot's DuckDB writer gives a plain DECIMAL that precision and scale.

And for speed only: `FORMAT_TIMESTAMP(…, 'UTC')` runs as DuckDB's `strftime` instead of a Python
function per row (`_native_in_utc`), and a statement parsed again is copied from a cache
(`_parse_one_again`). Everything else is the emulator as installed. Arguments
are bqemulator's own (`start --rest-port …`).
"""

from __future__ import annotations

import functools
import re
import sys
from typing import Any

import sqlglot
from bqemulator.sql.rewriter import timestamp_iso_helpers
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB

# sqlglotc (sqlglot compiled with mypyc) ignores a method assigned on the class; the
# generator's dispatch table (TRANSFORMS) is read at run time in both builds.
_datatype_sql = DuckDB.Generator.TRANSFORMS[exp.DataType]


def _numeric_as_bigquery(self: Any, expression: exp.DataType) -> str:
    if expression.this == exp.DataType.Type.DECIMAL and not expression.expressions:
        expression = exp.DataType.build("DECIMAL(38, 9)", dialect="duckdb")
    return str(_datatype_sql(self, expression))


DuckDB.Generator.TRANSFORMS[exp.DataType] = _numeric_as_bigquery

_parse_one = sqlglot.parse_one


@functools.lru_cache(maxsize=512)
def _parsed(sql: str, dialect: str) -> exp.Expression:
    return _parse_one(sql, read=dialect)


def _parse_one_again(
    sql: Any, read: Any = None, dialect: Any = None, into: Any = None, **opts: Any
) -> exp.Expression:
    """`sqlglot.parse_one` from a cache, as a copy: the emulator parses each statement about ten
    times (to classify it, to look for views, schemas, routines, …), and a copy of the tree costs
    a fifth of a parse. Callers get their own tree, as before; other calls go to sqlglot."""
    name = read if dialect is None else dialect if read is None else None
    if isinstance(sql, str) and isinstance(name, str) and into is None and not opts:
        return _parsed(sql, name).copy()
    return _parse_one(sql, read=read, dialect=dialect, into=into, **opts)


sqlglot.parse_one = _parse_one_again


# Directives DuckDB's strftime renders as BigQuery does (not `%Y`: BigQuery writes year 1 as `1`,
# DuckDB as `0001`).
_SAME_IN_DUCKDB = re.compile(r"%[mdHMSf%]")


def _native_in_utc(rewrite: Any) -> Any:
    """`FORMAT_TIMESTAMP(fmt, ts, 'UTC')` (reconcile's canonical timestamps) as DuckDB's own
    `strftime`: for the zone argument the emulator calls a Python function per row, which took
    30 of the 32 s `reconcile` spent on the real data. The emulator's session runs in UTC, and
    sqlglot has already turned BigQuery's `%E6S` into `%S.%f` (6-digit microseconds). Only a
    format of the directives above is rewritten; anything else goes the emulator's way."""

    def rewritten(node: exp.TimeToStr) -> exp.Expression | None:
        fmt, zone, ts = node.args.get("format"), node.args.get("zone"), node.this
        utc = isinstance(zone, exp.Literal) and zone.this == "UTC"
        plain = isinstance(fmt, exp.Literal) and "%" not in _SAME_IN_DUCKDB.sub("", fmt.this)
        if utc and plain and ts is not None:
            return exp.Anonymous(this="strftime", expressions=[ts.copy(), fmt.copy()])
        return rewrite(node)

    return rewritten


timestamp_iso_helpers._rewrite_format_timestamp = _native_in_utc(
    timestamp_iso_helpers._rewrite_format_timestamp
)

if __name__ == "__main__":
    from bqemulator.cli import main

    sys.argv[0] = "bqemulator"
    sys.exit(main())
