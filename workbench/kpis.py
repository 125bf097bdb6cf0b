"""KPI cards from a KPI query (one row per metric: metric, value, previous, change,
change_ratio) and the metric definitions of queries/definitions/: the card's label, format and
tooltip come from the same text as docs/metrics.md."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from queries.definitions import Definition, definition
from workbench import formatters


def value_text(fmt: str, value: Any) -> str:
    """A metric's value as its definition's format shows it. `percent` values are percentages
    already (91.67); `ratio` values are 0–1."""
    if formatters._missing(value):
        return "—"
    if fmt == "count":
        return formatters.count(value)
    if fmt == "percent":
        return f"{float(value):.2f} %"
    if fmt == "ratio":
        return formatters.percent(value, 2)
    if fmt == "seconds":
        return formatters.duration(value)
    if fmt == "rating":
        return f"{float(value):.2f} / 5"
    return f"{float(value):,.3f}".rstrip("0").rstrip(".")


def change_text(fmt: str, ratio: Any, absolute: Any) -> str | None:
    """Rates change in percentage points; everything else in percent of the previous value."""
    if fmt == "percent":
        return None if formatters._missing(absolute) else f"{float(absolute):+.2f} pp"
    if fmt == "ratio":
        return None if formatters._missing(absolute) else f"{float(absolute) * 100:+.2f} pp"
    return formatters.change(ratio)


def card(column: Any, found: Definition, row: pd.Series | None, previous_label: str,
         *, lower_is_better: bool = False) -> None:
    value = None if row is None else row.get("value")
    help_text = found.help
    if row is not None and "previous" in row:
        help_text += f" {previous_label}: {value_text(found.format, row['previous'])}."
    column.metric(
        found.label, value_text(found.format, value),
        delta=None if row is None else change_text(found.format, row.get("change_ratio"),
                                                   row.get("change")),
        delta_color="inverse" if lower_is_better else "normal",
        help=help_text, border=True)


def cards(area: str, kpis: pd.DataFrame, order: Sequence[str], *, previous_label: str,
          per_row: int = 4, lower_is_better: Sequence[str] = ()) -> None:
    """One card per metric in `order`, `per_row` to a row; a metric the query did not return
    shows "—"."""
    rows = kpis.set_index("metric") if "metric" in kpis.columns else kpis
    for start in range(0, len(order), per_row):
        columns = st.columns(per_row)
        for column, metric in zip(columns, order[start:start + per_row], strict=False):
            row = rows.loc[metric] if metric in rows.index else None
            card(column, definition(area, metric), row, previous_label,
                 lower_is_better=metric in lower_is_better)
