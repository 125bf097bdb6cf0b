"""AI agent: classifications, confidence, latency and errors with their change vs the previous
period, then which intents, how fast, what failed, which classifications were unsure (each
opens the person's journey) and which intents end with an agent.

The AI agent's events are their own channel (`ai`): the sidebar's channel filter does not
change this page. Definitions: queries/definitions/ai.toml (docs/metrics.md "AI agent").
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from metadata.projects import get_project
from workbench import ai_charts, components, filters, formatters, journey_view, kpis
from workbench.reads import load, prefetch

# The `ai` query's KPI rows on cards, in the order shown (generations stay in the query: the
# error rate's tooltip names them).
ORDER = ["classifications", "mean_confidence", "low_confidence_share", "error_rate",
         "latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "errors"]
LOWER_IS_BETTER = ["low_confidence_share", "error_rate", "latency_p50_ms", "latency_p90_ms",
                   "latency_p99_ms", "errors"]
EXAMPLES = 20  # low-confidence examples listed
LINKS = 10  # of which the first people get a journey link

f = filters.current()
st.title("AI agent")
st.caption(f"{f.project} · {formatters.date_span(f.date_from, f.date_to)} ({f.tz_label}) · the "
           "AI agent's own events (`ai.classification`, `ai.generation`, `ai.error`); the "
           "channel filter does not apply here")

params = f.range()
intents_params = {**params, "limit": 15}
escalation_params = {**params, "limit": 15}
types_params = {**params, "limit": 20}
examples_params = {**params, "limit": EXAMPLES}
prefetch([("ai", params), ("ai_intents", intents_params), ("ai_latency_histogram", params),
          ("ai_errors_by_day", params), ("ai_errors_by_type", types_params),
          ("ai_intent_escalation", escalation_params), ("ai_low_confidence", examples_params)])

kpi_rows = load("ai", params)
values = kpi_rows.set_index("metric")["value"]
if not any(values.get(m, 0) for m in ("classifications", "generations", "errors")):
    st.info(
        f"No AI agent events in {f.project} between {f.date_from} and {f.date_to} ({f.tz}): "
        "the CRM webhook sends `ai.classification`, `ai.generation` and `ai.error` as the AI "
        "agent works. Pick a longer range, or check that the webhook is configured (Admin)."
    )
    components.query_details("ai", params, kpi_rows, key="ai_kpis")
    st.stop()

days = (f.date_to - f.date_from).days + 1
kpis.cards("ai", kpi_rows, ORDER, previous_label=f"Previous {days} day(s)",
           lower_is_better=LOWER_IS_BETTER)
components.query_details("ai", params, kpi_rows, key="ai_kpis")

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Top intents")
    intents = load("ai_intents", intents_params)
    components.chart(intents, ai_charts.intents_chart, "ai_intents", intents_params,
                     key="ai_intents", empty="No classifications in this range.")
with right:
    st.subheader("Latency")
    latency = load("ai_latency_histogram", params)
    has_latency = bool(latency["answers"].sum()) if not latency.empty else False
    components.chart(
        latency if has_latency else latency.iloc[0:0],
        partial(ai_charts.latency_histogram_chart,
                caption=ai_charts.percentiles_caption(kpi_rows)),
        "ai_latency_histogram", params, key="ai_latency",
        empty="No answer in this range carries a `latency_ms`.")

left, right = st.columns(2, gap="large")
with left:
    st.subheader(f"Errors by type per day ({f.tz_label})")
    by_day = load("ai_errors_by_day", params)
    components.chart(by_day, ai_charts.errors_by_day_chart, "ai_errors_by_day", params,
                     key="ai_errors_day", empty="No `ai.error` in this range.")
with right:
    st.subheader("Intent → escalation")
    st.caption("WhatsApp conversations started in the range, by their intent (that of the "
               "conversation's first classification naming one), and the share handed to an "
               "agent (`agent.handoff`).")
    escalation = load("ai_intent_escalation", escalation_params)
    components.chart(escalation, ai_charts.escalation_chart, "ai_intent_escalation",
                     escalation_params, key="ai_escalation",
                     empty="No WhatsApp conversation started in this range.")

st.subheader("Errors by type")
by_type = load("ai_errors_by_type", types_params)
components.table(ai_charts.errors_by_type_table(by_type, f.tz), "ai_errors_by_type",
                 types_params, key="ai_errors_type", empty="No `ai.error` in this range.")

st.subheader("Low-confidence classifications")
project = get_project(f.project)
threshold = project.settings.low_confidence_threshold if project else 0.6
st.caption(f"Confidence below {threshold:g}, the project's low-confidence threshold "
           f"(`njia project set {f.project} low_confidence_threshold=…`); the latest first.")
examples = load("ai_low_confidence", examples_params)
components.table(ai_charts.low_confidence_table(examples, f.tz), "ai_low_confidence",
                 examples_params, key="ai_low_confidence",
                 empty="No classification fell below the threshold in this range.")
seen: set[str] = set()
for key, pid in zip(examples["person_key"], examples["person_id"], strict=True):
    if not key or key in seen or len(seen) >= LINKS:
        continue
    seen.add(key)
    journey_view.person_link(f.range_query(), key,
                             f"Journey of {formatters.person(key, pid)}")
