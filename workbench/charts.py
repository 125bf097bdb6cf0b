"""Altair chart builders: pure functions (DataFrame, …) → alt.Chart, one colour per channel.

Pages hand them the frames the named queries return; nothing here reads state or data. Sizes
are chosen for a laptop screen (charts stretch to the column; heights stay moderate).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

CHANNEL_COLORS = {"web": "#2563eb", "whatsapp": "#16a34a", "ai": "#9333ea", "server": "#64748b"}
ACCENT = "#0f766e"  # one colour for single-series charts
ERROR = "#dc2626"
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
HEIGHT = 260


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
        .properties(height=HEIGHT)
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


def dau_chart(df: pd.DataFrame) -> alt.Chart:
    """Daily active people: a line over the range's days."""
    return (
        alt.Chart(df)
        .mark_line(point=True, color=ACCENT)
        .encode(
            x=alt.X("day:T", title=None, axis=alt.Axis(format="%d %b")),
            y=alt.Y("people:Q", title="People", axis=alt.Axis(tickMinStep=1)),
            tooltip=[alt.Tooltip("day:T", format="%a %d %b %Y"), "people:Q"],
        )
        .properties(height=HEIGHT)
    )


def ranked_bar_chart(df: pd.DataFrame, category: str, value: str, *, title: str = "",
                     value_title: str = "Sessions", color: str = ACCENT,
                     extra_tooltip: list[str] | None = None) -> alt.Chart:
    """Horizontal bars, largest first (journeys, pages, browsers, OS, countries, errors)."""
    return (
        alt.Chart(df)
        .mark_bar(color=color)
        .encode(
            y=alt.Y(f"{category}:N", sort="-x", title=title or None),
            x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(tickMinStep=1)),
            tooltip=[f"{category}:N", f"{value}:Q", *(extra_tooltip or [])],
        )
        .properties(height=alt.Step(22))
    )


def donut_chart(df: pd.DataFrame, category: str, value: str, *, title: str = "") -> alt.Chart:
    """Composition (device types): a donut with its legend."""
    return (
        alt.Chart(df)
        .mark_arc(innerRadius=60)
        .encode(
            theta=alt.Theta(f"{value}:Q", stack=True),
            color=alt.Color(f"{category}:N", title=title or None,
                            scale=alt.Scale(scheme="tableau10")),
            tooltip=[f"{category}:N", f"{value}:Q"],
        )
        .properties(height=HEIGHT)
    )


def heatmap_chart(df: pd.DataFrame, *, tz_label: str = "EAT", value: str = "sessions",
                  title: str = "Sessions", scheme: str = "teals",
                  extra_tooltip: tuple[str, ...] = ()) -> alt.Chart:
    """`value` (sessions started, by default) by weekday (rows, Monday first) and hour of day
    (columns)."""
    data = df.assign(day=df["weekday"].map(lambda d: WEEKDAYS[int(d) - 1]))
    return (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title=f"Hour ({tz_label})",
                    scale=alt.Scale(domain=list(range(24)))),
            y=alt.Y("day:O", title=None, sort=WEEKDAYS, scale=alt.Scale(domain=WEEKDAYS)),
            color=alt.Color(f"{value}:Q", title=title, scale=alt.Scale(scheme=scheme),
                            legend=alt.Legend(format="d")),
            tooltip=["day:O", "hour:O", f"{value}:Q", *extra_tooltip],
        )
        .properties(height=220)
    )


def histogram_chart(df: pd.DataFrame) -> alt.Chart:
    """Sessions per duration bucket, buckets in their own order (not alphabetical)."""
    order = list(df["duration"])
    return (
        alt.Chart(df)
        .mark_bar(color=ACCENT)
        .encode(
            x=alt.X("duration:N", sort=order, title="Session duration",
                    axis=alt.Axis(labelAngle=0)),
            y=alt.Y("sessions:Q", title="Sessions", axis=alt.Axis(tickMinStep=1)),
            tooltip=["duration:N", "sessions:Q"],
        )
        .properties(height=HEIGHT)
    )


def sparkline_chart(df: pd.DataFrame, x: str = "minute", y: str = "events") -> alt.Chart:
    """Events per minute: a small area chart without chrome."""
    return (
        alt.Chart(df)
        .mark_area(line={"color": ACCENT}, color=alt.Gradient(
            gradient="linear", x1=1, x2=1, y1=1, y2=0,
            stops=[alt.GradientStop(color="white", offset=0),
                   alt.GradientStop(color=ACCENT, offset=1)]))
        .encode(
            x=alt.X(f"{x}:T", title=None, axis=alt.Axis(format="%H:%M")),
            y=alt.Y(f"{y}:Q", title="Events / min", axis=alt.Axis(tickMinStep=1)),
            tooltip=[alt.Tooltip(f"{x}:T", format="%H:%M"), f"{y}:Q"],
        )
        .properties(height=120)
    )


def errors_trend_chart(df: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(df)
        .mark_bar(color=ERROR)
        .encode(
            # Ordinal days: one full-width bar per day, every day labelled.
            x=alt.X("yearmonthdate(day):O", title=None,
                    axis=alt.Axis(format="%d %b", labelAngle=0)),
            y=alt.Y("errors:Q", title="Errors", axis=alt.Axis(tickMinStep=1)),
            tooltip=[alt.Tooltip("day:T", format="%a %d %b %Y"), "errors:Q"],
        )
        .properties(height=HEIGHT)
    )


def timeline_chart(df: pd.DataFrame) -> alt.Chart:
    """A session's events on a time axis (seconds since its start), coloured by channel."""
    return (
        alt.Chart(df)
        .mark_circle(size=140, opacity=0.9)
        .encode(
            x=alt.X("seconds:Q", title="Seconds since the session started"),
            y=alt.Y("event_name:N", title=None, sort=alt.EncodingSortField("seconds", op="min")),
            color=alt.Color("channel:N", scale=channel_scale(), title="Channel"),
            tooltip=["seconds:Q", "event_name:N", "channel:N", "page_path:N"],
        )
        .properties(height=alt.Step(26))
    )
