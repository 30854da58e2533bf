"""Start bqemulator with BigQuery's NUMERIC (run with .bqvenv's Python by the test fixture).

Quirk: bqemulator transpiles BigQuery SQL to DuckDB with sqlglot, which writes BigQuery's plain
NUMERIC as DuckDB's bare DECIMAL, i.e. DECIMAL(18, 3): `cast(x as numeric)` keeps 3 decimals
there, and a view's stored SQL loses a NUMERIC's precision and scale the same way. BigQuery's
NUMERIC is 38 digits with 9 decimals
(https://cloud.google.com/bigquery/docs/reference/standard-sql/data-types#decimal_types), which
is also what the emulator's own table schemas use for NUMERIC columns. So, in the emulator's
process only, sqlglot's DuckDB writer gives a plain DECIMAL that precision and scale; everything
else is the emulator as installed. Arguments are bqemulator's own (`start --rest-port …`).
"""

from __future__ import annotations

import sys
from typing import Any

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

if __name__ == "__main__":
    from bqemulator.cli import main

    sys.argv[0] = "bqemulator"
    sys.exit(main())
