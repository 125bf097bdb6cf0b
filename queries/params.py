"""Parameter models for named queries: validated at the edge (CLI, HTTP API, workbench)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ProjectRange(BaseModel):
    """A project and an inclusive calendar-date range in the project's time zone.

    `start`/`end` are the half-open UTC instants [from 00:00, to + 1 day 00:00) in `tz`.
    """

    model_config = ConfigDict(extra="forbid")

    project: str = Field(min_length=1, max_length=64)
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    tz: str = "Africa/Nairobi"

    @model_validator(mode="after")
    def _ordered(self) -> ProjectRange:
        if self.date_to < self.date_from:
            raise ValueError(f"to ({self.date_to}) is before from ({self.date_from})")
        ZoneInfo(self.tz)
        return self

    @property
    def start(self) -> datetime:
        return datetime.combine(self.date_from, time(), ZoneInfo(self.tz))

    @property
    def end(self) -> datetime:
        return datetime.combine(self.date_to + timedelta(days=1), time(), ZoneInfo(self.tz))

    def bound(self) -> dict[str, object]:
        """Values for the SQL placeholders (instants in UTC, as the events table stores them)."""
        utc = ZoneInfo("UTC")
        values = self.model_dump(exclude={"date_from", "date_to"})
        values["start"] = self.start.astimezone(utc).replace(tzinfo=None)
        values["end"] = self.end.astimezone(utc).replace(tzinfo=None)
        return values
