"""Parameter models for named queries: validated at every edge (workbench, CLI, HTTP API).

A model holds what a caller chooses (project, dates, filters). `bind(settings)` turns it into
the values of the SQL placeholders, filling in what belongs to the project (time zone,
conversion events, conversation timeout) so callers only give project + dates. Every value is
bound as a typed server-side parameter; nothing here is ever formatted into SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from config.journeys import journeys
from contract.record import (
    AGENT_CHANNELS,
    CHANNELS,
    SESSION_KINDS,
    WEB_CHANNELS,
    WHATSAPP_CHANNELS,
)
from metadata.projects import PROJECT_ID_RE, ProjectSettings
from queries.timerange import DateRange, to_utc_naive

MAX_RANGE_DAYS = 731

ProjectId = Annotated[str, Field(min_length=1, max_length=64, pattern=PROJECT_ID_RE.pattern)]

# Channel filters, from the channel sets of the event contract (contract/record.py). Sessions are
# web sessions or WhatsApp conversations; the AI agent answers on WhatsApp, so its events belong
# to conversations. Event-level views may show AI alone.
SessionChannel = Literal["all", "web", "whatsapp"]
EventChannel = Literal["all", "web", "whatsapp", "ai"]
SESSION_CHANNELS: dict[str, list[str]] = {
    "all": list(SESSION_KINDS),
    "web": ["web"],
    "whatsapp": ["whatsapp"],
}
EVENT_CHANNELS: dict[str, list[str]] = {
    "all": list(CHANNELS),
    "web": list(WEB_CHANNELS),
    "whatsapp": list(WHATSAPP_CHANNELS),
    "ai": list(AGENT_CHANNELS),
}


class QueryParams(BaseModel):
    """Base of every params model: one project (tenant), unknown parameters refused."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    project: ProjectId

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        return {"project": self.project}


class RangeParams(QueryParams):
    """A project and an inclusive calendar-date range in the project's time zone."""

    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")

    @field_validator("date_to")
    @classmethod
    def _ordered(cls, value: date, info: ValidationInfo) -> date:
        # A field validator (not a model one) so the error names `to`.
        start = info.data.get("date_from")
        if start is None:
            return value
        if value < start:
            raise ValueError(f"is before from ({start})")
        if (value - start).days + 1 > MAX_RANGE_DAYS:
            raise ValueError(f"makes the range longer than {MAX_RANGE_DAYS} days")
        return value

    def date_range(self, settings: ProjectSettings) -> DateRange:
        return DateRange(self.date_from, self.date_to, settings.timezone)

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        rng = self.date_range(settings)
        return {
            **super().bind(settings),
            "start": to_utc_naive(rng.start),
            "end": to_utc_naive(rng.end),
            "tz": settings.timezone,
            # The sessions views' timeouts: WhatsApp conversations', web sessions'.
            "timeout_s": settings.conversation_timeout_seconds,
            "session_timeout_s": settings.session_timeout_seconds,
        }


class EventRangeParams(RangeParams):
    """Event-level views: channel all / web / whatsapp / ai."""

    channel: EventChannel = "all"

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        return {**super().bind(settings), "channels": EVENT_CHANNELS[self.channel],
                "whatsapp_channels": list(WHATSAPP_CHANNELS)}


class SessionRangeParams(RangeParams):
    """Session-level views over the `sessions` view: channel all / web / whatsapp."""

    channel: SessionChannel = "all"

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        found = journeys()
        return {
            **super().bind(settings),
            "session_channels": SESSION_CHANNELS[self.channel],
            "conversion_events": list(settings.conversion_events),
            # The filing journeys (config/journeys.toml): ids and entry pages, in order.
            "journey_ids": [j.id for j in found],
            "journey_entry_pages": [list(j.entry_pages) for j in found],
        }


class OverviewParams(SessionRangeParams):
    """Overview KPIs: the range and the previous period of equal length."""

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        previous = self.date_range(settings).previous()
        return {**super().bind(settings), "prev_start": to_utc_naive(previous.start)}


