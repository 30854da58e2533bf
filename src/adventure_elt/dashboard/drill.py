"""Drill-downs: a click on a bar picks what a select box beside it picks, and both are bound to
the link (`?drill_category=Bikes`), so a drilled-down view can be shared too."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import streamlit as st

from adventure_elt.dashboard.charts import PICK, ranked_bars

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd


def clickable_chart(chart: alt.LayerChart, *, key: str, field: str, target: str) -> None:
    """Draw `chart` (made with `clickable=True`); a click on a bar sets the select box `target`
    to the bar's `field` value."""
    st.altair_chart(
        chart,
        width="stretch",
        key=key,
        on_select=partial(_follow_click, key, field, target),
        selection_mode=PICK,
    )


def revenue_bars(
    frame: pd.DataFrame,
    label: str,
    title: str,
    tooltip: tuple[tuple[str, str, str], ...],
    *,
    key: str,
    target: str | None = None,
) -> None:
    """Revenue bars per `label`, longest first, `tooltip` columns beside; a click on a bar sets
    the select box `target` (when given) to the bar's label.

    Args:
        frame: one row per bar, with a `revenue` column.
        label: the column naming each bar.
        title: the axis title of the labels.
        tooltip: more columns for the tooltip, as (column, title, format).
        key: the chart's key.
        target: the select box a click drills into, if any.
    """
    chart = ranked_bars(
        frame,
        label=label,
        value="revenue",
        title=title,
        value_title="Revenue",
        extra=tooltip,
        clickable=target is not None,
    )
    if target is None:
        st.altair_chart(chart, width="stretch", key=key)
    else:
        clickable_chart(chart, key=key, field=label, target=target)


def drill_select(label: str, options: Sequence[str], *, key: str) -> str | None:
    """A select box bound to the link's `key` parameter; returns the option picked (the first
    by default), None when there is nothing to pick."""
    if not options:
        return None
    picked: Any = st.selectbox(label, list(options), key=key, bind="query-params")
    return str(picked) if picked is not None else None


def _follow_click(chart_key: str, field: str, target: str) -> None:
    """The chart's click callback: copy the clicked bar's value into the select box."""
    event = st.session_state.get(chart_key)
    points = event.get("selection", {}).get(PICK, []) if event else []
    if points and field in points[0]:
        st.session_state[target] = points[0][field]
