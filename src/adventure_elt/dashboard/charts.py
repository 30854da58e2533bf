"""The chart shapes the pages share (Altair, which Streamlit brings along)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt

if TYPE_CHECKING:
    import pandas as pd

MONEY = "$,.0f"
COUNT = ",.0f"


def ranked_bars(
    frame: pd.DataFrame,
    *,
    label: str,
    value: str,
    title: str,
    value_title: str,
    money: bool = True,
    extra: tuple[tuple[str, str, str], ...] = (),
) -> alt.LayerChart:
    """Horizontal bars, longest first: `value` per `label`, with the figure written at the end.

    Args:
        frame: one row per bar.
        label: the column naming each bar.
        value: the column the bars measure.
        title: the axis title of the labels.
        value_title: the axis title of the values.
        money: write the values as money (else as counts).
        extra: more columns for the tooltip, as (column, title, format).
    """
    fmt = MONEY if money else COUNT
    tooltip = [
        alt.Tooltip(f"{label}:N", title=title),
        alt.Tooltip(f"{value}:Q", title=value_title, format=fmt),
        *(alt.Tooltip(f"{c}:Q", title=t, format=f) for c, t, f in extra),
    ]
    base = alt.Chart(frame).encode(
        y=alt.Y(f"{label}:N", title=None, sort="-x", axis=alt.Axis(labelLimit=220)),
        x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=fmt)),
        tooltip=tooltip,
    )
    bars = base.mark_bar(cornerRadiusEnd=3)
    text = base.mark_text(align="left", dx=4).encode(text=alt.Text(f"{value}:Q", format=fmt))
    chart: alt.LayerChart = (bars + text).properties(height=alt.Step(30))
    return chart


def monthly_bars(
    frame: pd.DataFrame,
    *,
    month: str,
    value: str,
    value_title: str,
    color: str | None = None,
    color_title: str = "",
    money: bool = False,
) -> alt.Chart:
    """Bars per month (stacked by `color` when given), for a series over time."""
    fmt = MONEY if money else COUNT
    tooltip = [
        alt.Tooltip(f"{month}:T", title="Month", format="%B %Y"),
        alt.Tooltip(f"{value}:Q", title=value_title, format=fmt),
    ]
    encoding: dict[str, object] = {
        "x": alt.X(f"yearmonth({month}):T", title=None, axis=alt.Axis(format="%b %Y")),
        "y": alt.Y(f"{value}:Q", title=value_title, axis=alt.Axis(format=fmt)),
    }
    if color is not None:
        encoding["color"] = alt.Color(f"{color}:N", title=color_title)
        tooltip.insert(0, alt.Tooltip(f"{color}:N", title=color_title))
    chart: alt.Chart = (
        alt.Chart(frame).mark_bar().encode(tooltip=tooltip, **encoding).properties(height=360)
    )
    return chart


def bubble_scatter(
    frame: pd.DataFrame,
    *,
    label: str,
    x: str,
    y: str,
    size: str,
    x_title: str,
    y_title: str,
    size_title: str,
) -> alt.LayerChart:
    """One labelled bubble per row: `x` against `y`, sized by `size` (e.g. visits vs value)."""
    tooltip = [
        alt.Tooltip(f"{label}:N"),
        alt.Tooltip(f"{x}:Q", title=x_title, format=COUNT),
        alt.Tooltip(f"{y}:Q", title=y_title, format=MONEY),
        alt.Tooltip(f"{size}:Q", title=size_title, format=MONEY),
    ]
    base = alt.Chart(frame).encode(
        x=alt.X(f"{x}:Q", title=x_title, scale=alt.Scale(zero=False, padding=30)),
        y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=MONEY), scale=alt.Scale(nice=True)),
    )
    bubbles = base.mark_circle(opacity=0.7).encode(
        size=alt.Size(
            f"{size}:Q", title=size_title, legend=None, scale=alt.Scale(range=[80, 2000])
        ),
        color=alt.Color(f"{label}:N", legend=None),
        tooltip=tooltip,
    )
    names = base.mark_text(dy=-14, fontSize=12).encode(text=f"{label}:N")
    chart: alt.LayerChart = (bubbles + names).properties(height=420)
    return chart
