"""Overview: the KPIs with their change vs the previous period, then who comes, when and how."""

from __future__ import annotations

from functools import partial

import streamlit as st

from workbench import charts, components, filters, formatters
from workbench.reads import load, prefetch

# KPI rows of the `overview` query, in the order shown. Definitions: docs/metrics.md.
KPIS = [
    ("sessions", "Sessions"),
    ("people", "People (distinct persons)"),
    ("conversion_rate", "Conversion rate"),
    ("identified_people", "Identified people"),
    ("anonymous_people", "Anonymous people"),
    ("avg_duration_s", "Avg session duration"),
]
HELP = {
    "sessions": "Web sessions plus WhatsApp conversations that started in the range.",
    "people": "Distinct persons (stitched across channels) with a session in the range.",
    "identified_people": "People known by a KRA PIN, phone number or email.",
    "anonymous_people": "People known only by an anonymous browser id.",
    "conversion_rate": "Sessions containing a conversion event / sessions.",
    "avg_duration_s": "Mean session duration over all sessions; one-event sessions count 0 s.",
}

f = filters.current()
st.title("Overview")
st.caption(f.describe())
components.model_notice(f.project)

params = f.with_channel()
pages_params = {**f.range(), "limit": 10}
by_params = {by: {**params, "by": by, "limit": 10}
             for by in ("device_type", "browser", "os", "country")}
# Every query of the page at once (the loads below then find them cached).
prefetch([("overview", params), ("dau", params), ("activity_heatmap", params),
          ("traffic_by_journey", params), ("top_pages", pages_params),
          ("duration_histogram", params), *(("breakdown", p) for p in by_params.values())])
kpis = load("overview", params).set_index("metric")
sessions_now = kpis.loc["sessions", "value"] if "sessions" in kpis.index else 0

# Two rows of three: full labels stay readable on a laptop screen.
cells = [c for _ in range(2) for c in st.columns(3)]
for column, (metric, label) in zip(cells, KPIS, strict=True):
    row = kpis.loc[metric]
    column.metric(
        label,
        formatters.kpi(metric, row["value"]),
        delta=formatters.kpi_change(metric, row["change_ratio"], row["change"]),
        help=f"{HELP[metric]} Previous {(f.date_to - f.date_from).days + 1} day(s): "
             f"{formatters.kpi(metric, row['previous'])}.",
        border=True,
    )
components.query_details("overview", params, kpis.reset_index(), key="overview_kpis")

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
                         empty="No web sessions here: devices, browsers and systems describe "
                               "web browsers, not WhatsApp.")

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
