"""The hostile `--where` corpus: attacks and accidents a semantic filter must refuse.

Each entry is (id, filter text, a word the one-line refusal must contain). Every filter here is
refused with exit 2 before anything reaches a warehouse, on DuckDB and BigQuery alike; the
tests then check that no file appeared and no table changed. `HARMLESS` filters look hostile
but are plain data once parsed (an escaped quote inside a string): they must answer, exit 0,
with the text kept as a value.
"""

from __future__ import annotations

NESTED = "(" * 300 + "country = 'Canada'" + ")" * 300
LONG_STRING = "country = '" + "x" * 5_000 + "'"
LONG_FILTER = " OR ".join(["country = 'Canada'"] * 700)  # ~15,000 characters

HOSTILE: list[tuple[str, str, str]] = [
    # several statements
    ("copy-after-measure", "revenue > 0; copy marts.fct_sales to 'out.csv'", "several statements"),
    ("drop-after-dimension", "1=1; drop table marts.fct_sales", "several statements"),
    ("attach-after", "country = 'x'; attach 'evil.db' as evil", "several statements"),
    ("comment-hides-delete", "revenue > 0 /* */; delete from marts.fct_sales", "statements"),
    ("trailing-semicolon", "country = 'Canada';", "several statements"),
    # statements and commands
    ("copy", "copy marts.fct_sales to 'out.csv'", "COPY"),
    ("comment-then-copy", "/* note */ copy marts.fct_sales to 'x.csv'", "COPY"),
    ("attach", "attach 'evil.db' as evil", "ATTACH"),
    ("pragma", "pragma database_list", "PRAGMA"),
    ("call", "call pragma_version()", "CALL"),
    ("export", "export database 'dump'", "EXPORT"),
    ("install", "install httpfs", "INSTALL"),
    ("load", "load httpfs", "LOAD"),
    ("select", "select * from marts.fct_sales", "SELECT"),
    ("cte", "with t as (select 1) select * from t", "WITH"),
    ("create", "create table evil as select 1 as x", "CREATE"),
    ("insert", "insert into marts.fct_sales select * from marts.fct_sales", "INSERT"),
    ("update", "update marts.fct_sales set line_total = 0", "UPDATE"),
    ("delete", "delete from marts.fct_sales", "DELETE"),
    ("drop", "drop table marts.fct_sales", "DROP"),
    # subqueries and unions
    ("in-subquery", "country in (select country_name from marts.dim_address)", "subquery"),
    ("exists", "exists (select 1 from marts.fct_sales)", "subquery"),
    ("scalar-subquery", "revenue > (select max(line_total) from marts.fct_sales)", "subquery"),
    ("system-table-subquery", "country in (select table_name from information_schema.tables)",
     "subquery"),
    ("union", "country = 'x' union all select 1", "cannot parse"),
    # table functions and functions outside the list
    ("read-csv", "read_csv('/etc/passwd') is not null", "READ_CSV"),
    ("read-text", "length(read_text('/etc/passwd')) > 0", "READ_TEXT"),
    ("query-table", "country = query_table('marts.fct_sales')", "QUERY_TABLE"),
    ("glob", "country in (select file from glob('*'))", "cannot parse"),
    ("getenv", "getenv('HOME') = 'x'", "GETENV"),
    ("current-setting", "country = current_setting('home_directory')", "CURRENT_SETTING"),
    ("chr", "country = chr(39)", "CHR"),
    ("function-in-coalesce", "coalesce(country, read_text('x')) = 'a'", "READ_TEXT"),
    ("aggregate", "sum(revenue) > 0", "aggregate"),
    ("window", "row_number() over () > 1", "window"),
    ("unnest", "country in unnest(['Canada'])", "UNNEST"),
    ("escape-clause", "country like 'C%' escape '!'", "ESCAPE"),
    ("cast-outside-list", "cast(country as numeric) = 1", "CAST"),
    # names that are not dimensions or measures
    ("unknown-column", "secret_column = 1", "unknown dimension or measure"),
    ("system-table-column", "information_schema.tables.table_name = 'x'", "unknown dimension"),
    ("duckdb-catalog", "duckdb_tables.table_name is not null", "unknown dimension"),
    ("four-part-name", "system.main.duckdb_settings.value = 'x'", "unknown dimension"),
    ("star", "* = 1", "*"),
    ("parameter", "country = ?", "parameter"),
    ("named-parameter", "country = @p", "parameter"),
    # unicode and control characters
    ("nul", "country = 'Canada\x00'", "U+0000"),
    ("bidi-override", "country = 'Canada\u202e'", "U+202E"),
    ("fullwidth-semicolon", "revenue > 0\uff1b drop table marts.fct_sales", "cannot parse"),
    ("homoglyph-column", "c\u043euntry = 'Canada'", "unknown dimension"),
    # sizes
    ("huge-number", "revenue > " + "9" * 60, "number"),
    ("infinite-number", "revenue > 1e999", "number"),
    ("huge-string", LONG_STRING, "string longer"),
    ("deep-nesting", NESTED, "nested"),
    ("long-filter", LONG_FILTER, "longer than"),
    # broken text
    ("unclosed-quote", "country = 'Canada", "not closed"),
    ("unclosed-comment", "country = 'Canada' /* ", "not closed"),
    ("dangling-operator", "revenue >", "cannot parse"),
]  # fmt: skip

