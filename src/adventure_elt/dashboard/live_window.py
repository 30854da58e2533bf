"""The window picker the live pages share: kept in the link (`?window=1+hour`), with the caption
saying how often the page re-reads and what to run beside it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import streamlit as st

REFRESH = timedelta(seconds=3)


def live_window(label: str, windows: Mapping[str, int], default: str, hint: str) -> tuple[str, int]:
    """Draw the picker and the caption; the chosen window's name and minutes.

    Args:
        label: what the window counts, e.g. "Orders written in the last".
        windows: name → minutes, in the order shown.
        default: the name chosen when the link names none (or one not in `windows`).
        hint: what to run in another terminal to see the page move.
    """
    chosen = st.segmented_control(
        label, list(windows), default=default, key="window", bind="query-params"
    )
    name = chosen if chosen is not None and chosen in windows else default
    st.caption(f"Refreshes every {REFRESH.seconds} s; times in UTC. {hint}")
    return name, windows[name]