class PeriodParams(RangeParams):
    """KPIs of the range and the previous period of equal length (no channel filter)."""

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        previous = self.date_range(settings).previous()
        return {**super().bind(settings), "prev_start": to_utc_naive(previous.start)}


@dataclass(frozen=True)
class Dimension:
    column: str
    label: str
    web_only: bool = False


# The breakdown's dimensions: the whitelist `BreakdownParams.by` accepts, each a column of the
# sessions view (queries/builders/breakdown.py builds the SQL from it). Device, browser, OS and
# pages describe a web browser, so those count web sessions only.
DIMENSIONS: dict[str, Dimension] = {
    "device_type": Dimension("device_type", "Device", web_only=True),
    "browser": Dimension("browser", "Browser", web_only=True),
    "os": Dimension("os", "Operating system", web_only=True),
    "country": Dimension("country", "Country"),
    "entry_page": Dimension("entry_page", "Entry page", web_only=True),
    "exit_page": Dimension("exit_page", "Exit page", web_only=True),
    "channel": Dimension("channel", "Channel"),
}
BreakdownDimension = Literal[tuple(DIMENSIONS)]  # type: ignore[valid-type]


class BreakdownParams(SessionRangeParams):
    """Sessions by one whitelisted dimension (see queries/builders/breakdown.py)."""

    by: BreakdownDimension = "device_type"
    limit: int = Field(20, ge=1, le=500)

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        return {**super().bind(settings), "limit": self.limit}


class SessionListParams(SessionRangeParams):
    """The Sessions page's list: filters, person search and pagination."""

    converted: Literal["any", "yes", "no"] = "any"
    device: str = Field("", max_length=100)
    country: str = Field("", max_length=100)
    min_duration_s: float = Field(0, ge=0)
    entry_page: str = Field("", max_length=500)
    # Matches the person an identifier names (any of their sessions), a person id, or part of a
    # phone, PIN or anonymous id.
    person: str = Field("", max_length=200)
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        return {
            **super().bind(settings),
            "converted": {"any": -1, "yes": 1, "no": 0}[self.converted],
            "device": self.device,
            "country": self.country,
            "min_duration_s": float(self.min_duration_s),
            "entry_page": self.entry_page,
            "person": self.person.strip(),
            # Filled by the runner: the person the search text names through identity
            # stitching (a phone in any format, an email, a PIN), so all their sessions match.
            "person_ids": [],
            "limit": self.limit,
            "offset": self.offset,
        }


class SessionTimelineParams(RangeParams):
    """One session's events; the range is where the session started (shareable links carry it)."""

    session: str = Field(min_length=1, max_length=200)

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        return {**super().bind(settings), "session": self.session}


class ListParams(RangeParams):
    limit: int = Field(50, ge=1, le=500)

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        return {**super().bind(settings), "limit": self.limit}


class EventPropertiesParams(RangeParams):
    """The property keys seen on one event name (the funnel builder's filter picker)."""

    event: str = Field(min_length=1, max_length=200)
    limit: int = Field(100, ge=1, le=500)

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        return {**super().bind(settings), "event": self.event, "limit": self.limit}


class LiveWindowParams(QueryParams):
    """Live numbers: the last `minutes` minutes, no date range (relative to now)."""

    channel: EventChannel = "all"
    minutes: int = Field(60, ge=1, le=1440)

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        return {**super().bind(settings), "channels": EVENT_CHANNELS[self.channel],
                "minutes": self.minutes}


class LiveParams(LiveWindowParams):
    """The live feed: the latest `limit` events of the window."""

    limit: int = Field(50, ge=1, le=500)

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        return {**super().bind(settings), "limit": self.limit}


def example_range(**extra: Any) -> dict[str, Any]:
    """Example values (tests and the API's query list use them)."""
    return {"project": "kra-demo", "from": "2026-06-01", "to": "2026-06-30", **extra}
