"""Tables as a business reader expects them: readable column labels, money and counts with
thousands separators, months as months, and the CSV download of Streamlit's table toolbar.

Measure columns take their label and format from the semantic model (`revenue` is "Revenue",
money), so a table says what `adventure-elt query` says; the page names its dimension columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from adventure_elt.semantic import cached_model

if TYPE_CHECKING:
    from adventure_elt.semantic import SemanticModel

# semantic format -> Streamlit number format (sprintf-js; `,` adds thousands separators)
NUMBER_FORMATS = {"money": "dollar", "integer": "%,d", "number": "%,.1f", "percent": "percent"}


def show_table(
    frame: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    key: str | None = None,
    extra: Mapping[str, tuple[str, str]] | None = None,
) -> None:
    """Draw `frame` as a table: the columns in `labels` first, named so, then its measures.

    Args:
        frame: a `fetch` result (dimension columns, then measure columns).
        labels: dimension column -> its label (e.g. `product_category` -> "Category").
        key: the table's widget key, for pages that draw the same table twice.
        extra: computed columns that are no measure: column -> (label, semantic format).
    """
    renamed, config = table_layout(frame, labels, cached_model(), extra or {})
    st.dataframe(
        frame[list(renamed)].rename(columns=renamed),
        hide_index=True,
        column_config=config,
        key=key,
    )


def table_layout(
    frame: pd.DataFrame,
    labels: Mapping[str, str],
    model: SemanticModel,
    extra: Mapping[str, tuple[str, str]],
) -> tuple[dict[str, str], dict[str, Any]]:
    """The columns to show (column -> label, in order) and their Streamlit column settings.

    Columns neither labelled, nor a measure, nor in `extra` are left out.
    """
    renamed: dict[str, str] = {}
    config: dict[str, Any] = {}
    for name, label in labels.items():
        renamed[name] = label
        if pd.api.types.is_datetime64_any_dtype(frame[name]):
            shape = "MMM YYYY" if name.endswith("_month") else "D MMM YYYY"
            config[label] = st.column_config.DateColumn(label, format=shape)
    for name in frame.columns:
        if name in renamed:
            continue
        if name in model.measures:
            measure = model.measures[name]
            label, shape = measure.label, measure.format
        elif name in extra:
            label, shape = extra[name]
        else:
            continue
        renamed[name] = label
        config[label] = st.column_config.NumberColumn(label, format=NUMBER_FORMATS[shape])
    return renamed, config
