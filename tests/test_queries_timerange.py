"""Calendar dates → half-open UTC instants in the project's time zone; presets; bound values."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from metadata.projects import ProjectSettings
from queries.params import OverviewParams, RangeParams
from queries.timerange import DateRange, preset_dates, to_utc_naive, today_in


def test_inclusive_dates_become_a_half_open_range_in_eat():
    june = DateRange(date(2026, 6, 1), date(2026, 6, 30), "Africa/Nairobi")
    assert to_utc_naive(june.start) == datetime(2026, 5, 31, 21, 0)
    assert to_utc_naive(june.end) == datetime(2026, 6, 30, 21, 0)
    assert june.days == 30
    assert june.contains(datetime(2026, 6, 30, 20, 59, 59, 999000, tzinfo=UTC))
    assert not june.contains(datetime(2026, 6, 30, 21, 0, tzinfo=UTC))
    assert not june.contains(datetime(2026, 5, 31, 20, 59, 59, tzinfo=UTC))


def test_one_day_is_24_hours_of_that_zone():
    day = DateRange(date(2026, 3, 10), date(2026, 3, 10), "UTC")
    assert (day.end - day.start).total_seconds() == 86400


def test_previous_period_has_the_same_length_and_ends_before():
    week = DateRange(date(2026, 3, 10), date(2026, 3, 16))
    prev = week.previous()
    assert (prev.date_from, prev.date_to) == (date(2026, 3, 3), date(2026, 3, 9))
    assert prev.end == week.start


def test_to_before_from_is_refused():
    with pytest.raises(ValueError, match="before"):
        DateRange(date(2026, 3, 10), date(2026, 3, 9))


def test_presets_include_today():
    today = date(2026, 3, 16)
    assert preset_dates("today", today) == (today, today)
    assert preset_dates("7d", today) == (date(2026, 3, 10), today)
    assert preset_dates("30d", today) == (date(2026, 2, 15), today)
    with pytest.raises(ValueError, match="unknown preset"):
        preset_dates("week", today)


def test_today_is_the_project_zones_today():
    late_utc = datetime(2026, 3, 16, 22, 30, tzinfo=UTC)  # 01:30 on the 17th in Nairobi
    assert today_in("Africa/Nairobi", late_utc) == date(2026, 3, 17)
    assert today_in("UTC", late_utc) == date(2026, 3, 16)


def test_bound_values_come_from_the_projects_settings():
    settings = ProjectSettings(timezone="Africa/Lagos", conversion_events=["payment_initiated"],
                               conversation_timeout_seconds=600)
    model = OverviewParams.model_validate(
        {"project": "p", "from": "2026-03-10", "to": "2026-03-16", "channel": "web"})
    bound = model.bind(settings)
    assert bound["start"] == datetime(2026, 3, 9, 23, 0)  # WAT = UTC+1
    assert bound["end"] == datetime(2026, 3, 16, 23, 0)
    assert bound["prev_start"] == datetime(2026, 3, 2, 23, 0)
    assert bound["tz"] == "Africa/Lagos"
    assert bound["timeout_s"] == 600
    assert bound["conversion_events"] == ["payment_initiated"]
    assert bound["session_channels"] == ["web"]


def test_python_callers_may_use_field_names():
    model = RangeParams(project="p", date_from=date(2026, 3, 1), date_to=date(2026, 3, 2))
    assert model.model_dump(by_alias=True)["from"] == date(2026, 3, 1)
