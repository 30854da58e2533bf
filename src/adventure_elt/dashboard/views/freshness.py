"""Data freshness: when each source table was last synced and how many rows it has, and the
latest pipeline runs (ops.runs), so a reader knows how current the figures are."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from adventure_elt.dashboard.data import fetch_freshness
from adventure_elt.dashboard.headline import card
from adventure_elt.dashboard.numbers import age_text
from adventure_elt.dashboard.periods import day_name
from adventure_elt.dashboard.sidebar import current_settings, current_span

settings, span = current_settings(), current_span()
state = fetch_freshness(settings)
now = datetime.now(UTC)
st.title("Data freshness")
st.caption(
    "How current the figures are: the warehouse's copy of each source table, and the pipeline "
    "runs that built it. Read from the raw layer and ops.runs, refreshed every minute."
)

synced = state.synced_at
first, second, third = st.columns(3)
card(first, "Orders up to", day_name(span.end) if span else "–")
card(
    second,
    "Source last synced",
    f"{age_text((now - synced).total_seconds())} ago" if synced else "never",
    note=f"{synced:%d %b %Y %H:%M} UTC" if synced else None,
)
if latest := state.last_run:
    failed = [s for s in latest if s.status != "ok"]
    card(
        third,
        "Last pipeline run",
        f"failed at {failed[0].step}" if failed else "ok",
        note=f"{latest[0].started_at:%d %b %Y %H:%M} UTC",
    )
else:
    card(third, "Last pipeline run", "none recorded")

st.subheader("Source tables")
tables = pd.DataFrame(
    {
        "Table": [t.name for t in state.tables],
        "Rows": [t.rows for t in state.tables],
        "Last synced (UTC)": [t.synced_at for t in state.tables],
        "Age": [
            age_text((now - t.synced_at).total_seconds()) if t.synced_at else "not synced"
            for t in state.tables
        ],
    }
)
st.dataframe(
    tables,
    hide_index=True,
    height="content",
    column_config={
        "Rows": st.column_config.NumberColumn("Rows", format="%,d"),
        "Last synced (UTC)": st.column_config.DatetimeColumn(
            "Last synced (UTC)", format="D MMM YYYY HH:mm:ss", timezone="UTC"
        ),
    },
)
st.caption(
    "Rows: the warehouse's raw copy, soft-deleted rows left out. Last synced: when its newest "
    "rows were read from the source (web events: when the stream last wrote one)."
)

st.subheader("Latest pipeline runs")
if not state.runs:
    st.info("No pipeline run recorded here yet: `adventure-elt run` records each of its steps.")
else:
    runs = pd.DataFrame(
        {
            "Run": [s.run_id for s in state.runs],
            "Step": [s.step for s in state.runs],
            "Status": [s.status for s in state.runs],
            "Started (UTC)": [s.started_at for s in state.runs],
            "Seconds": [
                (s.ended_at - s.started_at).total_seconds() if s.ended_at else None
                for s in state.runs
            ],
            "Rows": [s.rows for s in state.runs],
            "Attempts": [s.attempts for s in state.runs],
            "Error": [s.error or "" for s in state.runs],
        }
    )
    st.dataframe(
        runs,
        hide_index=True,
        height="content",
        column_config={
            "Started (UTC)": st.column_config.DatetimeColumn(
                "Started (UTC)", format="D MMM YYYY HH:mm:ss", timezone="UTC"
            ),
            "Seconds": st.column_config.NumberColumn("Seconds", format="%.1f"),
            "Rows": st.column_config.NumberColumn("Rows", format="%,d"),
        },
    )
