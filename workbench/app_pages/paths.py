"""Paths: the most common sequences of steps in sessions — a Sankey and a table of top paths.

From the session's first step, from a chosen step or up to one, N steps deep (page views are
their page path, other events their name; repeats collapsed; a path ends with its session).
Both views are one named query, `paths`, so `njia query paths` and the API give the same rows.
"""

from __future__ import annotations

import streamlit as st

from metadata.projects import get_project
from workbench import components, filters, formatters, sankey
from workbench.reads import load, prefetch

MODES = {"none": "From the session's start", "start": "Starting at", "end": "Ending at"}
LIMITS = [10, 20, 50, 100]
MIN_SHARE = 0.01  # nodes fewer sessions pass through are the Sankey's "other"

f = filters.current()
st.title("Paths")
st.caption(f.describe() + " · sessions that started in the range, bots excluded")
components.model_notice(f.project)

# --- what to show --------------------------------------------------------------------------
# The steps to choose from: the range's pages (by views) and event names (read at once).
options = [("top_pages", {**f.range(), "limit": 100}), ("events_by_name", f.with_channel())]
prefetch(options)
pages, events = (load(name, params) for name, params in options)
page_labels = [str(p) for p in pages["page"]] if not pages.empty else []
event_labels = sorted({str(e) for e in events["event_name"]} - {"page_view"}
                      ) if not events.empty else []
labels = page_labels + [e for e in event_labels if e not in page_labels]

c1, c2, c3, c4 = st.columns([1.4, 1.6, 1.2, 0.8])
mode = c1.radio("Paths", list(MODES), format_func=MODES.get, key="paths_mode") or "none"
project = get_project(f.project)
conversions = list(project.settings.conversion_events) if project else []
# A sensible first step: the most viewed page to start from, a conversion to end at.
preferred = next((c for c in conversions if c in labels), None) if mode == "end" else None
default = labels.index(preferred) if preferred in labels else 0
label = c2.selectbox("Step", labels, index=default if labels else None, key=f"paths_{mode}",
                     disabled=mode == "none",
                     help="A page path, or an event name: where paths start or end.")
steps = c3.slider("Steps", 2, 10, 5, key="paths_steps",
                  help="How many steps each path has at most (repeats count once).")
limit = c4.selectbox("Top paths", LIMITS, index=1, key="paths_limit")
exclude = st.multiselect(
    "Leave out", labels, key="paths_exclude", placeholder="Steps to leave out of every path",
    help="E.g. `session.start`, `identify` or WhatsApp receipts: left out before repeats are "
         "collapsed, as if they had not happened.")

params: dict[str, object] = {**f.with_channel(), "steps": steps, "limit": limit}
if mode != "none" and label:
    params[mode] = label
if exclude:
    params["exclude"] = ",".join(exclude)
start, end = str(params.get("start", "")), str(params.get("end", ""))

paths = load("paths", params)
if paths.empty:
    anchor = f" that reach `{label}`" if mode != "none" and label else ""
    left_out = " (it is among the steps left out)" if label and label in exclude else ""
    st.info(f"No sessions{anchor}{left_out} started in {f.project} between {f.date_from} and "
            f"{f.date_to} on these channels: widen the dates or pick another step.")
    components.query_details("paths", params, paths, key="paths")
    st.stop()

# --- numbers -------------------------------------------------------------------------------
total = int(paths["sessions"].sum())
converted = int(paths["conversions"].sum())
m1, m2, m3, m4 = st.columns(4)
m1.metric("Sessions", formatters.count(total), border=True,
          help="Sessions that started in the range"
               + (f" and reached `{label}`" if mode != "none" else "") + ".")
m2.metric("Distinct paths", formatters.count(int(paths["paths"].sum())), border=True)
m3.metric("Conversion rate", formatters.percent(converted / total), border=True,
          help=f"{formatters.count(converted)} of these sessions converted "
               f"({', '.join(conversions) or 'no conversion events set'}).")
m4.metric("Most common path", formatters.percent(paths["share"].iloc[0]), border=True,
          help=str(paths["path_text"].iloc[0]))

# --- the flow ------------------------------------------------------------------------------
st.subheader("Flow")
figure = sankey.paths_figure(paths, steps=steps, start=start, end=end, min_share=MIN_SHARE)
st.plotly_chart(figure, key="paths_sankey", config={"displaylogo": False})
other = paths[paths["other"] == 1]
notes = [f"Each column is a step{' before the end step' if end else ''}; a step fewer than "
         f"{MIN_SHARE:.0%} of the sessions pass through is shown as *other*."]
if not other.empty:
    rest = (f"**{formatters.count(int(other['sessions'].iloc[0]))}** sessions on "
            f"{formatters.count(int(other['paths'].iloc[0]))} rarer paths")
    notes.append(f"{rest} are *(other paths)*." if mode != "none" else
                 f"{rest} have no step in common to draw: they are the table's last row.")
st.caption(" ".join(notes))

# --- the table -----------------------------------------------------------------------------
st.subheader("Top paths")
shown = paths[["rank", "path_text", "step_count", "sessions", "share", "conversions",
               "conversion_rate"]].rename(columns={"path_text": "path", "step_count": "steps"})
components.table(
    shown, "paths", params, key="paths", empty="",
    column_config={
        "rank": st.column_config.NumberColumn("#", width="small"),
        "path": st.column_config.TextColumn("path", width="large"),
        "share": st.column_config.NumberColumn("share", format="percent"),
        "conversion_rate": st.column_config.NumberColumn("conversion", format="percent"),
    },
)
