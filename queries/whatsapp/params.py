"""Parameter models of the WhatsApp queries (definitions: docs/metrics.md "WhatsApp").

The range is the project's calendar dates as everywhere (queries.params.RangeParams); the KPI
query adds the previous period of equal length and the instants one calendar month before the
range's start and end (month-over-month contact growth); the live panels bind the instant they
are computed at.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field

from metadata.projects import ProjectSettings
from queries.params import QueryParams, RangeParams
from queries.timerange import to_utc_naive

# Ranges up to this many days show volume per hour; longer ones per day (a line of 17 000
# hourly points says nothing a daily one does not).
HOURLY_MAX_DAYS = 31


def month_before(day: date) -> date:
    """The same day one calendar month earlier (the month's last day when it has no such day:
    31 March → 28/29 February)."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _midnight_utc(day: date, tz: str) -> datetime:
    return to_utc_naive(datetime.combine(day, time(), ZoneInfo(tz)))


def _now() -> datetime:
    """The current instant as the naive UTC datetime the warehouse compares with."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


class WhatsAppParams(RangeParams):
    """A range of the project's calendar dates (the WhatsApp page's charts and lists)."""

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        rng = self.date_range(settings)
        return {**super().bind(settings), "hourly": int(rng.days <= HOURLY_MAX_DAYS)}


class WhatsAppKpiParams(WhatsAppParams):
    """The KPIs: the range, the previous period of equal length, one month before each of their
    ends (contact growth) and now (open conversations)."""

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        rng = self.date_range(settings)
        previous = rng.previous()
        end_day = self.date_to.toordinal() + 1
        start_day = self.date_from
        return {
            **super().bind(settings),
            "prev_start": to_utc_naive(previous.start),
            "month_before_end": _midnight_utc(month_before(date.fromordinal(end_day)),
                                              settings.timezone),
            "month_before_start": _midnight_utc(month_before(start_day), settings.timezone),
            "now": _now(),
        }


class WhatsAppListParams(WhatsAppParams):
    """A list of the range's conversations (dropped ones), at most `limit` rows."""

    limit: int = Field(100, ge=1, le=1000)

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        return {**super().bind(settings), "limit": self.limit}


class WhatsAppLiveParams(QueryParams):
    """Right now: the open conversations and who holds them (Njia's definition, docs)."""

    limit: int = Field(200, ge=1, le=1000)

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        return {**super().bind(settings), "now": _now(),
                "timeout_s": settings.conversation_timeout_seconds, "limit": self.limit}
