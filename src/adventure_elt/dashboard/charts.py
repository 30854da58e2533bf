"""The chart shapes the pages share (Altair, which Streamlit brings along)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import altair as alt
import pandas as pd

from adventure_elt.dashboard.periods import day_name, month_start

if TYPE_CHECKING:
    from collections.abc import Sequence

MONEY = "$,.0f"
COUNT = ",.0f"
PERCENT = ".1%"
# The selection a clickable chart reports (`st.altair_chart(..., selection_mode=PICK)`).
PICK = "pick"
INCOMPLETE = "incomplete"


def ranked_bars(
    frame: pd.DataFrame,
    *,
    label: str,
    value: str,
    title: str,
    value_title: str,
    value_format: str = MONEY,
    extra: tuple[tuple[str, str, str], ...] = (),
    clickable: bool = False,
) -> alt.LayerChart:
    """Horizontal bars, longest first: `value` per `label`, with the figure written at the end.

    Args:
        frame: one row per bar.
        label: the column naming each bar.
        value: the column the bars measure.
        title: the axis title of the labels.
        value_title: the axis title of the values.
        value_format: how to write the values (MONEY, COUNT, PERCENT: d3 formats).
        extra: more columns for the tooltip, as (column, title, format).
        clickable: a click on a bar selects its label (the `PICK` selection), for drill-downs.
    """
    fmt = value_format
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
    bars = base.mark_bar(cornerRadiusEnd=3, cursor="pointer" if clickable else "default")
    if clickable:
        bars = bars.add_params(alt.selection_point(name=PICK, fields=[label], on="click"))
    text = base.mark_text(align="left", dx=4).encode(text=alt.Text(f"{value}:Q", format=fmt))
    chart: alt.LayerChart = (bars + text).properties(height=alt.Step(30))
    return chart


def monthly_bars(
    frame: pd.DataFrame,
    *,
    month: str,
    value: str,
    value_title: str,
    incomplete: date | None = None,
    color: str | None = None,
    color_title: str = "",
    money: bool = False,
) -> alt.LayerChart:
    """Bars per month (stacked by `color` when given), for a series over time.

    Args:
        frame: one row per month (and colour).
        month: the month column (first days of months).
        value: the column the bars measure.
        value_title: its axis title.
        incomplete: a day in the month to mark as incomplete, if the chart shows it.
        color: the column that stacks the bars, if any.
        color_title: its legend title.
        money: write the values as money (else as counts).
    """
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
    bars = alt.Chart(frame).mark_bar().encode(tooltip=tooltip, **encoding)
    return _with_incomplete(bars, frame[month], incomplete)


def funnel_bars(frame: pd.DataFrame, *, stage: str, value: str, share: str) -> alt.LayerChart:
    """A funnel: one bar per stage in the frame's order, with its share of the first stage."""
    base = alt.Chart(frame).encode(
        y=alt.Y(f"{stage}:N", title=None, sort=list(frame[stage])),
        x=alt.X(f"{value}:Q", title="Sessions", axis=alt.Axis(format=COUNT)),
        tooltip=[
            alt.Tooltip(f"{stage}:N", title="Stage"),
            alt.Tooltip(f"{value}:Q", title="Sessions", format=COUNT),
            alt.Tooltip(f"{share}:Q", title="Of all sessions", format=PERCENT),
        ],
    )
    bars = base.mark_bar(cornerRadiusEnd=3)
    text = base.mark_text(align="left", dx=4).encode(text=alt.Text(f"{share}:Q", format=PERCENT))
    chart: alt.LayerChart = (bars + text).properties(height=alt.Step(34))
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


def per_minute(frame: pd.DataFrame, *, minute: str, value: str, value_title: str) -> alt.Chart:
    """A live series: `value` per minute as an area over time (UTC)."""
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_area(line=True, opacity=0.35, interpolate="step-after")
        .encode(
            x=alt.X(f"{minute}:T", title=None, axis=alt.Axis(format="%H:%M")),
            y=alt.Y(f"{value}:Q", title=value_title, axis=alt.Axis(format=COUNT)),
            tooltip=[
                alt.Tooltip(f"{minute}:T", title="Minute (UTC)", format="%H:%M"),
                alt.Tooltip(f"{value}:Q", title=value_title, format=COUNT),
            ],
        )
        .properties(height=240)
    )
    return chart


def incomplete_months(months: Sequence[pd.Timestamp], incomplete: date | None) -> date | None:
    """The first day of the incomplete month when `months` shows it, else None.

    >>> incomplete_months([pd.Timestamp("2014-05-01"), pd.Timestamp("2014-06-01")],
    ...                   date(2014, 6, 30))
    datetime.date(2014, 6, 1)
    """
    if incomplete is None:
        return None
    first = month_start(incomplete)
    return first if any(m.date() == first for m in pd.to_datetime(pd.Series(months))) else None


def incomplete_note(months: Sequence[pd.Timestamp], last: date | None) -> str | None:
    """The caption explaining the grey band, when `months` shows the data's last month.

    >>> incomplete_note([pd.Timestamp("2014-06-01")], date(2014, 6, 30))[:50]
    'Grey band: June 2014, the last month of the data ('
    """
    if incomplete_months(months, last) is None or last is None:
        return None
    return (
        f"Grey band: {last:%B %Y}, the last month of the data (its last order is on "
        f"{day_name(last)}); treat it as incomplete, its figures may still grow."
    )


def _with_incomplete(
    chart: alt.Chart, months: pd.Series, incomplete: date | None
) -> alt.LayerChart:
    """`chart` under a grey band marking the incomplete month, when it shows that month."""
    shown = incomplete_months(list(months), incomplete)
    layers: list[alt.Chart] = []
    if shown is not None:
        following = (pd.Timestamp(shown) + pd.offsets.MonthBegin(1)).date()
        band = pd.DataFrame(
            {"start": [pd.Timestamp(shown)], "end": [pd.Timestamp(following)], "note": [INCOMPLETE]}
        )
        marks = alt.Chart(band).encode(x="start:T", x2="end:T")
        layers += [
            marks.mark_rect(color="#9e9e9e", opacity=0.18).encode(
                tooltip=alt.Tooltip("note:N", title=f"{shown:%B %Y}")
            ),
            alt.Chart(band)
            .mark_text(baseline="top", dy=4, color="#616161", fontSize=11)
            .encode(x="start:T", y=alt.value(0), text="note:N"),
        ]
    return alt.LayerChart(layer=[*layers, chart], height=360)
