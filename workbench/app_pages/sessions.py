"""Sessions: a filterable, paginated list; one session's timeline and properties; entry/exit pages.

The open session and the person filter live in the URL (`?session=…`, `?person=…`), so a link
to a session can be shared and other pages (Errors) can open one.
"""

from __future__ import annotations

import json
from functools import partial

import pandas as pd
import streamlit as st

from workbench import charts, components, filters, formatters, journey_view
from workbench.reads import load

PAGE_SIZE = 25
SESSION_KEY, PERSON_KEY = "session", "person"


def open_session(session_id: str) -> None:
    # A callback: bound widgets may only be changed through session_state, before they render.
    st.session_state[SESSION_KEY] = session_id


def open_picked() -> None:
    if st.session_state.get("sessions_pick"):
        open_session(st.session_state["sessions_pick"])


def open_selected_row(ids: list[str]) -> None:
    rows = st.session_state["sessions_table"].selection.rows
    if rows:
        open_session(ids[rows[0]])


f = filters.current()
st.title("Sessions")
st.caption(f.describe() + " · sessions that started in the range")
components.model_notice(f.project)

# --- filters -------------------------------------------------------------------------------
options = load("breakdown", {**f.with_channel(), "by": "device_type", "limit": 50})
devices = [k for k in options["key"] if k != "(unknown)"] if not options.empty else []
countries_df = load("breakdown", {**f.with_channel(), "by": "country", "limit": 100})
countries = [k for k in countries_df["key"] if k != "(unknown)"] if not countries_df.empty else []
entry_df = load("breakdown", {**f.with_channel(), "by": "entry_page", "limit": 100})
entries = [k for k in entry_df["key"] if k != "(unknown)"] if not entry_df.empty else []

c1, c2, c3, c4, c5, c6 = st.columns([1, 1, 1, 1, 1.4, 1.6])
converted = c1.selectbox("Converted", ["any", "yes", "no"], key="sessions_converted")
device = c2.selectbox("Device", ["", *devices], format_func=lambda v: v or "any",
                      key="sessions_device")
country = c3.selectbox("Country", ["", *countries], format_func=lambda v: v or "any",
                       key="sessions_country")
min_minutes = c4.number_input("Min duration (min)", min_value=0.0, step=1.0,
                              key="sessions_min_minutes")
entry_page = c5.selectbox("Entry page", ["", *entries], format_func=lambda v: v or "any",
                          key="sessions_entry")
person = c6.text_input("Person (phone, PIN, email, id)", key=PERSON_KEY, bind="query-params")

