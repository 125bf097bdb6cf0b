"""The snapshot schedule (the seeds' cron jobs), in each project's time zone — pure functions of a
clock, so they are tested with fixed ones.

- daily, 02:00: yesterday, and the 7 days before it again (late events: a late `chat.resolved`);
- weekly, Monday 03:00: last week (Monday–Sunday);
- monthly, the 1st 04:00: last month.

A run that was missed (the program was down at 02:00) is run when the program next looks: the
latest run of each job is due until its first period has a snapshot computed at or after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from queries.snapshots.periods import Period, period_of

# The daily run recomputes this many days before yesterday too.
TRAILING_DAYS = 7


@dataclass(frozen=True)
class Job:
    type: str  # the snapshot type it computes
    hour: int  # local time of day it runs at
    weekday: int | None = None  # Monday = 0; None: any day
    monthday: int | None = None  # None: any day

    @property
    def cron(self) -> str:
        """The seeds' cron expression of the job (minute hour day-of-month month day-of-week)."""
        dom = "*" if self.monthday is None else str(self.monthday)
        dow = "*" if self.weekday is None else str((self.weekday + 1) % 7)
        return f"0 {self.hour} {dom} * {dow}"

    def runs_on(self, day: date) -> bool:
        return ((self.weekday is None or day.weekday() == self.weekday)
                and (self.monthday is None or day.day == self.monthday))

    def at(self, day: date, tz: str) -> datetime:
        """The instant of the run on `day` (aware; a local time a DST change skips resolves as
        zoneinfo does)."""
        return datetime.combine(day, time(self.hour), ZoneInfo(tz))

    def periods(self, run_at: datetime, tz: str) -> list[Period]:
        """What the run at `run_at` computes; the first is the one it is for (yesterday, last
        week, last month)."""
        today = run_at.astimezone(ZoneInfo(tz)).date()
        yesterday = today - timedelta(days=1)
        if self.type == "daily":
            return [period_of("daily", yesterday - timedelta(days=i))
                    for i in range(TRAILING_DAYS + 1)]
        return [period_of(self.type, yesterday)]


JOBS: tuple[Job, ...] = (
    Job("daily", 2),
    Job("weekly", 3, weekday=0),
    Job("monthly", 4, monthday=1),
)
# A month holds a run of every job: look this far either side of a clock for runs.
_HORIZON_DAYS = 32


def _runs(job: Job, now: datetime, tz: str) -> list[datetime]:
    today = now.astimezone(ZoneInfo(tz)).date()
    days = (today + timedelta(days=d) for d in range(-_HORIZON_DAYS, _HORIZON_DAYS + 1))
    return [job.at(day, tz) for day in days if job.runs_on(day)]


def last_run(job: Job, now: datetime, tz: str) -> datetime:
    """The job's latest run at or before `now` (aware)."""
    return max(at for at in _runs(job, now, tz) if at <= now)


def next_run_of(job: Job, now: datetime, tz: str) -> datetime:
    """The job's first run strictly after `now`."""
    return min(at for at in _runs(job, now, tz) if at > now)


def next_run(now: datetime, tz: str) -> tuple[datetime, Job]:
    """The next run of any job strictly after `now`, and which job (the three never coincide:
    02:00, 03:00 and 04:00)."""
    return min(((next_run_of(job, now, tz), job) for job in JOBS), key=lambda item: item[0])
