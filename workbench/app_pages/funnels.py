"""Funnels: build one (steps from the event catalog, filters, window, order, unit, breakdown,
exclusion), start from a journey's preset or a saved funnel, share it by its link, and see who
dropped at a step and what they did next.

The numbers are the `funnel` named query's (also `njia query funnel`, the API); the definition
logic is workbench/funnel_builder.py, the charts workbench/funnel_charts.py.
"""

from __future__ import annotations

import json
from functools import partial

import streamlit as st

from metadata import funnels as saved
from metadata.projects import ProjectError
from queries.funnel.params import BREAKDOWNS, COLUMNS, window_label
from queries.funnel.presets import presets
from workbench import auth, components, filters, formatters, journey_view
from workbench import funnel_builder as fb
from workbench import funnel_charts as charts
from workbench.reads import load, principal

SOURCE, REV = "funnel_source", "funnel_rev"
UNITS = {"minutes": 60, "hours": 3600, "days": 86400}

f = filters.current()
me = auth.current_user()
who = principal()
st.title("Funnels")
st.caption(f"{f.project} · people who enter at step 1 between "
           f"{formatters.date_span(f.date_from, f.date_to)} ({f.tz_label}), each followed for "
           "the whole window, across web, WhatsApp and the AI agent")
components.model_notice(f.project)

# --- where the funnel comes from: a journey's preset, a saved funnel, or the link -----------
journey_presets = presets()
saved_funnels = {str(s.id): s for s in saved.list_funnels(who, f.project)}
sources = [*(f"journey:{j}" for j in journey_presets), *(f"saved:{i}" for i in saved_funnels),
           "custom"]


def source_label(source: str) -> str:
    kind, _, ident = source.partition(":")
    if kind == "journey":
        return f"Preset · {journey_presets[ident][0]}"
    if kind == "saved":
        s = saved_funnels[ident]
        return f"Saved · {s.name} ({s.owner})"
    return "Custom (from the link or edited)"


def definition_of(source: str) -> dict:
    kind, _, ident = source.partition(":")
    if kind == "journey":
        return fb.preset_definition(ident)
    if kind == "saved":
        return {**fb.DEFAULTS, **saved_funnels[ident].definition}
    return st.session_state.get("funnel_custom") or fb.preset_definition(next(iter(
        journey_presets)))


if SOURCE not in st.session_state:  # first run: what the link names
    qp = st.query_params
    start = f"journey:{next(iter(journey_presets))}"
    if qp.get("saved") and str(qp["saved"]) in saved_funnels:
        start = f"saved:{qp['saved']}"
    elif qp.get("journey") and str(qp["journey"]) in journey_presets:
        start = f"journey:{qp['journey']}"
    elif qp.get("funnel"):
        try:
            st.session_state["funnel_custom"] = fb.parse_definition(str(qp["funnel"]))
            start = "custom"
        except ValueError as exc:
            st.warning(f"{exc}; showing a preset instead.")
    st.session_state[SOURCE] = start
    st.session_state[REV] = 0


def source_changed() -> None:
    st.session_state[REV] = st.session_state.get(REV, 0) + 1


source = st.selectbox("Funnel", sources, key=SOURCE, format_func=source_label,
                      on_change=source_changed)
base = definition_of(source)
rev = st.session_state[REV]

# --- the steps: an editable table (event from the catalog, one filter, an optional label) ---
catalog = load("events_by_name", f.with_channel("all"))
names = sorted(set(catalog["event_name"])) if not catalog.empty else []
channels_of = catalog.groupby("event_name")["channel"].apply(set).to_dict() \
    if not catalog.empty else {}
step_events = [s["event"] for s in base["steps"]]
prop_keys: list[str] = []
for event in dict.fromkeys(step_events):
    props = load("event_properties", {**f.range(), "event": event, "limit": 50})
    prop_keys += [] if props.empty else list(props["key"])

st.markdown("**Steps** — 2 to 20; add a row for a step, pick its event, and optionally one "
            "filter (an event column such as `page_path`, or a property).")
