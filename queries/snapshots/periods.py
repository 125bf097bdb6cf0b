"""Snapshot periods: a day, a week (Monday–Sunday) or a calendar month of a project's time zone.

Pure date arithmetic, shared by the snapshot job (snapshots/) and the trend query's parameters:
a period is named by its type and first day; its instants are those of queries.timerange, so a
snapshot covers exactly what a KPI query over the same dates covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from queries.timerange import DateRange

SnapshotType = Literal["daily", "weekly", "monthly"]
TYPES: tuple[str, ...] = ("daily", "weekly", "monthly")
# How a page names the previous period of each type ("vs previous day").
UNIT: dict[str, str] = {"daily": "day", "weekly": "week", "monthly": "month"}


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    type: str
    start: date

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"unknown snapshot type {self.type!r}; known: {', '.join(TYPES)}")
        if _start_of(self.type, self.start) != self.start:
            raise ValueError(f"{self.start} does not begin a {self.type} period")

    @property
    def end(self) -> date:
        """The last day, inclusive."""
        return self.next().start - timedelta(days=1)

    def next(self) -> Period:
        if self.type == "daily":
            return Period("daily", self.start + timedelta(days=1))
        if self.type == "weekly":
            return Period("weekly", self.start + timedelta(days=7))
        return Period("monthly", _add_months(self.start, 1))

    def previous(self) -> Period:
        if self.type == "daily":
            return Period("daily", self.start - timedelta(days=1))
        if self.type == "weekly":
            return Period("weekly", self.start - timedelta(days=7))
        return Period("monthly", _add_months(self.start, -1))

    def date_range(self, tz: str) -> DateRange:
        return DateRange(self.start, self.end, tz)

    def complete(self, now: datetime, tz: str) -> bool:
        """Whether the period is over at `now` (aware) in `tz`."""
        return self.date_range(tz).end <= now

    def __str__(self) -> str:
        return f"{self.type} {self.start}..{self.end}"


def _start_of(snapshot_type: str, day: date) -> date:
    if snapshot_type == "daily":
        return day
    if snapshot_type == "weekly":
        return day - timedelta(days=day.weekday())
    if snapshot_type == "monthly":
        return _month_start(day)
    raise ValueError(f"unknown snapshot type {snapshot_type!r}; known: {', '.join(TYPES)}")


def period_of(snapshot_type: str, day: date) -> Period:
    """The period of this type that contains `day`."""
    return Period(snapshot_type, _start_of(snapshot_type, day))


def periods_of(days: set[date] | list[date]) -> set[Period]:
    """Every period (of every type) that contains one of `days`."""
    return {period_of(t, d) for d in days for t in TYPES}
