"""WhatsApp: the contact centre's numbers — KPI cards with their change vs the previous period,
what is open right now and who holds it, when messages come, how fast they are answered, how
messages fare, where taxpayers write from, how agents do, how long conversations are, and the
dropped ones (each opens the journey explorer).

Every number is a named query of queries/whatsapp/ (also `njia query whatsapp…` and the API);
definitions in queries/definitions/whatsapp.toml (docs/metrics.md "WhatsApp"). The page always
shows the WhatsApp channel, whatever the sidebar's channel filter says.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import pandas as pd
import streamlit as st

from crm import summary as crm_summary
from queries.definitions import definition
from queries.whatsapp.params import HOURLY_MAX_DAYS
from workbench import (
    charts,
    components,
    filters,
    formatters,
    journey_view,
    kpis,
    snapshot_trends,
)
from workbench import whatsapp_charts as wa
from workbench.reads import load, prefetch

AREA = "whatsapp"
# The cards, in the order shown (the KPI query returns more: they are under "More numbers").
CARDS = ["messages_received", "messages_sent", "delivery_rate", "read_rate",
         "median_first_response_s", "new_contacts", "total_contacts", "open_now", "resolved",
         "dropped", "escalation_rate", "csat_mean"]
MORE = ["messages_delivered", "messages_read", "messages_failed", "failure_rate",
        "reply_rate", "median_response_s", "p90_response_s", "mean_response_s",
        "median_agent_first_response_s", "median_resolution_s", "conversations",
        "bot_resolved", "contact_growth", "csat_satisfied", "csat_responses"]
LOWER_IS_BETTER = {"median_first_response_s", "dropped", "escalation_rate", "messages_failed",
                   "failure_rate", "median_response_s", "p90_response_s", "mean_response_s",
                   "median_agent_first_response_s", "median_resolution_s"}
PER_ROW = 4

f = filters.current()
st.title("WhatsApp")
st.caption(f"{f.project} · {formatters.date_span(f.date_from, f.date_to)} ({f.tz_label}) · "
           "WhatsApp conversations and messages from the CRM's webhook")
components.model_notice(f.project)

params = f.range()
live_params = {"project": f.project}
list_params = {**params, "limit": 100}
prefetch([("whatsapp", params), ("whatsapp_volume", params), ("whatsapp_heatmap", params),
          ("whatsapp_response_histogram", params), ("whatsapp_funnel", params),
          ("whatsapp_countries", params), ("whatsapp_agents", params),
          ("whatsapp_lengths", params), ("whatsapp_dropped", list_params)])

days = (f.date_to - f.date_from).days + 1
previous_label = f"Previous {days} day(s)"
kpi_frame = load("whatsapp", params)
rows = kpi_frame.set_index("metric")

# Total contacts: the CRM's count when an integration answers, else the events'; the card says
# which.
crm_total = crm_summary.total_contacts(f.project)
total_def = definition(AREA, "total_contacts")
if crm_total is not None:
    total_def = dataclasses.replace(
        total_def, label=f"{total_def.label} (CRM)",
        help=f"The CRM's contact count now (its contact list), whatever the range. From the "
             f"events ({total_def.help}): "
             f"{kpis.value_text('count', rows.loc['total_contacts', 'value'])}.")
    total_row = pd.Series({"value": crm_total})
else:
    total_def = dataclasses.replace(total_def, label=f"{total_def.label} (events)")
    total_row = rows.loc["total_contacts"] if "total_contacts" in rows.index else None


def card_row(metrics: list[str]) -> None:
    """Cards `PER_ROW` to a row; the definitions give label, format and tooltip."""
    for start in range(0, len(metrics), PER_ROW):
        columns = st.columns(PER_ROW)
        for column, metric in zip(columns, metrics[start:start + PER_ROW], strict=False):
            if metric == "total_contacts":
                kpis.card(column, total_def, total_row, previous_label)
                continue
            row = rows.loc[metric] if metric in rows.index else None
            kpis.card(column, definition(AREA, metric), row, previous_label,
                      lower_is_better=metric in LOWER_IS_BETTER)


card_row(CARDS)
with st.expander("More numbers"):
    card_row(MORE)
components.query_details("whatsapp", params, kpi_frame, key="wa_kpis")

if not rows.loc["conversations", "value"] and not rows.loc["messages_sent", "value"] \
        and not rows.loc["messages_received", "value"]:
    st.info(f"No WhatsApp messages in {f.project} between {f.date_from} and {f.date_to} "
            f"({f.tz}): the CRM's webhook has sent nothing for this range yet. Pick a longer "
            "range, or check the Live feed.")

# --- right now -----------------------------------------------------------------------------
st.subheader("Right now")
st.caption("Open = the last message (either direction) within the conversation timeout and no "
           "`chat.resolved` — Njia's definition from the events, which may differ from the "
           "CRM's inbox. Held by = the conversation's last `chat.assigned`.")
left, right = st.columns([3, 2], gap="large")
with left:
    open_now = load("whatsapp_open", live_params)
    shown_open = pd.DataFrame({
        "last message": open_now["last_message_at"].map(lambda v: formatters.local_time(v, f.tz)),
        "idle": open_now["idle_s"].map(formatters.duration),
        "waiting for a reply": open_now["waiting"].astype(bool),
        "held by": open_now["agent_id"].replace("", "unassigned"),
        "person": [formatters.person(k, p) for k, p in
                   zip(open_now["person_key"], open_now["person_id"], strict=True)],
        "conversation": open_now["session_id"],
    })
    components.table(shown_open, "whatsapp_open", live_params, key="wa_open",
                     empty="No conversation is open right now.")
with right:
    workload = load("whatsapp_workload", live_params)
    components.chart(workload, wa.workload_chart, "whatsapp_workload", live_params,
                     key="wa_workload", empty="No agent holds an open conversation right now.")

# --- when ----------------------------------------------------------------------------------
left, right = st.columns(2, gap="large")
with left:
    hourly = days <= HOURLY_MAX_DAYS
    st.subheader("Volume by hour" if hourly else "Volume by day")
    volume = load("whatsapp_volume", params)
    components.chart(volume, partial(wa.volume_chart, tz_label=f.tz_label, hourly=hourly),
                     "whatsapp_volume", params, key="wa_volume",
                     empty="No messages in this range.")
with right:
    st.subheader(f"When taxpayers write ({f.tz_label})")
    heat = load("whatsapp_heatmap", params)
    components.chart(heat, partial(wa.heatmap_chart, tz_label=f.tz_label), "whatsapp_heatmap",
                     params, key="wa_heatmap", empty="No messages in this range.")

# --- how fast, how messages fare ---------------------------------------------------------------
left, right = st.columns(2, gap="large")
with left:
    st.subheader("Response time")
    hist = load("whatsapp_response_histogram", params)
    # All buckets come back, empty ones too: no responses at all is "nothing to show".
    components.chart(hist if hist["responses"].sum() else hist.iloc[0:0],
                     wa.response_histogram_chart,
                     "whatsapp_response_histogram", params, key="wa_response",
                     empty="No inbound message in this range got a reply.")
with right:
    st.subheader("Message funnel")
    funnel = load("whatsapp_funnel", params)
    components.chart(funnel if funnel["messages"].sum() else funnel.iloc[0:0],
                     wa.funnel_chart, "whatsapp_funnel", params, key="wa_funnel",
                     empty="No messages were sent in this range.")

# --- who, how long ---------------------------------------------------------------------------
left, right = st.columns(2, gap="large")
with left:
    st.subheader("Countries")
    countries = load("whatsapp_countries", params)
    components.chart(
        countries,
        partial(charts.ranked_bar_chart, category="country", value="conversations",
                title="Country", value_title="Conversations",
                extra_tooltip=["people:Q", "resolved:Q", "dropped:Q"]),
        "whatsapp_countries", params, key="wa_countries",
        empty="No conversations started in this range.")
with right:
    st.subheader("Conversation length")
    lengths = load("whatsapp_lengths", params)
    components.chart(lengths if lengths["conversations"].sum() else lengths.iloc[0:0],
                     wa.lengths_chart, "whatsapp_lengths", params, key="wa_lengths",
                     empty="No conversations started in this range.")

st.subheader("Agents")
st.caption("Conversations started in the range. Assigned: conversations assigned to the agent "
           "(`chat.assigned`); first response: from the agent's first assignment to their "
           "first message after it. Resolved, resolution time and CSAT go to the agent holding "
           "the conversation at the end (its last assignment).")
agents = load("whatsapp_agents", params)
components.table(
    agents, "whatsapp_agents", params, key="wa_agents",
    empty="No conversation started in this range was assigned to an agent.",
    column_config={
        "agent_id": st.column_config.TextColumn("Agent"),
        "assigned": st.column_config.NumberColumn("Assigned"),
        "held_at_end": st.column_config.NumberColumn("Held at the end"),
        "resolved": st.column_config.NumberColumn("Resolved"),
        "median_first_response_s": st.column_config.NumberColumn(
            "Median first response (s)", format="%.1f"),
        "median_resolution_s": st.column_config.NumberColumn(
            "Median resolution (s)", format="%.1f"),
        "csat_mean": st.column_config.NumberColumn("CSAT", format="%.2f"),
        "csat_responses": st.column_config.NumberColumn("CSAT responses"),
    })

# Trends from the stored snapshots (docs/metrics.md "Snapshots"): each day, week or month from
# its own events, with growth vs the period before.
st.subheader("Trends (snapshots)")
period = st.segmented_control("Snapshot period", ["daily", "weekly", "monthly"],
                              default="weekly", key="whatsapp_trend_period",
                              label_visibility="collapsed") or "weekly"
snapshot_trends.render(f.project, ["conversations", "messages_received", "resolved",
                                   "median_first_response_s", "escalation_rate", "csat_mean"],
                       period, date_from=f.date_from, date_to=f.date_to, source="whatsapp",
                       key="whatsapp_trends")

st.subheader("Dropped conversations")
st.caption("At least one inbound message, no `chat.resolved`, and the last inbound message got "
           "no reply before the conversation's timeout (latest first).")
dropped = load("whatsapp_dropped", list_params)
if dropped.empty:
    st.info("No conversation that started in this range was dropped.")
else:
    shown = pd.DataFrame({
        "started": dropped["start"].map(lambda v: formatters.local_time(v, f.tz)),
        "last inbound": dropped["last_inbound_at"].map(lambda v: formatters.local_time(v, f.tz)),
        "person": [formatters.person(k, p) for k, p in
                   zip(dropped["person_key"], dropped["person_id"], strict=True)],
        "inbound": dropped["inbound"],
        "outbound": dropped["outbound"],
        "handed off": dropped["handed_off"].astype(bool),
        "held by": dropped["agent_id"],
        "service": dropped["service_name"],
        "conversation": dropped["session_id"],
    })
    st.dataframe(shown, hide_index=True, width="stretch", key="wa_dropped_table")
    for who, key, sid in list(zip(shown["person"], dropped["person_key"], dropped["session_id"],
                                  strict=True))[:10]:
        journey_view.person_link(f.range_query(), key, f"Journey of {who} · {sid}")
components.query_details("whatsapp_dropped", list_params, dropped, key="wa_dropped")
