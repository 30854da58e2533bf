"""Monthly charts as every page draws them: bars per order month, the data's last month marked
incomplete on the chart and said so under it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from adventure_elt.dashboard.charts import incomplete_note, monthly_bars
from adventure_elt.dashboard.data import MONTH, column
from adventure_elt.dashboard.sidebar import current_span

if TYPE_CHECKING:
    import pandas as pd


def show_monthly(
    frame: pd.DataFrame,
    *,
    value: str,
    value_title: str,
    color: str | None = None,
    color_title: str = "",
    money: bool = False,
) -> None:
    """Draw `value` per order month of `frame` (a query by `MONTH`), stacked by `color`.

    Args:
        frame: one row per month (and colour), the month in `column(MONTH)`.
        value: the column the bars measure.
        value_title: its axis title.
        color: the column that stacks the bars, if any.
        color_title: its legend title.
        money: write the values as money (else as counts).
    """
    span = current_span()
    last = span.end if span else None
    chart = monthly_bars(
        frame,
        month=column(MONTH),
        value=value,
        value_title=value_title,
        incomplete=last,
        color=color,
        color_title=color_title,
        money=money,
    )
    st.altair_chart(chart, width="stretch")
    if note := incomplete_note(list(frame[column(MONTH)]), last):
        st.caption(note)
