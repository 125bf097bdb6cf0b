"""Overview: the KPIs with their change vs the previous period, then who comes, when and how."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from queries.definitions import definition
from queries.snapshots import OVERVIEW_SOURCE
from workbench import charts, components, filters, formatters, snapshot_trends
from workbench import kpis as kpis_view
from workbench.reads import load, prefetch

# KPI rows of the `overview` query shown per channel filter, in order; labels and tooltips are
# the definitions of queries/definitions/overview.toml (docs/metrics.md).
KPIS = {
    "all": ["sessions", "people", "conversion_rate", "identified_people", "anonymous_people",
            "avg_duration_s"],
    "web": ["sessions", "people", "conversion_rate", "identified_people", "anonymous_people",
            "avg_duration_s"],
    "whatsapp": ["conversations", "people", "resolution_rate", "median_first_response_s",
                 "csat", "identified_people"],
}
# The snapshot trends shown per channel filter (metrics of the Overview's own KPIs).
TRENDS = {"all": ["sessions", "people", "conversion_rate"],
          "web": ["sessions", "people", "conversion_rate"],
          "whatsapp": ["sessions", "people", "whatsapp.median_first_response_s"]}
# Panels that describe web pages and browsers: hidden under WhatsApp, said once.
WEB_ONLY = "Traffic by journey, top pages, devices, browsers and systems"


def show(metric: str, value: object) -> str:
    if metric in formatters.KPI_KINDS:  # the six the hand-computed dataset checks, as before
        return formatters.kpi(metric, value)
    return kpis_view.value_text(definition("overview", metric).format, value)


def change(metric: str, row: pd.Series) -> str | None:
    if metric in formatters.KPI_KINDS:
        return formatters.kpi_change(metric, row["change_ratio"], row["change"])
    return kpis_view.change_text(definition("overview", metric).format, row["change_ratio"],
                                 row["change"])


f = filters.current()
st.title("Overview")
st.caption(f.describe())
components.model_notice(f.project)

params = f.with_channel()
pages_params = {**f.range(), "limit": 10}
by_params = {by: {**params, "by": by, "limit": 10}
             for by in ("device_type", "browser", "os", "country")}
# Every query of the page at once (the loads below then find them cached).
web_panels = f.channel != "whatsapp"
# The WhatsApp cards (conversations, resolution, first response, CSAT) are their own query:
# `overview` keeps its six KPIs.
conversation_params = f.range()
with_conversations = f.channel != "web"
prefetch([("overview", params), ("dau", params), ("activity_heatmap", params),
          *([("overview_conversations", conversation_params)] if with_conversations else []),
          ("duration_histogram", params), ("breakdown", by_params["country"]),
          *([("traffic_by_journey", params), ("top_pages", pages_params),
             *(("breakdown", by_params[by]) for by in ("device_type", "browser", "os"))]
            if web_panels else [])])
overview_rows = load("overview", params)
conversation_rows = (load("overview_conversations", conversation_params) if with_conversations
                     else overview_rows.iloc[0:0])
kpis = pd.concat([overview_rows, conversation_rows]).set_index("metric")
sessions_now = kpis.loc["sessions", "value"] if "sessions" in kpis.index else 0

# Two rows of three: full labels stay readable on a laptop screen.
shown = KPIS[f.channel]
cells = [c for _ in range(2) for c in st.columns(3)]
days = (f.date_to - f.date_from).days + 1
for column, metric in zip(cells, shown, strict=True):
    found = definition("overview", metric)
    row = kpis.loc[metric] if metric in kpis.index else None
    column.metric(
        found.label,
        "—" if row is None else show(metric, row["value"]),
        delta=None if row is None else change(metric, row),
        help=found.help + ("" if row is None else
                           f" Previous {days} day(s): {show(metric, row['previous'])}."),
        delta_color="inverse" if metric == "median_first_response_s" else "normal",
        border=True,
    )
if f.channel == "all":
    conversations = kpis.loc["conversations", "value"]
    web_now = formatters.count(kpis.loc["sessions", "value"] - conversations)
    conversations_now = formatters.count(conversations)
    st.caption(
        f"Under all channels a session is a web session or a WhatsApp conversation: "
        f"{web_now} web sessions + {conversations_now} conversations. People are distinct "
        "persons across both; the conversion rate and the average duration are over both.")
components.query_details("overview", params, overview_rows, key="overview_kpis")
if with_conversations:
    components.query_details("overview_conversations", conversation_params, conversation_rows,
                             key="overview_conversation_kpis")

if not sessions_now:
    st.info(
        f"No sessions in {f.project} between {f.date_from} and {f.date_to} ({f.tz}) for "
        f"{filters.CHANNEL_LABELS[f.channel]} channels: there is no data in this range yet. "
        "Pick a longer range or another channel, or check that events are arriving "
        "(Live feed)."
    )
    st.stop()

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Daily active people")
    dau = load("dau", params)
    components.chart(dau, charts.dau_chart, "dau", params, key="dau",
                     empty="Nobody was active in this range.")
with right:
    st.subheader(f"When sessions start ({f.tz_label})")
    heat = load("activity_heatmap", params)
    components.chart(heat, partial(charts.heatmap_chart, tz_label=f.tz_label),
                     "activity_heatmap", params, key="heatmap",
                     empty="No sessions started in this range.")

if web_panels:
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Traffic by journey")
        journeys = load("traffic_by_journey", params)
        components.chart(
            journeys,
            partial(charts.ranked_bar_chart, category="journey", value="sessions",
                    title="Journey", extra_tooltip=["conversions:Q", "people:Q"]),
            "traffic_by_journey", params, key="journeys",
            empty="No web sessions in this range (journeys are web pages).")
    with right:
        st.subheader("Top pages")
        pages = load("top_pages", pages_params)
        components.chart(
            pages,
            partial(charts.ranked_bar_chart, category="page", value="views",
                    value_title="Page views", extra_tooltip=["sessions:Q", "people:Q"]),
            "top_pages", pages_params, key="pages", empty="No page views in this range.")

    st.subheader("Devices, browsers and systems (web sessions)")
    device_col, browser_col, os_col = st.columns(3, gap="large")
    for column, by, title, build in [
        (device_col, "device_type", "Device", partial(
            charts.donut_chart, category="key", value="sessions", title="Device")),
        (browser_col, "browser", "Browser", partial(
            charts.ranked_bar_chart, category="key", value="sessions", title="Browser")),
        (os_col, "os", "Operating system", partial(
            charts.ranked_bar_chart, category="key", value="sessions", title="OS")),
    ]:
        with column:
            st.markdown(f"**{title}**")
            components.chart(load("breakdown", by_params[by]), build, "breakdown", by_params[by],
                             key=f"by_{by}",
                             empty="No web sessions in this range.")
else:
    st.info(f"{WEB_ONLY} describe the web app; they are hidden under the WhatsApp channel "
            "(pick All or Web to see them).", icon=":material/info:")

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Session duration")
    hist = load("duration_histogram", params)
    components.chart(hist, charts.histogram_chart, "duration_histogram", params, key="hist",
                     empty="No sessions in this range.")
with right:
    st.subheader("Top countries")
    country_params = by_params["country"]
    countries = load("breakdown", country_params)
    components.chart(
        countries,
        partial(charts.ranked_bar_chart, category="key", value="sessions", title="Country",
                extra_tooltip=["people:Q"]),
        "breakdown", country_params, key="countries", empty="No sessions in this range.")

# Trends from the stored snapshots (docs/metrics.md "Snapshots"): each day, week or month
# computed from its own events, with growth vs the period before.
st.subheader("Trends (snapshots)")
period = st.segmented_control("Snapshot period", ["daily", "weekly", "monthly"],
                              default="weekly", key="overview_trend_period",
                              label_visibility="collapsed") or "weekly"
snapshot_trends.render(f.project, TRENDS[f.channel], period, date_from=f.date_from,
                       date_to=f.date_to, source=OVERVIEW_SOURCE[f.channel],
                       key="overview_trends")
