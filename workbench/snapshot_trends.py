"""Trends from the stored snapshots (docs "Snapshots"): a small chart per metric, one point per
day, week or month, with the latest period's value and its growth vs the period before.

A component for the Overview and WhatsApp pages:

    from workbench import snapshot_trends
    snapshot_trends.render(f.project, ["overview.sessions", "overview.people"], "weekly",
                           date_from=f.date_from, date_to=f.date_to, key="overview_trends")

Metrics are snapshot keys, `<source>.<metric>` (queries/snapshots SOURCES: `overview`,
`overview_web`, `overview_whatsapp`, `whatsapp`, `ai`); a bare metric name is taken from
`source` — on the Overview, `source=OVERVIEW_SOURCE[f.channel]` (queries.snapshots) follows the
channel filter. Labels and formats come from the metric definitions (queries/definitions/), as
the KPI cards'. One named query (`snapshot_trends`) feeds them all, with its SQL expander and CSV.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from queries.definitions import Definition, definition
from queries.snapshots import split_key
from queries.snapshots.periods import UNIT
from workbench import charts, components, formatters, reads
from workbench.kpis import change_text, value_text

AXIS_FORMAT = {"daily": "%d %b", "weekly": "%d %b", "monthly": "%b %Y"}
TOOLTIP_FORMAT = {"daily": "%a %d %b %Y", "weekly": "week of %d %b %Y", "monthly": "%B %Y"}
HEIGHT = 120


def describe(key: str) -> Definition:
    """The metric's label, format and help (its area's definitions; the key itself if none)."""
    source, metric = split_key(key)
    try:
        found = definition(source.area if source else "", metric)
    except KeyError:
        return Definition(key, metric.replace("_", " ").capitalize() or key, "number", "")
    if source is not None and source.params.get("channel"):
        return Definition(key, f"{found.label} ({source.params['channel']})", found.format,
                          found.help)
    return found


def trend_chart(df: pd.DataFrame, *, title: str, fmt: str, snapshot_type: str) -> alt.Chart:
    """One metric's values per period (`period_start`, `value`): a line with its points."""
    ratio = fmt == "ratio"
    return (
        alt.Chart(df)
        .mark_line(point=True, color=charts.ACCENT)
        .encode(
            x=alt.X("period_start:T", title=None,
                    axis=alt.Axis(format=AXIS_FORMAT[snapshot_type], labelOverlap=True)),
            y=alt.Y("value:Q", title=None,
                    axis=alt.Axis(format=".0%" if ratio else "~s", tickCount=3)),
            tooltip=[
                alt.Tooltip("period_start:T", title="Period",
                            format=TOOLTIP_FORMAT[snapshot_type]),
                alt.Tooltip("value:Q", title=title, format=".2%" if ratio else ",.2~f"),
                alt.Tooltip("previous:Q", title=f"Previous {UNIT[snapshot_type]}",
                            format=".2%" if ratio else ",.2~f"),
                alt.Tooltip("change_ratio:Q", title="Growth", format="+.1%"),
            ],
        )
        .properties(height=HEIGHT)
    )


def render(project: str, metrics: Sequence[str], snapshot_type: str = "daily", *,
           date_from: date, date_to: date, source: str = "overview", key: str = "trends",
           per_row: int = 3) -> None:
    """Trends of `metrics` from the `snapshot_type` snapshots whose period begins in the range
    (the period holding `date_from` included), each with its latest value and growth."""
    keys = [m if "." in m else f"{source}.{m}" for m in metrics]
    params = {"project": project, "from": date_from.isoformat(), "to": date_to.isoformat(),
              "snapshot_type": snapshot_type, "metrics": ",".join(keys)}
    df = reads.load("snapshot_trends", params)
    unit = UNIT[snapshot_type]
    if df.empty:
        st.info(f"No {snapshot_type} snapshots in {formatters.date_span(date_from, date_to)} "
                f"yet: a {unit} is snapshotted once it is over (the `snapshots` program, or "
                f"`njia snapshot --type {snapshot_type} --date …`).")
    else:
        shown = [k for k in keys if (df["metric"] == k).any()]
        for start in range(0, len(shown), per_row):
            columns = st.columns(per_row)
            for column, metric in zip(columns, shown[start:start + per_row], strict=False):
                _one(column, df[df["metric"] == metric], describe(metric), snapshot_type,
                     f"{key}_{metric}")
    components.query_details("snapshot_trends", params, df, key=key)


def _one(column: DeltaGenerator, rows: pd.DataFrame, found: Definition,
         snapshot_type: str, key: str) -> None:
    rows = rows.sort_values("period_start")
    latest = rows.iloc[-1]
    unit = UNIT[snapshot_type]
    with column.container(border=True):
        st.metric(
            found.label, value_text(found.format, latest["value"]),
            delta=change_text(found.format, latest["change_ratio"], latest["change"]),
            help=(f"{found.help} " if found.help else "")
            + f"Latest {unit}: {formatters.date_span(latest['period_start'], latest['period_end'])}"
            f"; growth vs the previous {unit}.")
        build = partial(trend_chart, title=found.label, fmt=found.format,
                        snapshot_type=snapshot_type)
        st.vega_lite_chart(spec=components.vega_lite_spec(build, rows), width="stretch",
                           key=f"chart_{key}")
