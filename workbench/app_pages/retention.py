"""Retention: cohorts of people by the day / week / month of their first event (or first chosen
event), and how many came back in each later period — a cohort table (counts and %), the same as
a heatmap, and the retention curve. One named query, `retention` (docs/metrics.md "Retention"),
which `njia query retention` and the API also run.

People are counted across channels: the sidebar's channel filter does not apply here.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import streamlit as st

from queries.builders.retention import MAX_PERIODS, add_periods, cohort_starts
from workbench import components, filters, formatters, retention_charts
from workbench.reads import load

MODES = {"on": "in that period", "on_or_after": "in it or later"}

f = filters.current()
st.title("Retention")
st.caption(f"{f.project} · cohorts of {formatters.date_span(f.date_from, f.date_to)} "
           f"({f.tz_label}) · people across all channels (the channel filter does not apply)")

# --- what to count ---------------------------------------------------------------------------
# The events seen in the range, most frequent first, to choose a cohort or return event from.
seen = load("events_by_name", f.with_channel("all"))
names = list(dict.fromkeys(seen["event_name"])) if not seen.empty else []

c1, c2, c3, c4, c5 = st.columns([1.3, 0.9, 1.6, 1.6, 1.3])
period = c1.segmented_control("Period", ["day", "week", "month"], default="week",
                              format_func=str.title, key="retention_period",
                              required=True) or "week"
periods = c2.number_input("Periods after", min_value=1, max_value=MAX_PERIODS, value=12,
                          step=1, key="retention_periods")
cohort_event = c3.selectbox(
    "Cohort: people whose first…", ["", *names], key="retention_cohort_event",
    format_func=lambda v: v or "event ever", accept_new_options=True,
    help="The period of each person's first event ever (not only in the range), or of the "
         "first time they did the chosen event, is their cohort.")
return_event = c4.selectbox(
    "Returning: they did…", ["", *names], key="retention_return_event",
    format_func=lambda v: v or "any event", accept_new_options=True)
mode = c5.radio("Counted", list(MODES), format_func=MODES.get, key="retention_mode",
                help="In that period: active in the k-th period after the cohort's. In it or "
                     "later: active in that period or any later one.")

params = {**f.range(), "period": period, "periods": int(periods),
          "cohort_event": cohort_event or "", "return_event": return_event or "", "mode": mode}
df = load("retention", params)
people = int(df["cohort_size"].groupby(df["cohort"]).first().sum()) if not df.empty else 0
if not people:
    what = f"`{params['cohort_event']}`" if params["cohort_event"] else "anything"
    st.info(f"Nobody in {f.project} did {what} for the first time between {f.date_from} and "
            f"{f.date_to}: there are no cohorts to follow. Try a longer range or another event.")
    components.query_details("retention", params, df, key="retention_empty")
    st.stop()

curve = retention_charts.curve_frame(df)
after_one = curve[curve["period_offset"] == 1]
noun = retention_charts.PERIOD_NOUNS[period].lower()
m1, m2, m3 = st.columns(3)
m1.metric("People in cohorts", formatters.count(people), border=True,
          help="People whose first event (or first cohort event) falls in the range.")
m2.metric(f"Returned the {noun} after", border=True,
          value=formatters.percent(after_one["share"].iloc[0]) if not after_one.empty else "—",
          help=f"Of the people of every cohort that has reached its next {noun}.")
m3.metric("Cohorts", formatters.count(df["cohort"].nunique()), border=True)
cohorts = cohort_starts(f.date_from, f.date_to, period)
if (cohorts[0] < f.date_from
        or add_periods(cohorts[-1], period, 1) - timedelta(days=1) > f.date_to):
    st.caption(f"A cohort {noun} that the range cuts holds only the people whose first event "
               "falls inside the range.")

st.subheader("Cohort table")
components.table(retention_charts.table_frame(df, period), "retention", params,
                 key="retention_table", empty="No cohorts in this range.",
                 column_config={"People": st.column_config.NumberColumn(format="localized")})

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Heatmap")
    components.chart(df, partial(retention_charts.heatmap_chart, period=period), "retention",
                     params, key="retention_heatmap", empty="No cohorts in this range.")
with right:
    st.subheader("Retention curve")
    components.chart(df, partial(retention_charts.curve_chart, period=period), "retention",
                     params, key="retention_curve", empty="No cohorts in this range.")
