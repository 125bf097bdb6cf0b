"""Altair chart builders: pure functions (DataFrame, …) → alt.Chart, one colour per channel."""

from __future__ import annotations

import altair as alt
import pandas as pd

CHANNEL_COLORS = {"web": "#2563eb", "whatsapp": "#16a34a", "ai": "#9333ea", "server": "#64748b"}


def channel_scale() -> alt.Scale:
    return alt.Scale(domain=list(CHANNEL_COLORS), range=list(CHANNEL_COLORS.values()))


def events_by_day_chart(df: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("day:T", title="Day"),
            y=alt.Y("sum(events):Q", title="Events"),
            color=alt.Color("channel:N", scale=channel_scale(), title="Channel"),
            tooltip=["day:T", "channel:N", "events:Q"],
        )
        .properties(height=280)
    )


def events_by_name_chart(df: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y("event_name:N", sort="-x", title=None),
            x=alt.X("sum(events):Q", title="Events"),
            color=alt.Color("channel:N", scale=channel_scale(), title="Channel"),
            tooltip=["event_name:N", "channel:N", "events:Q"],
        )
        .properties(height=alt.Step(18))
    )
