"""Overview: live event counts by day and by event name."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from config.metadata.projects import list_projects
from workbench.charts import events_by_day_chart, events_by_name_chart
from workbench.data import load

st.title("Overview")
projects = [p.project_id for p in list_projects()]
if not projects:
    st.info("No project yet: create one with `njia project create NAME`.")
    st.stop()
project = st.sidebar.selectbox("Project", projects)
today = date.today()
start, end = st.sidebar.date_input("Dates", (today - timedelta(days=6), today))
params = {"project": project, "from": start, "to": end}
with st.spinner("Loading…"):
    by_day = load("events_by_day", params)
    by_name = load("events_by_name", params)
if by_day.empty:
    st.info(f"No events for {project} between {start} and {end}.")
    st.stop()
st.metric("Events", int(by_day["events"].sum()))
st.altair_chart(events_by_day_chart(by_day), use_container_width=True)
st.altair_chart(events_by_name_chart(by_name), use_container_width=True)
