"""Errors: the web app's `app_error` events — how many, trend, which, where, and who they hit.

Each affected session opens its timeline on the Sessions page (the link carries the session id
and the dates, so it can be shared). Under the WhatsApp channel the AI agent's `ai.error` shows
beside `app_error`: its counts, both kinds per day, and the AI errors by type.
"""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from workbench import ai_charts, charts, components, filters, formatters, journey_view
from workbench.reads import load

# The channels whose errors include the AI agent's (it answers on WhatsApp).
AI_CHANNELS = ("whatsapp", "ai")

f = filters.current()
with_ai = f.channel in AI_CHANNELS
st.title("Errors")
st.caption(f.describe().rsplit(" · ", 1)[0] + " · `app_error` events from the web app"
           + (" and `ai.error` events from the AI agent" if with_ai else ""))

params = f.range()
summary = load("errors_summary", params)
row = summary.iloc[0] if not summary.empty else None
ai_summary = load("ai_errors_summary", params) if with_ai else None
ai_row = ai_summary.iloc[0] if ai_summary is not None and not ai_summary.empty else None
has_app_errors = row is not None and bool(row["errors"])
has_ai_errors = ai_row is not None and bool(ai_row["errors"])
if not has_app_errors and not has_ai_errors:
    st.info(
        f"No `app_error` events in {f.project} between {f.date_from} and {f.date_to}: either "
        "nothing went wrong or the web app does not send them yet. The app reports one with "
        "`analytics.track('app_error', {error_type, message, path})`."
        + (" No `ai.error` from the AI agent either." if with_ai else "")
    )
    components.query_details("errors_summary", params, summary, key="errors_summary")
    if ai_summary is not None:
        components.query_details("ai_errors_summary", params, ai_summary,
                                 key="ai_errors_summary")
    st.stop()
if row is None:  # errors_summary always returns its one row; this only narrows the type
    st.stop()

if with_ai and ai_summary is not None and ai_row is not None:
    st.subheader("AI agent (`ai.error`)")
    a1, a2, a3, a4 = st.columns(4)
    a1.metric("AI errors", formatters.count(ai_row["errors"]), border=True,
              help=f"`ai.error` events in the range; {formatters.count(ai_row['error_types'])} "
                   "distinct error types.")
    a2.metric("AI error rate", f"{float(ai_row['error_rate']):.2f} %", border=True,
              help=f"ai.error / (ai.classification + ai.generation + ai.error): "
                   f"{formatters.count(ai_row['errors'])} of "
                   f"{formatters.count(ai_row['ai_events'])} AI events.")
    a3.metric("Conversations with an AI error",
              formatters.count(ai_row["affected_conversations"]), border=True)
    a4.metric("People hit by an AI error", formatters.count(ai_row["affected_people"]),
              border=True)
    components.query_details("ai_errors_summary", params, ai_summary, key="ai_errors_summary")
    st.subheader("Web app (`app_error`)")

m1, m2, m3, m4 = st.columns(4)
m1.metric("Errors", formatters.count(row["errors"]), border=True,
          help=f"{formatters.count(row['error_types'])} distinct error types")
m2.metric("Affected sessions", formatters.count(row["affected_sessions"]), border=True)
m3.metric("Affected people", formatters.count(row["affected_people"]), border=True)
m4.metric("Sessions with an error", formatters.percent(row["error_session_share"]),
          border=True, help=f"{formatters.count(row['sessions_with_error'])} of "
                            f"{formatters.count(row['sessions'])} web sessions started in the "
                            "range contain at least one app_error.")
components.query_details("errors_summary", params, summary, key="errors_summary")

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Trend")
    if with_ai:  # both kinds, side by side, per day
        trend = load("errors_trend", params)
        components.chart(trend, ai_charts.errors_trend_chart, "errors_trend", params,
                         key="errors_trend_kinds", empty="No errors in this range.")
    else:
        trend = load("errors_by_day", params)
        components.chart(trend, charts.errors_trend_chart, "errors_by_day", params,
                         key="errors_trend", empty="No errors in this range.")
with right:
    st.subheader("By page")
    list_params = {**params, "limit": 15}
    by_page = load("errors_by_page", list_params)
    components.chart(
        by_page,
        partial(charts.ranked_bar_chart, category="page", value="errors",
                value_title="Errors", color=charts.ERROR, extra_tooltip=["sessions:Q"]),
        "errors_by_page", list_params, key="errors_page", empty="No errors in this range.")

list_params = {**params, "limit": 50}
if with_ai:
    st.subheader("AI errors by type")
    ai_types = load("ai_errors_by_type", list_params)
    components.table(ai_charts.errors_by_type_table(ai_types, f.tz), "ai_errors_by_type",
                     list_params, key="ai_errors_type", empty="No `ai.error` in this range.")

st.subheader("By type and message")
by_type = load("errors_by_type", list_params)
components.table(
    by_type.assign(last_seen=by_type["last_seen"].map(lambda v: formatters.local_time(v, f.tz))),
    "errors_by_type", list_params, key="errors_type", empty="No errors in this range.")

st.subheader("Affected sessions")
affected = load("error_sessions", list_params)
if affected.empty:
    st.info("The errors in this range belong to no session." if has_app_errors
            else "No `app_error` in this range.")
else:
    shown = pd.DataFrame({
        "first error": affected["first_error"].map(lambda v: formatters.local_time(v, f.tz)),
        "person": [formatters.person(k, p) for k, p in
                   zip(affected["person_key"], affected["person_id"], strict=True)],
        "errors": affected["errors"],
        "types": affected["error_types"].map(lambda t: ", ".join(t)),
        "session": affected["session_id"],
    })
    st.dataframe(shown, hide_index=True, width="stretch", key="errors_sessions_table")
    for sid, who, key in list(zip(shown["session"], shown["person"], affected["person_key"],
                                  strict=True))[:10]:
        timeline_link, person_link = st.columns([3, 2])
        with timeline_link:
            st.page_link("app_pages/sessions.py", label=f"Timeline of {who} · {sid}",
                         icon=":material/timeline:",
                         query_params={**f.range_query(), "session": sid})
        with person_link:
            journey_view.person_link(f.range_query(), key, f"Journey of {who}")
components.query_details("error_sessions", list_params, affected, key="errors_sessions")
