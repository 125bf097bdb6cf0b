"""The Campaigns page's table and charts: pure functions of the `campaigns` query's frame (one row
per campaign_id) and of the CRM's campaigns when an integration gave them — nothing here reads
state or data. Kept apart from charts.py, which other pages share.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt
import pandas as pd

from workbench.charts import ACCENT, ERROR, HEIGHT
from workbench.formatters import count

RATES = {"delivery_rate": "Delivery", "read_rate": "Read", "reply_rate": "Reply",
         "failure_rate": "Failure"}
RATE_COLORS = ["#2563eb", "#16a34a", "#f59e0b", ERROR]
STAGES = {"sent": "Sent", "delivered": "Delivered", "read": "Read", "replied": "Replied"}
STAGE_COLORS = ["#94a3b8", "#2563eb", "#16a34a", "#f59e0b"]
NO_STATUS = "—"


def _text(value: Any) -> str:
    # None, NaN or pd.NA (a campaign without a campaign.sent event has no name): no text.
    return "" if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)) \
        else str(value)


def with_crm(df: pd.DataFrame, crm: Mapping[str, Any] | None, tz: str) -> pd.DataFrame:
    """The table: the query's rows with the name and status to show.

    The name is the CRM's when the integration knows the campaign, else the one its
    `campaign.sent` event carries, else the campaign_id; the status only the CRM knows (—
    without it). `label` names a campaign in the charts: its name and send date, unique.
    """
    out = df.copy()
    crm = crm or {}
    event_names = out["name"].map(_text) if "name" in out else pd.Series("", index=out.index)
    out["name"] = [
        (crm[cid].name if cid in crm else "") or event_name or cid
        for cid, event_name in zip(out["campaign_id"], event_names, strict=True)]
    out["status"] = [crm[cid].status if cid in crm else NO_STATUS for cid in out["campaign_id"]]
    # Naive UTC from the warehouse (utc=True also takes an aware or ISO value, as the CLI's).
    local = pd.to_datetime(out["first_sent"], utc=True).dt.tz_convert(tz)
    out["sent_on"] = local.dt.strftime("%Y-%m-%d %H:%M")
    label = out["name"] + " · " + local.dt.strftime("%-d %b")
    clash = label.duplicated(keep=False)
    out["label"] = label.where(~clash, label + " · " + out["campaign_id"])
    first = ["campaign_id", "name", "status", "sent_on"]
    return out[first + [c for c in out.columns if c not in first]]


def _order(df: pd.DataFrame) -> list[str]:
    # The table's order (newest first) in every chart.
    return list(df["label"])


def rates_chart(df: pd.DataFrame) -> alt.Chart:
    """Grouped bars: each campaign's delivery, read, reply and failure rates (%)."""
    long = df.melt(id_vars=["label"], value_vars=list(RATES), var_name="rate",
                   value_name="percent")
    long["rate"] = long["rate"].map(RATES)
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y("label:N", title=None, sort=_order(df), axis=alt.Axis(labelLimit=260)),
        yOffset=alt.YOffset("rate:N", sort=list(RATES.values())),
        x=alt.X("percent:Q", title="%", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("rate:N", title="Rate", sort=list(RATES.values()),
                        scale=alt.Scale(domain=list(RATES.values()), range=RATE_COLORS)),
        tooltip=["label:N", "rate:N", alt.Tooltip("percent:Q", format=".2f")],
    ).properties(height=max(HEIGHT, 70 * len(df)))


def funnel_chart(df: pd.DataFrame) -> alt.Chart:
    """Grouped bars: each campaign's sent → delivered → read messages → replied recipients."""
    long = df.melt(id_vars=["label"], value_vars=list(STAGES), var_name="stage",
                   value_name="count")
    long["stage"] = long["stage"].map(STAGES)
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y("label:N", title=None, sort=_order(df), axis=alt.Axis(labelLimit=260)),
        yOffset=alt.YOffset("stage:N", sort=list(STAGES.values())),
        x=alt.X("count:Q", title="Messages (replied: recipients)"),
        color=alt.Color("stage:N", title=None, sort=list(STAGES.values()),
                        scale=alt.Scale(domain=list(STAGES.values()), range=STAGE_COLORS)),
        tooltip=["label:N", "stage:N", alt.Tooltip("count:Q", format=",")],
    ).properties(height=max(HEIGHT, 70 * len(df)))


def score_chart(df: pd.DataFrame) -> alt.Chart:
    """The campaign score (0–100) per campaign, best first, with its value at the bar's end."""
    base = alt.Chart(df).encode(
        y=alt.Y("label:N", title=None, sort="-x", axis=alt.Axis(labelLimit=260)),
        x=alt.X("score:Q", title="Score (0–100)", scale=alt.Scale(domain=[0, 100])),
        tooltip=["label:N", alt.Tooltip("score:Q", format=".2f"), "status:N"],
    )
    bars = base.mark_bar(color=ACCENT)
    values = base.mark_text(align="left", dx=4).encode(text=alt.Text("score:Q", format=".2f"))
    # A fixed step per campaign: a height shared by all would hide every other label.
    return (bars + values).properties(height=alt.Step(30))


def crm_comparison(row: pd.Series, report: Any) -> pd.DataFrame:
    """Njia's counts for one campaign beside the CRM's own report (different definitions: the
    CRM counts its whole campaign with its own reply rule; Njia the range's messages). Text
    cells: the CRM's delivery rate is its own string ("98%")."""
    metrics = report.metrics
    ours = [row["recipients"], row["delivered"], row["read"], row["replied"], row["failed"]]
    theirs = [metrics.total_recipients, metrics.delivered, metrics.read, metrics.replied,
              metrics.failed]
    return pd.DataFrame({
        "metric": ["Recipients", "Delivered", "Read", "Replied", "Failed", "Delivery rate"],
        "njia": [count(v) for v in ours] + [f"{float(row['delivery_rate']):.2f} %"],
        "crm": [count(v) for v in theirs] + [report.delivery_rate],
    })