edited = st.data_editor(
    fb.steps_frame(base["steps"]), key=f"funnel_steps_{source}_{rev}", num_rows="dynamic",
    hide_index=False, width="stretch",
    column_config={
        "event": st.column_config.SelectboxColumn(
            "Event", options=sorted(set(names) | set(step_events)), required=True),
        "filter_key": st.column_config.SelectboxColumn(
            "Filter on", options=fb.filter_keys(sorted(set(prop_keys)))),
        "op": st.column_config.SelectboxColumn("Op", options=fb.OPS),
        "value": st.column_config.TextColumn("Value", help="for `in`: values separated by "
                                                             "commas"),
        "label": st.column_config.TextColumn("Label (optional)"),
    })
steps = fb.frame_steps(edited)

# --- options ---------------------------------------------------------------------------------
window_s = int(base["window"])
unit = next(u for u in ("days", "hours", "minutes") if window_s % UNITS[u] == 0)
c1, c2, c3, c4, c5, c6 = st.columns([0.8, 0.9, 1, 1, 1.3, 1.6])
amount = c1.number_input("Window", min_value=1, value=window_s // UNITS[unit],
                         key=f"funnel_window_{source}_{rev}")
unit = c2.selectbox("Unit", list(UNITS), index=list(UNITS).index(unit),
                    key=f"funnel_unit_{source}_{rev}")
orders = ["ordered", "strict", "any"]
order = c3.selectbox("Order", orders, index=orders.index(base["order"]),
                     key=f"funnel_order_{source}_{rev}",
                     help="ordered: other events may come between steps · strict: none may · "
                          "any: the steps in any order")
count_by = c4.selectbox("Count", ["person", "session"],
                        index=["person", "session"].index(base["count_by"]),
                        key=f"funnel_count_{source}_{rev}",
                        help="person: across channels (identity stitching) · session: within "
                             "one web session or WhatsApp conversation")
first_props: list[str] = []
if steps:
    first = load("event_properties", {**f.range(), "event": steps[0]["event"], "limit": 50})
    first_props = [] if first.empty else list(first["key"])
breakdowns = ["", *BREAKDOWNS, *(f"prop:{k}" for k in first_props if k not in COLUMNS)]
if base.get("breakdown") and base["breakdown"] not in breakdowns:
    breakdowns.append(base["breakdown"])
breakdown = c5.selectbox("Breakdown (value at step 1)", breakdowns,
                         index=breakdowns.index(base.get("breakdown") or ""),
                         format_func=lambda v: v or "none", key=f"funnel_bd_{source}_{rev}")
excl = base.get("exclusion") or {}
excl_events = ["", *names]
excl_event = c6.selectbox("Exclude who does (between steps)", excl_events,
                          index=excl_events.index(excl.get("step", {}).get("event", ""))
                          if excl.get("step", {}).get("event", "") in excl_events else 0,
                          format_func=lambda v: v or "nobody",
                          key=f"funnel_ex_{source}_{rev}")
exclusion = None
if excl_event:
    e1, e2, _ = st.columns([1, 1, 4])
    top = max(len(steps), 2)
    ex_from = e1.number_input("after step", 1, top - 1, min(excl.get("from", 1), top - 1),
                              key=f"funnel_exf_{source}_{rev}")
    ex_to = e2.number_input("before step", 2, top, min(max(excl.get("to", 2), ex_from + 1), top),
                            key=f"funnel_ext_{source}_{rev}")
    exclusion = {"step": {"event": excl_event}, "from": int(ex_from), "to": int(ex_to)}

definition = {"steps": steps, "window": int(amount) * UNITS[unit], "order": order,
              "count_by": count_by, "breakdown": breakdown, "exclusion": exclusion}
problem = fb.check(f.range(), definition)
if problem:
    st.warning(f"This funnel cannot run yet — {problem}.")
    st.stop()

# The link reopens this funnel: its preset or saved id while unchanged, else the definition.
for key in ("journey", "saved", "funnel"):
    st.query_params.pop(key, None)
kind, _, ident = source.partition(":")
if kind != "custom" and definition == {**fb.DEFAULTS, **base}:
    st.query_params[kind] = ident
else:
    st.query_params["funnel"] = json.dumps(definition, separators=(",", ":"))

# --- the funnel --------------------------------------------------------------------------------
params = fb.query_params(f.range(), definition)
df = load("funnel", params)
if df.empty:
    st.info(f"Nobody did step 1 ({fb.describe_step(steps[0])}) between {f.date_from} and "
            f"{f.date_to}: nobody entered this funnel.")
    components.query_details("funnel", params, df, key="funnel")
    st.stop()

