"""Question 1 — product analysis: revenue by category, drilled down to subcategories and their
top products (click a bar or pick in the select boxes), and each category's revenue by month."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from adventure_elt.dashboard.charts import COUNT
from adventure_elt.dashboard.data import CATEGORY, MONTH, column, fetch
from adventure_elt.dashboard.drill import drill_select, revenue_bars
from adventure_elt.dashboard.headline import show_headline
from adventure_elt.dashboard.monthly import show_monthly
from adventure_elt.dashboard.sidebar import current_filters, current_settings
from adventure_elt.dashboard.tables import show_table
from adventure_elt.semantic.filters import is_in

SUBCATEGORY = "product.subcategory"
PRODUCT = "product.name"
MEASURES = ["revenue", "units", "orders"]
TOP_PRODUCTS = 10
TOOLTIP = (("units", "Units", COUNT), ("orders", "Orders", COUNT))

settings, filters = current_settings(), current_filters()
st.title("Revenue by product category")
st.caption(
    "Which products earn the money. Click a bar (or pick below) to drill down from a category "
    "to its subcategories and their top products."
)
show_headline()

categories = fetch(settings, MEASURES, [CATEGORY], where=filters.where(), order_by=["-revenue"])
if categories.empty:
    st.info("No sales match the filters.")
    st.stop()


left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Categories")
    revenue_bars(
        categories,
        column(CATEGORY),
        "Category",
        TOOLTIP,
        key="category_bars",
        target="drill_category",
    )
with right:
    category = drill_select(
        "Drill down into", categories[column(CATEGORY)].tolist(), key="drill_category"
    )
    in_category = replace(filters, categories=(category,)).where() if category else []
    subcategories = fetch(
        settings, MEASURES, [SUBCATEGORY], where=in_category, order_by=["-revenue"]
    )
    st.subheader(f"{category} by subcategory")
    revenue_bars(
        subcategories,
        column(SUBCATEGORY),
        "Subcategory",
        TOOLTIP,
        key="subcategory_bars",
        target="drill_subcategory",
    )

subcategory = drill_select(
    "Top products of", subcategories[column(SUBCATEGORY)].tolist(), key="drill_subcategory"
)
products = fetch(
    settings,
    MEASURES,
    [PRODUCT],
    where=[*in_category, is_in(SUBCATEGORY, [subcategory])] if subcategory else in_category,
    order_by=["-revenue"],
    limit=TOP_PRODUCTS,
)
st.subheader(f"Top {len(products)} products of {subcategory}")
revenue_bars(products, column(PRODUCT), "Product", TOOLTIP, key="product_bars")

st.subheader("Revenue by month and category")
months = fetch(settings, ["revenue"], [MONTH, CATEGORY], where=filters.where())
show_monthly(
    months,
    value="revenue",
    value_title="Revenue",
    color=column(CATEGORY),
    color_title="Category",
    money=True,
)

with st.expander("The figures (download as CSV from each table's toolbar)"):
    show_table(categories, {column(CATEGORY): "Category"}, key="category_table")
    show_table(subcategories, {column(SUBCATEGORY): "Subcategory"}, key="subcategory_table")
    show_table(products, {column(PRODUCT): "Product"}, key="product_table")
