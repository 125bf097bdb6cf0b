"""Parameter models of the campaign queries (definitions: docs/metrics.md "Campaigns").

A caller gives the project and the range; the attribution window is the project's setting
`campaign_attribution_seconds` (default 24 h), bound here so the page, `njia query` and the API
always use the same one.
"""

from __future__ import annotations

from typing import Any

from metadata.projects import ProjectSettings
from queries.params import RangeParams
from queries.timerange import to_utc_naive


class CampaignParams(RangeParams):
    """Campaigns with messages sent in the range (project time zone's calendar dates)."""

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        return {**super().bind(settings),
                "attribution_s": settings.campaign_attribution_seconds}


class CampaignKpiParams(CampaignParams):
    """The campaign KPIs: the range and the previous period of equal length."""

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        previous = self.date_range(settings).previous()
        return {**super().bind(settings), "prev_start": to_utc_naive(previous.start)}