spans = {c for s in steps for c in channels_of.get(s["event"], set())}
if count_by == "session" and len(spans & {"web", "whatsapp", "ai", "server"}) > 1:
    st.warning(f"The steps happen on several channels ({', '.join(sorted(spans))}). A session "
               "is one channel's, so a session cannot convert past a change of channel: "
               "count by person to follow people across channels.")

overall = df if not breakdown else df.groupby("step", as_index=False).agg(
    event=("event", "first"), count=("count", "sum"))
entered = int(overall[overall["step"] == 1]["count"].sum())
completed = int(overall[overall["step"] == overall["step"].max()]["count"].sum())
unit_word = "people" if count_by == "person" else "sessions"
m1, m2, m3, m4 = st.columns(4)
m1.metric(f"Entered ({unit_word})", formatters.count(entered), border=True)
m2.metric("Completed", formatters.count(completed), border=True)
m3.metric("Conversion", formatters.percent(completed / entered if entered else 0), border=True)
m4.metric("Window", window_label(definition["window"]), border=True,
          help=f"{order} order, counted by {count_by}")

if not breakdown:
    components.chart(df, charts.funnel_chart, "funnel", params, key="funnel",
                     empty="Nobody entered this funnel.")
else:
    st.subheader(f"By {breakdown.removeprefix('prop:')} (its value at step 1)")
    components.chart(df, partial(charts.breakdown_chart, top=8), "funnel", params,
                     key="funnel", empty="Nobody entered this funnel.")
table = df.assign(
    pct_of_first=df["pct_of_first"].map(formatters.percent),
    pct_of_previous=df["pct_of_previous"].map(formatters.percent),
    median=df["median_s"].map(formatters.duration),
    mean=df["mean_s"].map(formatters.duration),
).drop(columns=["median_s", "mean_s"])
st.dataframe(table, hide_index=True, width="stretch", key="funnel_table")

# --- drill-down: who dropped before a step, and what they did next ---------------------------
st.subheader("Who dropped, and what they did next")
labels = {i + 1: f"{i + 1}. {fb.describe_step(s)}" for i, s in enumerate(steps)}
at = st.selectbox("Dropped before step", list(labels)[1:], format_func=labels.get,
                  key="funnel_drill_step")
drill = {**params, "step": at, "limit": 100}
left, right = st.columns(2, gap="large")
with left:
    dropped = load("funnel_dropped", drill)
    st.caption(f"Reached step {at - 1} but not step {at} within the window "
               "(the 100 who entered last)")
    if dropped.empty:
        st.info("Nobody dropped before this step.")
    else:
        shown = dropped.assign(
            entered=dropped["entered"].map(lambda v: formatters.local_time(v, f.tz)),
            last_step_at=dropped["last_step_at"].map(lambda v: formatters.local_time(v, f.tz)))
        st.dataframe(shown, hide_index=True, width="stretch", key="funnel_dropped_table")
        for pid in list(dict.fromkeys(dropped["person_id"]))[:8]:
            journey_view.person_link(f.range_query(), pid, f"Journey of {pid}")
    components.query_details("funnel_dropped", drill, dropped, key="funnel_dropped")
with right:
    nxt = load("funnel_next", drill)
    st.caption("Their next events on any channel, after the last step they reached and within "
               "the window")
    components.chart(nxt, charts.next_events_chart, "funnel_next", drill, key="funnel_next",
                     empty="They did nothing else within the window.")

# --- save -------------------------------------------------------------------------------------
with st.expander("Save this funnel"):
    name = st.text_input("Name", value=saved_funnels[ident].name if kind == "saved" else "",
                         key="funnel_save_name", max_chars=200)
    if st.button("Save", key="funnel_save"):
        try:
            s = saved.save_funnel(who, f.project, name, definition,
                                  is_admin=bool(me and me.is_admin))
        except ProjectError as exc:
            st.error(str(exc))
        else:
            st.success(f"Saved as {s.name!r}: its link opens it for anyone with access to "
                       f"{f.project}.")
            st.query_params.pop("funnel", None)
            st.query_params["saved"] = str(s.id)
