"""Parameters of the KRA service report: a project and a period (calendar dates in the project's
time zone, inclusive), plus what config/journeys.toml says about the web journeys — bound as
values, so the report's web rows follow that file's one definition of each journey.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from config.journeys import Journey, journeys
from metadata.projects import ProjectSettings
from queries.funnel.params import Step
from queries.params import RangeParams, example_range


def completion_step(journey: Journey) -> Step:
    """A journey's completion as the funnel presets validate it (an event and its filters)."""
    return Step.model_validate(journey.completion)


def below(page: str) -> str:
    """The prefix of the paths below an entry page: "/nil-return" → "/nil-return/"."""
    return page if page.endswith("/") else page + "/"


class ServiceReportParams(RangeParams):
    """The service report takes no channel: it always shows both WhatsApp's and the web's rows
    (the sidebar's channel filter does not apply to it)."""

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        values = super().bind(settings)
        found = journeys()
        values["journey_names"] = [j.name for j in found]
        completion_events: set[str] = set()
        for j, journey in enumerate(found):
            for k, page in enumerate(journey.entry_pages):
                values[f"j{j}_p{k}"] = page
                values[f"j{j}_p{k}_below"] = below(page)
            step = completion_step(journey)
            completion_events.add(step.event)
            values[f"c{j}_event"] = step.event
            for k, f in enumerate(step.filters):
                values[f"c{j}_f{k}_value"] = f.value
        values["completion_events"] = sorted(completion_events)
        return values


def months_back(today: date, count: int) -> list[str]:
    """"YYYY-MM" of `today`'s month and the `count` - 1 months before it, newest first (the
    whole months the page offers as periods: KRA's report is monthly)."""
    out, year, month = [], today.year, today.month
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


def month_dates(value: str) -> tuple[date, date]:
    """"YYYY-MM" → its first and last day (the period's `from` and `to`)."""
    year, month = (int(x) for x in value.split("-"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def example() -> dict[str, Any]:
    return example_range()
