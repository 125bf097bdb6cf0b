"""Parameters of the AI agent's queries: a project and a date range, plus what belongs to the
project — its low-confidence threshold (`low_confidence_threshold`, default 0.6) — so callers
give only project + dates (+ a list length). The AI agent's events are their own channel
(`ai`), so these queries take no channel.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from metadata.projects import ProjectSettings
from queries.params import RangeParams, example_range
from queries.timerange import to_utc_naive


class AiParams(RangeParams):
    """The range, the previous period of equal length (the KPIs' change) and the project's
    low-confidence threshold."""

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        previous = self.date_range(settings).previous()
        return {
            **super().bind(settings),
            "prev_start": to_utc_naive(previous.start),
            "threshold": float(settings.low_confidence_threshold),
        }


class AiListParams(AiParams):
    """A ranked list or the latest rows: at most `limit` of them."""

    limit: int = Field(50, ge=1, le=500)

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        return {**super().bind(settings), "limit": self.limit}


def example(**extra: Any) -> dict[str, Any]:
    return example_range(**extra)
