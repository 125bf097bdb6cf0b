"""Calendar dates in a project's time zone → the half-open UTC instants every query filters on.

Users pick dates inclusive at both ends ("1 to 30 June" is all of June); queries need instants.
`DateRange(from, to, tz)` is `[from 00:00, to + 1 day 00:00)` in `tz`, handed to ClickHouse as
naive UTC datetimes (the warehouse stores UTC). Presets are relative to *today in the project's
zone*, not the server's: at 01:00 EAT it is already tomorrow in Nairobi but not in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Africa/Nairobi"

Preset = Literal["today", "7d", "30d", "custom"]
PRESET_DAYS: dict[str, int] = {"today": 1, "7d": 7, "30d": 30}
PRESET_LABELS: dict[str, str] = {"today": "Today", "7d": "7 d", "30d": "30 d", "custom": "Custom"}


def today_in(tz: str, now: datetime | None = None) -> date:
    """Today's calendar date in `tz` (now: an aware instant, default the current one)."""
    now = now or datetime.now(UTC)
    return now.astimezone(ZoneInfo(tz)).date()


def preset_dates(preset: str, today: date) -> tuple[date, date]:
    """Inclusive (from, to) of a preset: "7d" is the last 7 days *including* today."""
    try:
        days = PRESET_DAYS[preset]
    except KeyError:
        raise ValueError(f"unknown preset {preset!r}; known: {', '.join(PRESET_DAYS)}") from None
    return today - timedelta(days=days - 1), today


def to_utc_naive(moment: datetime) -> datetime:
    """An aware instant as the naive UTC datetime bound to DateTime64(3, 'UTC')."""
    return moment.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class DateRange:
    date_from: date
    date_to: date
    tz: str = DEFAULT_TZ

    def __post_init__(self) -> None:
        if self.date_to < self.date_from:
            raise ValueError(f"to ({self.date_to}) is before from ({self.date_from})")
        ZoneInfo(self.tz)  # raises for an unknown zone

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def start(self) -> datetime:
        """Aware start instant: from 00:00 in tz."""
        return datetime.combine(self.date_from, time(), ZoneInfo(self.tz))

    @property
    def end(self) -> datetime:
        """Aware end instant (exclusive): to + 1 day 00:00 in tz."""
        return datetime.combine(self.date_to + timedelta(days=1), time(), ZoneInfo(self.tz))

    def previous(self) -> DateRange:
        """The period of equal length just before this one (for "change vs previous")."""
        return DateRange(
            self.date_from - timedelta(days=self.days), self.date_from - timedelta(days=1), self.tz
        )

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end