list_params = {
    **f.with_channel(), "converted": converted, "device": device, "country": country,
    "min_duration_s": float(min_minutes) * 60, "entry_page": entry_page,
    "person": person.strip(), "limit": PAGE_SIZE,
}
page_no = int(st.session_state.get("sessions_page", 1))
sessions = load("sessions_list", {**list_params, "offset": (page_no - 1) * PAGE_SIZE})
total = int(sessions["total"].iloc[0]) if not sessions.empty else 0
pages = max(1, -(-total // PAGE_SIZE))
if page_no > pages:  # the filters changed under us: back to the first page
    st.session_state["sessions_page"] = page_no = 1
    sessions = load("sessions_list", {**list_params, "offset": 0})

# --- the list ------------------------------------------------------------------------------
st.markdown(f"**{formatters.count(total)}** sessions")
if sessions.empty:
    st.info("No session matches these filters in this range: widen the dates, pick another "
            "channel or clear a filter.")
else:
    shown = pd.DataFrame({
        "start": sessions["start"].map(lambda v: formatters.local_time(v, f.tz)),
        "channel": sessions["channel"],
        "person": [formatters.person(k, p) for k, p in
                   zip(sessions["person_key"], sessions["person_id"], strict=True)],
        "duration": sessions["duration_s"].map(formatters.duration),
        "events": sessions["event_count"],
        "entry page": sessions["entry_page"],
        "exit page": sessions["exit_page"],
        "converted": sessions["converted"].astype(bool),
        "device": sessions["device_type"],
        "country": sessions["country"],
        "session": sessions["session_id"],
    })
    ids = list(shown["session"])
    st.dataframe(shown, hide_index=True, width="stretch", key="sessions_table",
                 on_select=partial(open_selected_row, ids), selection_mode="single-row")
    pick, pager = st.columns([3, 1])
    labels = {sid: f"{start} · {who} · {dur}" for sid, start, who, dur in
              zip(ids, shown["start"], shown["person"], shown["duration"], strict=True)}
    pick.selectbox("Open a session", ids, index=None,
                   format_func=lambda sid: labels.get(sid, sid),
                   key="sessions_pick", on_change=open_picked,
                   placeholder="Choose a session (or click a row) to see its timeline")
    pager.number_input(f"Page (of {pages})", min_value=1, max_value=pages, step=1,
                       key="sessions_page")
components.query_details("sessions_list", {**list_params, "offset": (page_no - 1) * PAGE_SIZE},
                         sessions, key="sessions_list")

# --- one session ---------------------------------------------------------------------------
st.divider()
session_id = st.text_input("Session id", key=SESSION_KEY, bind="query-params",
                           help="Set by 'Open', or paste one; the URL carries it.").strip()
if session_id:
    timeline_params = {**f.range(), "session": session_id}
    timeline = load("session_timeline", timeline_params)
    if timeline.empty:
        st.info(f"Session {session_id} has no events in {f.project} around "
                f"{formatters.date_span(f.date_from, f.date_to)}: it may have started in "
                "another range (the link carries the dates it was opened with).")
    else:
        first = timeline.iloc[0]
        best = formatters.best_key(timeline["event_key"])
        who = formatters.person(best, first["person_id"])
        st.subheader(f"Session timeline · {who}")
        st.caption(f"Started {formatters.local_time(first['timestamp'], f.tz)} ({f.tz}) · "
                   f"{len(timeline)} events · lasted "
                   f"{formatters.duration(timeline['seconds'].max())}")
        # Their whole journey, every channel, by their best identifier (not an internal id).
        journey_view.person_link(f.range_query(), best, f"Journey of {who}")
        components.chart(timeline, charts.timeline_chart, "session_timeline", timeline_params,
                         key="timeline", empty="")
        steps = pd.DataFrame({
            "when": timeline["seconds"].map(formatters.relative),
            "time": timeline["timestamp"].map(lambda v: formatters.local_time(v, f.tz)),
            "event": timeline["event_name"],
            "channel": timeline["channel"],
            "page": timeline["page_path"],
            "direction": timeline["direction"],
        })
        st.dataframe(steps, hide_index=True, width="stretch", key="sessions_steps")
        st.markdown("**Properties inspector**")
        index = st.selectbox(
            "Event", list(range(len(timeline))), key="sessions_event",
            format_func=lambda i: f"{steps['when'][i]} · {steps['event'][i]}",
        )
        event = timeline.iloc[int(index or 0)]
        left, right = st.columns(2)
        with left:
            st.caption("Properties")
            st.json(json.loads(event["properties"] or "{}"))
        with right:
            st.caption("Context")
            st.json({k: event[k] for k in ("event_name", "channel", "page_path", "page_title",
                                           "direction", "agent_id", "message_id", "device_type",
                                           "browser", "os", "country")
                     if event[k] not in ("", None)}
                    | {"person": formatters.identifier(event["event_key"])})

# --- entry and exit pages ------------------------------------------------------------------
st.divider()
st.subheader("Entry and exit pages (web sessions)")
left, right = st.columns(2, gap="large")
for column, by, title in [(left, "entry_page", "Entry pages"), (right, "exit_page", "Exit pages")]:
    with column:
        st.markdown(f"**{title}**")
        by_params = {**f.with_channel(), "by": by, "limit": 15}
        frame = load("breakdown", by_params)
        components.table(
            frame.rename(columns={"key": "page"}), "breakdown", by_params, key=f"pages_{by}",
            empty="No web sessions in this range.",
            column_config={
                "conversion_rate": st.column_config.NumberColumn("conversion", format="percent"),
                "avg_duration_s": st.column_config.NumberColumn("avg duration (s)",
                                                                format="%.0f"),
                "single_event_share": st.column_config.NumberColumn("one-event share",
                                                                    format="percent"),
            },
        )
