"""How the Journey explorer shows a person: their card's text, the timeline's groups, tables and
chart, and the link other pages use to open the explorer on someone. Pure functions of the
frames `journey_profile` and `journey` return (no state, no data reads)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from workbench import charts, formatters

PAGE = "app_pages/journey.py"
PERSON_PARAM = "person"
# Channel colours as Streamlit markdown names (charts.CHANNEL_COLORS are their hex twins).
CHANNEL_MARKDOWN = {"web": "blue", "whatsapp": "green", "ai": "violet", "server": "gray"}
CHANNEL_NAMES = {"web": "Web", "whatsapp": "WhatsApp", "ai": "AI agent", "server": "Server"}
GROUP_TITLES = {"web": "Web session", "whatsapp": "WhatsApp conversation"}
STATUS_COLORS = {"resolved": "green", "handed off": "orange", "dropped": "red", "open": "gray"}


def link_params(range_query: Mapping[str, Any], person_key: str) -> dict[str, Any]:
    """URL parameters that open the explorer on a person — any text it searches by; best their
    best identifier as `kind:value` (`formatters.best_key`), which reads well in the URL — and
    keep the sidebar's project and dates."""
    return {**range_query, PERSON_PARAM: person_key}


def person_link(range_query: Mapping[str, Any], person_key: str, label: str) -> None:
    """A link to the explorer on one person (Sessions, Errors, funnel drill-downs)."""
    if person_key:
        st.page_link(PAGE, label=label, icon=":material/person_search:",
                     query_params=link_params(range_query, person_key))


def ago(value: Any, now: datetime | None = None) -> str:
    """How long before `now` a UTC instant (naive, as the warehouse returns it) was."""
    if value is None or value == "" or pd.isna(value):
        return ""
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
    seconds = ((now or datetime.now(UTC)) - ts.to_pydatetime()).total_seconds()
    if seconds < 0:
        return "in the future"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def identifiers(keys: Any) -> list[str]:
    """A person's identifiers for display, each through the one identifier formatter, best
    first (PIN, phone, email, anonymous id)."""
    order = ("user", "phone", "email", "anon")

    def rank(key: str) -> tuple[int, str]:
        kind = formatters.split_key(key)[0]
        return (order.index(kind) if kind in order else len(order), key)

    return [formatters.person(key) for key in sorted((str(k) for k in keys if k), key=rank)]


def channel_text(channel: str) -> str:
    """A channel's name in its colour (Streamlit markdown)."""
    name = CHANNEL_NAMES.get(channel, channel)
    color = CHANNEL_MARKDOWN.get(channel)
    return f":{color}[**{name}**]" if color else name


def status_text(status: str) -> str:
    return f":{STATUS_COLORS.get(status, 'gray')}-badge[{status}]" if status else ""


def groups(timeline: pd.DataFrame) -> Iterator[pd.DataFrame]:
    """The page's rows, one frame per group (session, conversation, or a lone event), in the
    page's order (the query sorts each group's rows together)."""
    if timeline.empty:
        return
    ids = list(timeline["group_id"])
    start = 0
    for i in range(1, len(ids) + 1):
        if i == len(ids) or ids[i] != ids[start]:
            yield timeline.iloc[start:i]
            start = i


def group_header(rows: pd.DataFrame, tz: str, now: datetime | None = None) -> str:
    """'Web session · 20 Nov 2026 12:00 (3 d ago) · 4 events · 5 min 0 s · converted'."""
    first = rows.iloc[0]
    kind = str(first["session_channel"] or "")
    title = GROUP_TITLES.get(kind, "Outside any session")
    color = CHANNEL_MARKDOWN.get(kind or str(first["channel"]), "gray")
    parts = [f":{color}[**{title}**]",
             f"{formatters.local_time(first['group_start'], tz, '%a %d %b %Y %H:%M')} "
             f"({ago(first['group_start'], now)})"]
    if kind:
        parts.append(f"{formatters.count(first['session_events'])} events")
        parts.append(formatters.duration(first["session_duration_s"]))
    if kind == "web" and first["converted"]:
        parts.append(":green-badge[converted]")
    if kind == "whatsapp":
        for flag, shown in (("resolved", "resolved"), ("handed_off", "handed off"),
                            ("dropped", "dropped")):
            if first[flag]:
                parts.append(status_text(shown))
    if kind and len(rows) < int(first["session_events"]):
        parts.append(f"{len(rows)} of them on this page")
    return " · ".join(parts)


def steps(rows: pd.DataFrame, tz: str) -> pd.DataFrame:
    """One group's events as a table: local time, time into the group, label, channel."""
    return pd.DataFrame({
        "time": rows["timestamp"].map(lambda v: formatters.local_time(v, tz)),
        "after": rows["seconds_in_group"].map(formatters.relative),
        "event": rows["label"],
        "channel": rows["channel"].map(lambda c: CHANNEL_NAMES.get(c, c)),
        "page": rows["page_path"],
    }).reset_index(drop=True)


def channel_style(table: pd.DataFrame) -> Any:
    """The steps table with each channel in its colour."""
    colors = {CHANNEL_NAMES[c]: hex_ for c, hex_ in charts.CHANNEL_COLORS.items()}
    return table.style.map(lambda v: f"color: {colors[v]}; font-weight: 600"
                           if v in colors else "", subset=["channel"])


def chart_frame(timeline: pd.DataFrame, tz: str) -> pd.DataFrame:
    """The page's events for `timeline_chart`: wall-clock time in the project's zone."""
    return pd.DataFrame({
        "time": formatters.wall_clock(timeline["timestamp"], tz),
        "channel": timeline["channel"],
        "event": timeline["label"],
        "group": timeline["group_id"],
    })


def timeline_chart(df: pd.DataFrame) -> alt.Chart:
    """The page's events across channels on one time axis, coloured by channel."""
    return (
        alt.Chart(df)
        .mark_circle(size=110, opacity=0.85)
        .encode(
            x=alt.X("time:T", title=None),
            y=alt.Y("channel:N", title=None, sort=list(charts.CHANNEL_COLORS)),
            color=alt.Color("channel:N", scale=charts.channel_scale(), legend=None),
            tooltip=[alt.Tooltip("time:T", format="%a %d %b %Y %H:%M:%S"), "event:N",
                     "channel:N", "group:N"],
        )
        .properties(height=alt.Step(34))
    )
