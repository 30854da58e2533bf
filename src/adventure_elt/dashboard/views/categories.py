"""Question 1 — product analysis: revenue by category, drilled down to subcategories."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from adventure_elt.dashboard.charts import COUNT, ranked_bars
from adventure_elt.dashboard.data import CATEGORY, column, fetch
from adventure_elt.dashboard.headline import show_headline
from adventure_elt.dashboard.sidebar import current_filters, current_settings

SUBCATEGORY = "product.subcategory"
MEASURES = ["revenue", "units", "orders"]

settings, filters = current_settings(), current_filters()
st.title("Revenue by product category")
st.caption("Which products earn the money. Pick a category to see its subcategories.")
show_headline()

categories = fetch(settings, MEASURES, [CATEGORY], where=filters.where(), order_by=["-revenue"])
if categories.empty:
    st.info("No sales match the filters.")
    st.stop()

by_category = column(CATEGORY)
left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Categories")
    st.altair_chart(
        ranked_bars(
            categories,
            label=by_category,
            value="revenue",
            title="Category",
            value_title="Revenue",
            extra=(("units", "Units", COUNT), ("orders", "Orders", COUNT)),
        ),
        width="stretch",
    )
with right:
    chosen = st.selectbox("Drill down into", categories[by_category].tolist(), key="drill_category")
    subcategories = fetch(
        settings,
        MEASURES,
        [SUBCATEGORY],
        where=replace(filters, categories=(chosen,)).where(),
        order_by=["-revenue"],
    )
    st.subheader(f"{chosen} by subcategory")
    st.altair_chart(
        ranked_bars(
            subcategories,
            label=column(SUBCATEGORY),
            value="revenue",
            title="Subcategory",
            value_title="Revenue",
            extra=(("units", "Units", COUNT), ("orders", "Orders", COUNT)),
        ),
        width="stretch",
    )

with st.expander("The figures"):
    money = {"revenue": st.column_config.NumberColumn("revenue", format="dollar")}
    st.dataframe(
        categories.rename(columns={by_category: "category"}), hide_index=True, column_config=money
    )
    st.dataframe(
        subcategories.rename(columns={column(SUBCATEGORY): "subcategory"}),
        hide_index=True,
        column_config=money,
    )
