"""The semantic model YAML: the project's model loads, and a broken one says file and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from adventure_elt.paths import sql_dir
from adventure_elt.semantic import SemanticModelError, load_model

PROJECT_MODEL = sql_dir() / "semantic"


def test_project_model_describes_the_five_questions() -> None:
    model = load_model()

    assert {"sales", "orders", "customer", "product", "geography", "dates", "web_traffic"} <= set(
        model.views
    )
    assert model.measures["revenue"].view == "sales"
    assert model.measures["freight"].view == "orders"
    assert model.measures["avg_order_value"].depends_on == ("revenue", "orders")
    catalog = model.catalog()
    labels = {m["name"]: m["label"] for m in catalog["measures"]}
    assert labels["avg_order_value"] == "Average order value"
    dimensions = {d["name"]: d for d in catalog["dimensions"]}
    assert dimensions["product.category"]["type"] == "string"
    assert dimensions["sales.order_date"]["grains"] == ["day", "week", "month", "quarter", "year"]
    assert {"geography.country", "web_traffic.country", "product.subcategory"} <= set(dimensions)


def _broken(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of the project's model with one text edit in one file."""
    folder = tmp_path / "semantic"
    shutil.copytree(PROJECT_MODEL, folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("sales.yml", "column: line_total", "column: line_totl",
         r"sales\.yml: measures\.revenue\.column: unknown column 'line_totl'.*did you mean"
         r" line_total"),
        ("sales.yml", "sql: revenue / orders", "sql: revenue / order",
         r"sales\.yml: measures\.avg_order_value\.sql: unknown measure 'order'"),
        ("sales.yml", "{view: product, foreign_key: product_key}",
         "{view: products, foreign_key: product_key}",
         r"sales\.yml: joins\[0\]\.view: unknown view 'products'; did you mean product"),
        ("sales.yml", "{view: product, foreign_key: product_key}",
         "{view: product, foreign_key: product_id}",
         r"sales\.yml: joins\[0\]\.foreign_key: unknown column 'product_id'"),
        ("sales.yml", "{view: product, foreign_key: product_key}",
         "{view: product, foreign_key: product_key, relationship: one_to_many}",
         r"sales\.yml: joins\[0\]\.relationship: 'one_to_many' is not one of many_to_one"),
        ("product.yml", "table: marts.dim_product", "table: marts.dim_products",
         r"product\.yml: table: unknown table 'marts\.dim_products'; did you mean"),
        ("product.yml", "type: string, column: category_name",
         "type: text, column: category_name",
         r"product\.yml: dimensions\.category\.type: 'text' is not one of string"),
        ("sales.yml", "type: count_distinct\n    column: sales_order_id",
         "type: count_distinct\n    sql: count(sales_order_id)",
         r"sales\.yml: measures\.orders\.sql: aggregates, subqueries and \* are not allowed"),
        ("sales.yml", "filter: order_date = customer.first_order_date",
         "filter: order_date = customer.first_order_day",
         r"sales\.yml: measures\.new_customers\.filter: view 'customer' has no dimension"),
        ("sales.yml", "filter: order_date = customer.first_order_date",
         "filter: web_traffic.country = 'x'",
         r"sales\.yml: measures\.new_customers\.filter: .*not reachable from view 'sales'"),
        ("orders.yml", "  - name: freight\n", "  - name: revenue\n",
         r"sales\.yml: measures\.revenue: a measure of that name is already defined in"
         r" .*orders\.yml"),
        ("sales.yml", "sql: revenue / customers", "sql: avg_spend_per_customer * 2",
         r"sales\.yml: measures\.avg_spend_per_customer\.sql: derived measures form a cycle"),
        ("sales.yml", "grains: [day, week, month, quarter, year]", "grains: [day, fortnight]",
         r"sales\.yml: dimensions\.order_date\.grains\[1\]: 'fortnight' is not one of day"),
        ("sales.yml", "    label: Revenue\n", "    lable: Revenue\n",
         r"sales\.yml: measures\[0\]\.lable: unknown key; did you mean label"),
        ("product.yml", "version: 1", "version: 2", r"product\.yml: version: must be 1"),
        ("product.yml", "primary_key: [product_key]", "primary_key: [product_key",
         r"product\.yml: invalid YAML at line \d+"),
    ],
)  # fmt: skip
def test_broken_model_is_one_line_naming_file_and_key(
    tmp_path: Path, file: str, old: str, new: str, message: str
) -> None:
    folder = _broken(tmp_path, file, old, new)

    with pytest.raises(SemanticModelError, match=message) as caught:
        load_model(folder, sql_dir=sql_dir())
    assert "\n" not in str(caught.value)


def test_a_view_over_sql_gets_its_columns_from_the_select(tmp_path: Path) -> None:
    folder = _broken(
        tmp_path, "customer.yml", "column: first_order_date", "column: last_order_date"
    )

    with pytest.raises(SemanticModelError, match=r"customer\.yml: dimensions\.first_order_date"
                       r"\.column: unknown column 'last_order_date'"):  # fmt: skip
        load_model(folder, sql_dir=sql_dir())


def test_empty_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(SemanticModelError, match="no semantic model files"):
        load_model(tmp_path, sql_dir=sql_dir())
