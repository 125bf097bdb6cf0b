"""Live feed: the latest events across channels, refreshed every few seconds, uncached.

Only this fragment reruns on its timer (st.fragment(run_every=…)); the rest of the page and the
sidebar stay put. Latency from the collector accepting an event to it showing here is measured
by bench/live_latency.py.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench import charts, components, filters, formatters
from workbench.reads import load_live

REFRESH_SECONDS = 1  # worst case on screen: pipeline latency + 1 s (bench/live_latency.py)
LATEST = 50  # rows in the table
CHANNELS = ["all", "web", "whatsapp", "ai"]

f = filters.current()
st.title("Live feed")
controls = st.columns([2, 1, 1])
channel = controls[0].segmented_control(
    "Channel", CHANNELS, default=f.channel, format_func=filters.CHANNEL_LABELS.get,
    key="live_channel", required=True,
    help="Event level: the AI agent's events can be shown alone here.",
) or "all"
minutes = controls[1].selectbox("Window", [15, 60, 240, 1440], index=1,
                                format_func=lambda m: f"last {m // 60} h" if m >= 60
                                else f"last {m} min", key="live_minutes")
paused = controls[2].toggle("Pause", key="live_paused")


@st.fragment(run_every=None if paused else REFRESH_SECONDS)
def feed() -> None:
    params = {"project": f.project, "channel": channel, "minutes": minutes}
    per_minute, latest = load_live(params, LATEST)
    total = int(per_minute["events"].sum()) if not per_minute.empty else 0
    st.caption(f"{formatters.count(total)} events in the window · updated "
               f"{formatters.now_label(f.tz)} ({f.tz_label}) · refreshes every "
               f"{REFRESH_SECONDS} s")
    components.chart(per_minute.assign(minute=formatters.wall_clock(per_minute["minute"], f.tz)),
                     charts.sparkline_chart, "events_per_minute", params,
                     key="live_sparkline", empty="No events in this window.")
    if latest.empty:
        st.info(f"No events in {f.project} in the {minutes} minutes: nothing has arrived for "
                f"{filters.CHANNEL_LABELS[channel]} channels. Events show here within seconds "
                "of the collector accepting them.")
        return
    shown = pd.DataFrame({
        "received": latest["received_at"].map(lambda v: formatters.local_time(v, f.tz,
                                                                              "%H:%M:%S")),
        "event time": latest["timestamp"].map(lambda v: formatters.local_time(v, f.tz)),
        "channel": latest["channel"],
        "event": latest["event_name"],
        "who": [formatters.identifier(u, "user") or formatters.identifier(p, "phone")
                or formatters.identifier(e, "email") or formatters.identifier(a, "anon")
                for u, p, e, a in zip(latest["user_id"], latest["phone"], latest["email"],
                                      latest["anonymous_id"], strict=True)],
        "page": latest["page_path"],
        "direction": latest["direction"],
        "country": latest["country"],
        "bot": latest["is_bot"].astype(bool),
    })
    st.dataframe(shown, hide_index=True, width="stretch", key="live_table")
    components.query_details("live_events", {**params, "limit": LATEST}, latest, key="live_events")


feed()
