"""The AI agent page's charts and tables (and the Errors page's app_error-beside-ai.error trend):
pure functions of the frames the `ai_*` and `errors_trend` queries return — nothing here reads
state or data. Kept apart from charts.py, which other pages share.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from workbench import formatters
from workbench.charts import CHANNEL_COLORS, ERROR, HEIGHT

AI = CHANNEL_COLORS["ai"]
# The Errors page's two kinds, each in its channel's colour family.
KIND_COLORS = {"app_error": ERROR, "ai.error": AI}
KIND_LABELS = {"app_error": "Web app (app_error)", "ai.error": "AI agent (ai.error)"}


def intents_chart(df: pd.DataFrame) -> alt.Chart:
    """Classifications per intent, largest first; the bar's shade is the intent's mean
    confidence (darker = surer), so a frequent but unsure intent stands out."""
    data = df.assign(mean_confidence=df["mean_confidence"].astype(float).round(3))
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("intent:N", sort="-x", title=None),
            x=alt.X("classifications:Q", title="Classifications",
                    axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("mean_confidence:Q", title="Mean confidence",
                            scale=alt.Scale(scheme="purples", domain=[0, 1])),
            tooltip=["intent:N", "classifications:Q",
                     alt.Tooltip("share:Q", title="share (%)"),
                     alt.Tooltip("mean_confidence:Q", title="mean confidence"),
                     alt.Tooltip("low_confidence:Q", title="below the threshold"),
                     alt.Tooltip("low_confidence_share:Q", title="below the threshold (%)")],
        )
        .properties(height=alt.Step(22))
    )


def percentiles_caption(kpis: pd.DataFrame) -> str:
    """'p50 850 ms · p90 2,500 ms · p99 2,950 ms' from the `ai` KPI rows (the histogram's
    marks); '' when the range has no latencies."""
    values = kpis.set_index("metric")["value"] if "metric" in kpis.columns else pd.Series()
    parts = []
    for p in ("50", "90", "99"):
        value = values.get(f"latency_p{p}_ms")
        if value is not None and not formatters._missing(value):
            parts.append(f"p{p} {float(value):,.0f} ms")
    return " · ".join(parts)


def latency_histogram_chart(df: pd.DataFrame, *, caption: str = "") -> alt.Chart:
    """Answers per latency bucket, buckets in their own order; the percentiles as a subtitle
    (the buckets are ranges, so a percentile has no exact place on this axis)."""
    order = list(df["latency"])
    chart = (
        alt.Chart(df)
        .mark_bar(color=AI)
        .encode(
            x=alt.X("latency:N", sort=order, title="Latency", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("answers:Q", title="Answers", axis=alt.Axis(tickMinStep=1)),
            tooltip=["latency:N", "answers:Q", alt.Tooltip("share:Q", title="share (%)")],
        )
        .properties(height=HEIGHT)
    )
    if caption:
        chart = chart.properties(title=alt.TitleParams(caption, fontSize=12, fontWeight="normal",
                                                       anchor="start"))
    return chart


def errors_by_day_chart(df: pd.DataFrame) -> alt.Chart:
    """ai.error per day, stacked by error type."""
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("yearmonthdate(day):O", title=None,
                    axis=alt.Axis(format="%d %b", labelAngle=0)),
            y=alt.Y("sum(errors):Q", title="AI errors", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("error_type:N", title="Error type",
                            scale=alt.Scale(scheme="tableau10")),
            tooltip=[alt.Tooltip("day:T", format="%a %d %b %Y"), "error_type:N", "errors:Q"],
        )
        .properties(height=HEIGHT)
    )


def escalation_chart(df: pd.DataFrame) -> alt.Chart:
    """Escalation rate per intent (conversations handed to an agent, %), the intents with most
    conversations first."""
    order = list(df["intent"])
    base = alt.Chart(df).encode(
        y=alt.Y("intent:N", sort=order, title=None),
        x=alt.X("escalation_rate:Q", title="Escalation rate (%)",
                scale=alt.Scale(domain=[0, 100])),
        tooltip=["intent:N", "conversations:Q", "escalated:Q",
                 alt.Tooltip("escalation_rate:Q", title="escalation rate (%)"),
                 alt.Tooltip("bot_resolved:Q", title="bot-resolved")],
    )
    bars = base.mark_bar(color=AI)
    labels = base.mark_text(align="left", dx=4).encode(text="conversations:Q")
    return (bars + labels).properties(height=alt.Step(22))


def errors_trend_chart(df: pd.DataFrame) -> alt.Chart:
    """The Errors page under WhatsApp: app_error and ai.error per day, side by side."""
    data = df.assign(source=df["kind"].map(lambda k: KIND_LABELS.get(k, k)))
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("yearmonthdate(day):O", title=None,
                    axis=alt.Axis(format="%d %b", labelAngle=0)),
            xOffset=alt.XOffset("source:N", sort=list(KIND_LABELS.values())),
            y=alt.Y("errors:Q", title="Errors", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("source:N", title=None, sort=list(KIND_LABELS.values()),
                            scale=alt.Scale(domain=list(KIND_LABELS.values()),
                                            range=list(KIND_COLORS.values())),
                            legend=alt.Legend(orient="top")),
            tooltip=[alt.Tooltip("day:T", format="%a %d %b %Y"), "source:N", "errors:Q"],
        )
        .properties(height=HEIGHT)
    )


def low_confidence_table(df: pd.DataFrame, tz: str) -> pd.DataFrame:
    """The low-confidence examples as the page lists them: local time, intent, confidence, the
    text when there is one, who and which conversation."""
    return pd.DataFrame({
        "time": df["timestamp"].map(lambda v: formatters.local_time(v, tz)),
        "intent": df["intent"],
        "confidence": df["confidence"],
        "text": df["text"],
        "person": [formatters.person(k, p) for k, p in
                   zip(df["person_key"], df["person_id"], strict=True)],
        "conversation": df["conversation"],
    })


def errors_by_type_table(df: pd.DataFrame, tz: str) -> pd.DataFrame:
    """ai.error by type with its last occurrence in the project's time zone."""
    return df.assign(last_seen=df["last_seen"].map(lambda v: formatters.local_time(v, tz)))
