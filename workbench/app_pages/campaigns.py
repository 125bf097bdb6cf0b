"""Campaigns: per campaign_id, recipients, sent, delivered, read, replied, failed, the rates and
the campaign score, from the campaign's own events (docs/metrics.md "Campaigns"); names and
statuses from the CRM when the project has an integration (Admin → CRM), else the name the
`campaign.sent` event carries. The CRM is never needed for the numbers.
"""

from __future__ import annotations

import streamlit as st

from crm import summary
from queries.campaigns import SCORE_WEIGHTS
from queries.definitions import area
from workbench import campaign_charts, components, filters, formatters, kpis
from workbench.reads import load, prefetch

f = filters.current()
defs = area("campaigns")
st.title("Campaigns")
# Campaigns are WhatsApp whatever the sidebar's channel: say what is counted instead.
st.caption(f"{f.project} · {formatters.date_span(f.date_from, f.date_to)} ({f.tz_label}) · "
           "campaign messages (`message.sent` with a `campaign_id`) sent in the range")

params = f.range()
prefetch([("campaigns_kpis", params), ("campaigns", params)])
table = load("campaigns", params)
if table.empty:
    st.info(
        f"No campaign messages sent in {f.project} between {f.date_from} and {f.date_to}. A "
        "campaign's messages are the CRM's `message.sent` webhooks that carry a `campaign_id` "
        "(and its `campaign.sent` event names it).")
    components.query_details("campaigns", params, table, key="campaigns")
    st.stop()

totals = load("campaigns_kpis", params)
kpis.cards("campaigns", totals,
           ["campaigns", "recipients", "sent", "replied",
            "delivery_rate", "read_rate", "reply_rate", "failure_rate"],
           previous_label="Previous period", lower_is_better=["failure_rate"])
components.query_details("campaigns_kpis", params, totals, key="campaigns_kpis")

# Names and statuses from the CRM (cached in crm.summary: a rerun does not call it).
crm = summary.campaign_lookup(f.project)
if not crm.configured:
    st.caption("Names from the campaigns' `campaign.sent` events; statuses need the CRM "
               "(an administrator connects it on the Admin page).")
elif crm.error:
    st.warning(f"The CRM did not answer, so names come from the events and statuses are "
               f"missing: {crm.error}")
else:
    st.caption(f"Names and statuses from the CRM ({len(crm.value)} campaigns there).")

shown = campaign_charts.with_crm(table, crm.value, f.tz)
st.subheader("Per campaign")


def _num(key: str, **kw: object) -> st.column_config.NumberColumn:
    found = defs.metrics[key]
    return st.column_config.NumberColumn(found.label, help=found.help, **kw)


components.table(
    shown.drop(columns=["label"]), "campaigns", params, key="campaigns",
    empty="No campaigns in this range.",
    column_config={
        "campaign_id": st.column_config.TextColumn("Campaign id"),
        "name": st.column_config.TextColumn("Campaign"),
        "status": st.column_config.TextColumn(
            "Status", help="The CRM's status (draft, scheduled, active, completed)."),
        "sent_on": st.column_config.TextColumn(f"First sent ({f.tz_label})"),
        "first_sent": None, "last_sent": None,
        **{key: _num(key) for key in ("announced_recipients", "recipients", "sent",
                                      "delivered", "read", "replied", "failed")},
        **{key: _num(key, format="%.2f %%") for key in (
            "delivery_rate", "read_rate", "reply_rate", "failure_rate")},
        "score": st.column_config.ProgressColumn(
            defs.metrics["score"].label, help=defs.metrics["score"].help, format="%.2f",
            min_value=0, max_value=100),
    })

st.subheader("Comparison")
left, right = st.columns(2, gap="large")
with left:
    st.caption("Rates per campaign (%)")
    components.chart(shown, campaign_charts.rates_chart, "campaigns", params,
                     key="campaigns_rates", empty="No campaigns in this range.")
with right:
    st.caption("Sent → delivered → read messages, and recipients who replied")
    components.chart(shown, campaign_charts.funnel_chart, "campaigns", params,
                     key="campaigns_funnel", empty="No campaigns in this range.")

st.subheader("Campaign score")
weights = " + ".join(f"{w:g} × {k.removesuffix('_rate')}" for k, w in SCORE_WEIGHTS.items()
                     if w > 0)
st.caption(f"0–100 = {weights} rate − {-SCORE_WEIGHTS['failure_rate']:g} × failure rate "
           "(the seeds name the score but give no weights: these are Njia's).")
components.chart(shown, campaign_charts.score_chart, "campaigns", params, key="campaigns_score",
                 empty="No campaigns in this range.")

if crm.configured and not crm.error:
    st.subheader("The CRM's own report")
    st.caption("The CRM reports a whole campaign by its own rules (its reply window, its "
               "delivery rate); Njia counts the messages sent in the range from the events.")
    labels = dict(zip(shown["campaign_id"], shown["label"], strict=True))
    picked = st.selectbox("Campaign", list(labels), format_func=labels.__getitem__,
                          key="campaigns_crm_report")
    report = summary.report_lookup(f.project, picked)
    if report.error:
        st.warning(f"No report from the CRM for {picked}: {report.error}")
    elif report.value is not None:
        row = shown.set_index("campaign_id").loc[picked]
        st.dataframe(campaign_charts.crm_comparison(row, report.value), hide_index=True,
                     width="stretch", key="campaigns_crm_table")
