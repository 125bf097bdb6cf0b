"""Campaigns: recipients, delivery, reads, replies and failures per campaign_id.

`NAMED` lists this area's named queries; queries/catalog.py adds them to the catalog. The SQL
is queries/sql/campaigns.sql (the per-campaign table) and campaigns_kpis.sql (the totals with
the previous period); the definitions, the score's formula included, are in
queries/definitions/campaigns.toml. The CRM's names and statuses of campaigns come from the
crm package, never from these queries (they need no CRM).
"""

from __future__ import annotations

from queries.campaigns.params import CampaignKpiParams, CampaignParams
from queries.named import NamedQuery

# The score's weights (its formula is in queries/sql/campaigns.sql and campaigns.toml; the
# Campaigns page shows these).
SCORE_WEIGHTS = {"delivery_rate": 0.3, "read_rate": 0.3, "reply_rate": 0.4,
                 "failure_rate": -0.2}

_Q = NamedQuery
NAMED: list[NamedQuery] = [
    _Q("campaigns", CampaignParams,
       "Campaigns with messages sent in the range, one row per campaign_id: name (from "
       "campaign.sent), recipients, sent, delivered, read, replied (within the attribution "
       "window), failed, delivery/read/reply/failure rates and the campaign score"),
    _Q("campaigns_kpis", CampaignKpiParams,
       "Campaign KPIs with the previous period, one row per metric: campaigns, recipients, "
       "sent, delivered, read, replied, failed and the four rates"),
]


def score(delivery_rate: float, read_rate: float, reply_rate: float,
          failure_rate: float) -> float:
    """The campaign score (0–100) from rates in percent — the SQL's formula, for checks."""
    raw = sum(weight * value for weight, value in zip(
        SCORE_WEIGHTS.values(), (delivery_rate, read_rate, reply_rate, failure_rate),
        strict=True))
    return round(max(0.0, min(100.0, raw)), 2)