# `query` arguments other than --where that reach the compiler: names, never text
HOSTILE_FIELDS: list[tuple[str, list[str], str]] = [
    ("by-with-statement", ["revenue", "--by", "country; drop table t"], "not a dimension"),
    ("by-function", ["revenue", "--by", "read_csv('/etc/passwd')"], "not a dimension"),
    ("by-system-table", ["revenue", "--by", "information_schema.tables"], "unknown dimension"),
    ("order-with-statement", ["revenue", "--order", "revenue; drop table x"], "order by"),
    ("order-expression", ["revenue", "--order", "(select 1)"], "order by"),
    ("measure-with-statement", ["revenue; copy marts.fct_sales to 'x.csv'"], "unknown measure"),
    ("grain-with-statement", ["revenue", "--by", "order_date", "--grain", "month; drop"], "grain"),
]  # fmt: skip

# (id, filter, the value the warehouse compares with: no such country, so no rows)
HARMLESS: list[tuple[str, str]] = [
    ("escaped-quote-in-string", r"country = 'x\'; drop table marts.fct_sales; --'"),
    ("double-quoted-string", 'country = "Canada\'; drop table marts.fct_sales; --"'),
    ("semicolon-in-string", "country in ('a;b', 'copy marts.fct_sales to x')"),
]

# Plain SQL over the marts, one row per country and its revenue ({marts}: the marts' relation
# prefix, `marts` on DuckDB, the dataset on BigQuery); written so both engines take it as is.
SALES_BY_COUNTRY = (
    "select a.country_name as country, sum(s.line_total) as revenue from {marts}.fct_sales s"
    " join {marts}.dim_address a on s.ship_to_address_key = a.address_key"
)
# (honest filters asked together, `--where` each; the same question in plain SQL): they must
# still answer, as the plain SQL does.
HONEST: list[tuple[list[str], str]] = [
    (["country = 'Canada'"], f"{SALES_BY_COUNTRY} where a.country_name = 'Canada' group by 1"),
    (
        ["geography.country IN ('Canada', 'France')", "revenue > 1000"],
        f"{SALES_BY_COUNTRY} where a.country_name in ('Canada', 'France') group by 1"
        " having sum(s.line_total) > 1000",
    ),
    (
        ["order_date BETWEEN DATE '2013-01-01' AND DATE '2013-06-30'"],
        f"{SALES_BY_COUNTRY} where s.order_date between date '2013-01-01' and date '2013-06-30'"
        " group by 1",
    ),
    (
        ["lower(product.category) LIKE 'bik%'", "NOT geography.country IS NULL"],
        f"{SALES_BY_COUNTRY} join {{marts}}.dim_product p on s.product_key = p.product_key"
        " where lower(p.category_name) like 'bik%' and a.country_name is not null group by 1",
    ),
    (
        ["EXTRACT(YEAR FROM order_date) = 2013 OR DATE_TRUNC(order_date, MONTH) = '2014-01-01'"],
        f"{SALES_BY_COUNTRY} where extract(year from s.order_date) = 2013"
        " or (extract(year from s.order_date) = 2014 and extract(month from s.order_date) = 1)"
        " group by 1",
    ),
]
