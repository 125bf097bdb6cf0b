"""Errors: the web app's `app_error` events — how many, trend, which, where, and who they hit.

Each affected session opens its timeline on the Sessions page (the link carries the session id
and the dates, so it can be shared).
"""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from workbench import charts, components, filters, formatters, journey_view
from workbench.reads import load

f = filters.current()
st.title("Errors")
st.caption(f.describe().rsplit(" · ", 1)[0] + " · `app_error` events from the web app")

params = f.range()
summary = load("errors_summary", params)
row = summary.iloc[0] if not summary.empty else None
if row is None or not row["errors"]:
    st.info(
        f"No `app_error` events in {f.project} between {f.date_from} and {f.date_to}: either "
        "nothing went wrong or the web app does not send them yet. The app reports one with "
        "`analytics.track('app_error', {error_type, message, path})`."
    )
    components.query_details("errors_summary", params, summary, key="errors_summary")
    st.stop()

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

st.subheader("By type and message")
list_params = {**params, "limit": 50}
by_type = load("errors_by_type", list_params)
components.table(
    by_type.assign(last_seen=by_type["last_seen"].map(lambda v: formatters.local_time(v, f.tz))),
    "errors_by_type", list_params, key="errors_type", empty="No errors in this range.")

st.subheader("Affected sessions")
affected = load("error_sessions", list_params)
if affected.empty:
    st.info("The errors in this range belong to no session.")
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
