"""Parameters of the journey explorer's queries: `journey_profile`, `journey` (the timeline) and
`journey_event` (the inspector's one event).

`person` is any identifier text (queries/journey/person.py); the runner calls `look_up` before
binding, so the SQL gets the person id, their identifiers and the model's chains that hold them
(empty for a search that names nobody: the queries then return no rows). The timeline is the
person's whole history unless a date range is asked (both `from` and `to`): then the sessions and
conversations that started in it (a session is never cut at the range's margins).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import Field, ValidationInfo, field_validator, model_validator

from metadata.projects import Project, ProjectSettings
from queries.params import MAX_RANGE_DAYS, QueryParams
from queries.timerange import DateRange, to_utc_naive

# The whole history when no range is asked: wider than any event the collector accepts.
ALL_TIME = (datetime(1970, 1, 1), datetime(2300, 1, 1))
PAGE_SIZE = 50


class JourneyProfileParams(QueryParams):
    """One person, named by any identifier (or a session, conversation or person id)."""

    person: str = Field(min_length=1, max_length=200)

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        return {
            **super().bind(settings),
            # Not `person`: the runner resolves that one for the Sessions search its own way.
            "search": self.person.strip(),
            # Filled by `look_up` (the runner calls it): nobody until then.
            "person_id": "",
            "person_keys": [],
            "chains": [],
            "conversion_events": list(settings.conversion_events),
        }

    def look_up(self, project: Project) -> dict[str, Any]:
        from queries.journey.person import look_up

        found = look_up(project.project_id, self.person, project.settings.phone_region)
        return {"person_id": found.person_id, "person_keys": list(found.keys),
                "chains": list(found.chains)}


class JourneyParams(JourneyProfileParams):
    """The timeline: a page of the person's events, grouped by session or conversation."""

    date_from: date | None = Field(None, alias="from")
    date_to: date | None = Field(None, alias="to")
    order: Literal["newest", "oldest"] = "newest"
    limit: int = Field(PAGE_SIZE, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)

    @model_validator(mode="before")
    @classmethod
    def _to_is_checked(cls, data: Any) -> Any:
        # `from` without `to`: give `to` explicitly, so its validator runs and names it.
        if isinstance(data, dict) and data.get("from") is not None and "to" not in data:
            return {**data, "to": None}
        return data

    @field_validator("date_to")
    @classmethod
    def _both_or_neither(cls, value: date | None, info: ValidationInfo) -> date | None:
        # A field validator (not a model one) so the error names `to`.
        start = info.data.get("date_from")
        if (start is None) != (value is None):
            if "date_from" not in info.data:
                return value  # `from` itself was refused: that is the error to show
            raise ValueError("give both from and to, or neither (the whole history)")
        if start is not None and value is not None:
            if value < start:
                raise ValueError(f"is before from ({start})")
            if (value - start).days + 1 > MAX_RANGE_DAYS:
                raise ValueError(f"makes the range longer than {MAX_RANGE_DAYS} days")
        return value

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        if self.date_from is not None and self.date_to is not None:
            rng = DateRange(self.date_from, self.date_to, settings.timezone)
            start, end = to_utc_naive(rng.start), to_utc_naive(rng.end)
        else:
            start, end = ALL_TIME
        return {
            **super().bind(settings),
            "start": start,
            "end": end,
            "newest_first": int(self.order == "newest"),
            "limit": self.limit,
            "offset": self.offset,
        }


class JourneyEventParams(QueryParams):
    """One event (its id, as the timeline gives it), for the inspector."""

    event: UUID

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        return {**super().bind(settings), "event": str(self.event)}
