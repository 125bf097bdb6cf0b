"""The WhatsApp page's charts (Altair), each a pure function of a named query's frame, so
components.chart caches its spec (module-level functions, or partials of them)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from workbench import charts
from workbench.charts import ACCENT, CHANNEL_COLORS, HEIGHT

INBOUND = CHANNEL_COLORS["whatsapp"]
OUTBOUND = "#2563eb"
MEDIAN = "#dc2626"
DIRECTIONS = ["Inbound", "Outbound"]


def _naive(series: pd.Series) -> pd.Series:
    """Wall-clock times of the project's zone, naive: Vega draws naive times as they are."""
    values = pd.to_datetime(series)
    return values.dt.tz_localize(None) if values.dt.tz is not None else values


def volume_chart(df: pd.DataFrame, *, tz_label: str = "EAT", hourly: bool = True) -> alt.Chart:
    """Inbound vs outbound messages per hour (or day) of the range, project time zone."""
    data = (df.assign(bucket=_naive(df["bucket"]))
            .rename(columns={"inbound": "Inbound", "outbound": "Outbound"})
            .melt(id_vars=["bucket"], value_vars=DIRECTIONS, var_name="direction",
                  value_name="messages"))
    unit = "Hour" if hourly else "Day"
    return (
        alt.Chart(data)
        .mark_line(interpolate="step-after" if hourly else "linear", point=not hourly)
        .encode(
            x=alt.X("bucket:T", title=f"{unit} ({tz_label})",
                    axis=alt.Axis(format="%d %b %H:%M" if hourly else "%d %b")),
            y=alt.Y("messages:Q", title="Messages", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("direction:N", title=None,
                            scale=alt.Scale(domain=DIRECTIONS, range=[INBOUND, OUTBOUND])),
            tooltip=[alt.Tooltip("bucket:T", title=unit,
                                 format="%a %d %b %H:%M" if hourly else "%a %d %b %Y"),
                     "direction:N", "messages:Q"],
        )
        .properties(height=HEIGHT)
    )


def heatmap_chart(df: pd.DataFrame, *, tz_label: str = "EAT") -> alt.Chart:
    """Inbound messages (when taxpayers write) by weekday × hour of day."""
    return charts.heatmap_chart(df, tz_label=tz_label, value="inbound", title="Inbound",
                                scheme="greens", extra_tooltip=("outbound:Q",))


def _duration_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def response_histogram_chart(df: pd.DataFrame) -> alt.Chart:
    """Responses per time bucket; a rule on the bucket that holds the median, labelled with it."""
    order = list(df["response_time"])
    bars = (
        alt.Chart(df)
        .mark_bar(color=ACCENT)
        .encode(
            x=alt.X("response_time:N", sort=order, title="Response time",
                    axis=alt.Axis(labelAngle=0)),
            y=alt.Y("responses:Q", title="Responses", axis=alt.Axis(tickMinStep=1)),
            tooltip=["response_time:N", "responses:Q"],
        )
    )
    median = df["median_s"].dropna()
    if median.empty:
        return bars.properties(height=HEIGHT)
    seconds = float(median.iloc[0])
    holding = df.loc[df["lower_s"] <= seconds, "response_time"].iloc[-1]
    mark = pd.DataFrame({"response_time": [holding],
                         "label": [f"median {_duration_text(seconds)}"]})
    rule = (alt.Chart(mark).mark_rule(color=MEDIAN, strokeDash=[4, 3], size=2)
            .encode(x=alt.X("response_time:N", sort=order), tooltip=["label:N"]))
    text = (alt.Chart(mark).mark_text(color=MEDIAN, dy=-6, baseline="bottom", align="left",
                                      dx=4)
            .encode(x=alt.X("response_time:N", sort=order), y=alt.value(0), text="label:N"))
    return alt.layer(bars, rule, text).properties(height=HEIGHT)


def funnel_chart(df: pd.DataFrame) -> alt.Chart:
    """Sent → delivered → read → replied, as horizontal bars in order, with the share of sent."""
    order = list(df["stage"])
    base = alt.Chart(df).encode(
        y=alt.Y("stage:N", sort=order, title=None),
        x=alt.X("messages:Q", title="Messages", axis=alt.Axis(tickMinStep=1)),
        tooltip=["stage:N", "messages:Q", alt.Tooltip("share:Q", title="% of sent")],
    )
    bars = base.mark_bar(color=ACCENT)
    labels = base.mark_text(align="left", dx=4).encode(
        text=alt.Text("share:Q", format=".2f"))
    return alt.layer(bars, labels).properties(height=alt.Step(34))


def lengths_chart(df: pd.DataFrame) -> alt.Chart:
    """Conversations by their message count, buckets in their own order."""
    order = list(df["length"])
    return (
        alt.Chart(df)
        .mark_bar(color=ACCENT)
        .encode(
            x=alt.X("length:N", sort=order, title="Messages in the conversation",
                    axis=alt.Axis(labelAngle=0)),
            y=alt.Y("conversations:Q", title="Conversations", axis=alt.Axis(tickMinStep=1)),
            tooltip=["length:N", "conversations:Q"],
        )
        .properties(height=HEIGHT)
    )


def workload_chart(df: pd.DataFrame) -> alt.Chart:
    """Open conversations per agent now, split into waiting for a reply and not."""
    data = (df.assign(answered=df["open"] - df["waiting"])
            .rename(columns={"waiting": "Waiting for a reply", "answered": "Answered"})
            .melt(id_vars=["agent"], value_vars=["Waiting for a reply", "Answered"],
                  var_name="state", value_name="conversations"))
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("agent:N", sort=list(df["agent"]), title=None),
            x=alt.X("conversations:Q", title="Open conversations", stack=True,
                    axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("state:N", title=None,
                            scale=alt.Scale(domain=["Waiting for a reply", "Answered"],
                                            range=[MEDIAN, ACCENT])),
            tooltip=["agent:N", "state:N", "conversations:Q"],
        )
        .properties(height=alt.Step(24))
    )
