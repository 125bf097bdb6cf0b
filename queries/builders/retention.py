"""Retention: cohorts of people by the period of their first event (or first chosen event), and
how many of each came back in each later period (docs/metrics.md "Retention").

The SQL's shape varies with what the caller picks, so a builder writes it — from whitelists only:
- `period` (day / week / month) picks the period expressions of `PERIODS`;
- `cohort_event` / `return_event`: '' reads the model's activity rows (any event), a name reads
  the model's membership rows of that event (`stored_by_name`, the by-name projection); the
  name itself is a bound parameter, never SQL text;
- `mode` (on / on_or_after) picks how a person's return periods are counted.
Every value (project, instants, time zone, event names, periods) is bound server-side.

The params model lives here rather than in queries/params.py because its whitelist (`PERIODS`)
and the SQL it selects belong together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from string import Template
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationInfo, field_validator

from contract.record import WHATSAPP_CHANNELS
from metadata.projects import ProjectSettings
from queries.params import RangeParams
from queries.timerange import to_utc_naive

__all__ = ["MAX_COHORTS", "PERIODS", "RetentionParams", "build", "cohort_starts"]

Period = Literal["day", "week", "month"]
Mode = Literal["on", "on_or_after"]

# The first instant any project can have: "first event ever" reads a person's whole history.
HISTORY_START = datetime(1970, 1, 1)
# "On or after" counts a return in any later period, so its reads have no end but this one.
NO_END = datetime(2100, 1, 1)
MAX_COHORTS = 400
MAX_PERIODS = 120


@dataclass(frozen=True)
class PeriodSql:
    """How one kind of period is written in SQL: `of` the local period start of an instant
    (a Date in the project's zone; weeks start on Monday), `offset` whole periods from one
    period start to another, `add` a period start moved on by k periods."""

    of: str
    offset: str
    add: str


PERIODS: dict[str, PeriodSql] = {
    "day": PeriodSql("toDate($x, {tz:String})",
                     "dateDiff('day', $a, $b)", "addDays($a, $k)"),
    "week": PeriodSql("toMonday(toDate($x, {tz:String}))",
                      "intDiv(dateDiff('day', $a, $b), 7)", "addWeeks($a, $k)"),
    "month": PeriodSql("toStartOfMonth(toDate($x, {tz:String}))",
                       "dateDiff('month', $a, $b)", "addMonths($a, $k)"),
}


def period_start(day: date, period: str) -> date:
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def add_periods(start: date, period: str, k: int) -> date:
    if period == "day":
        return start + timedelta(days=k)
    if period == "week":
        return start + timedelta(weeks=k)
    months = start.year * 12 + start.month - 1 + k
    return date(months // 12, months % 12 + 1, 1)


def cohort_starts(date_from: date, date_to: date, period: str) -> list[date]:
    """The starts of the periods the range touches (the first may begin before `from`)."""
    starts = [period_start(date_from, period)]
    while (nxt := add_periods(starts[-1], period, 1)) <= date_to:
        starts.append(nxt)
    return starts


class RetentionParams(RangeParams):
    """Cohorts by the period (in the project's zone) of each person's first event — or first
    `cohort_event` — in the range; returns in the `periods` periods that follow."""

    period: Period = "week"
    periods: int = Field(12, ge=1, le=MAX_PERIODS)
    cohort_event: str = Field("", max_length=200)  # '' = first event ever
    return_event: str = Field("", max_length=200)  # '' = any event
    mode: Mode = "on"

    @field_validator("cohort_event", "return_event")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()

    @field_validator("period")
    @classmethod
    def _not_too_many_cohorts(cls, value: str, info: ValidationInfo) -> str:
        start, end = info.data.get("date_from"), info.data.get("date_to")
        if start is not None and end is not None:
            count = len(cohort_starts(start, end, value))
            if count > MAX_COHORTS:
                raise ValueError(f"makes {count} cohorts (at most {MAX_COHORTS}): choose a "
                                 "longer period or a shorter range")
        return value

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        tz = ZoneInfo(settings.timezone)
        cohorts = cohort_starts(self.date_from, self.date_to, self.period)

        def at_midnight(day: date) -> datetime:
            return to_utc_naive(datetime.combine(day, time(), tz))

        # "On": returns up to the end of the last cohort's last period; "on or after": any.
        last = add_periods(cohorts[-1], self.period, self.periods + 1)
        return {
            **super().bind(settings),
            "history_start": HISTORY_START,
            "returns_start": at_midnight(cohorts[0]),
            "returns_end": at_midnight(last) if self.mode == "on" else NO_END,
            "cohorts": [c.isoformat() for c in cohorts],
            "periods": self.periods,
            "cohort_events": [self.cohort_event],
            "return_events": [self.return_event],
            "whatsapp_channels": list(WHATSAPP_CHANNELS),
        }


# What makes a person active, as for daily active people (dau.sql): their own non-bot events;
# WhatsApp events outside any conversation (campaign sends, their receipts, outbound-only
# messages) do not.
ACTIVITY_FILTER = ("NOT is_bot AND NOT (channel IN {whatsapp_channels:Array(String)} "
                   "AND NOT sessioned)")
EVENT_FILTER = ("NOT is_bot AND NOT (channel IN {whatsapp_channels:Array(String)} "
                "AND session_id = '')")


def _instant(name: str) -> str:
    return "{" + name + ":DateTime64(3, 'UTC')}"


def _activity(start: str, end: str) -> str:
    """The model's activity rows in [start, end) (every event of a person, as 15-minute rows)."""
    return (f"stored_activity(project = {{project:String}}, start = {_instant(start)},\n"
            f"                             end = {_instant(end)})")


def _by_name(start: str, end: str, names: str) -> str:
    """The model's membership rows of the events named in `names`, in [start, end)."""
    return (f"stored_by_name(project = {{project:String}}, start = {_instant(start)},\n"
            f"                            end = {_instant(end)},\n"
            f"                            names = {{{names}:Array(String)}})")


# Any event for both: one read of the activity rows gives each person's first bucket (over all
# their history) and the periods they were active in.
PEOPLE_ANY = """\
    -- Each person's first active 15-minute bucket ever (its local period is the first event's:
    -- every UTC offset is whole quarters of an hour) and the periods they were active in.
    people AS (
        SELECT person_id, min(bucket) AS first_at, groupUniqArray($period_bucket) AS active
        FROM $activity_all
        WHERE $activity_filter
        GROUP BY person_id
        HAVING first_at >= {start:DateTime64(3, 'UTC')} AND first_at < {end:DateTime64(3, 'UTC')}
    ),"""

# A chosen event on either side: one aggregation over the rows of both reads — each person's
# first (chosen) event and the periods of their returns. (Two CTEs joined would read the first
# events twice: ClickHouse computes a CTE again wherever it is named.)
PEOPLE_SPLIT = """\
    -- Each person's first $cohort_what ever, kept when it falls in the range, and the periods
    -- in which they did $return_what.
    people AS (
        SELECT person_id, minIf(at, first_rows) AS first_at,
               groupUniqArrayIf(period, NOT first_rows) AS active
        FROM (
            SELECT person_id, toDateTime64($cohort_time, 3, 'UTC') AS at,
                   toDate(0) AS period, true AS first_rows
            FROM $cohort_source
            WHERE $cohort_filter
            UNION ALL
            SELECT person_id, toDateTime64(0, 3, 'UTC') AS at, $period_return AS period,
                   false AS first_rows
            FROM $return_source
            WHERE $return_filter
        )
        GROUP BY person_id
        HAVING countIf(first_rows) > 0
           AND first_at >= {start:DateTime64(3, 'UTC')} AND first_at < {end:DateTime64(3, 'UTC')}
    ),"""


# Whether a person counts as returning at each offset 0 … periods, as a 0/1 array, from the
# offsets (periods after their cohort's) they were active in.
RETURNED = {
    # "On": active in the k-th period after their cohort's.
    "on": "arrayMap(k -> toUInt64(has(offsets, k)), range(toUInt32({periods:UInt16}) + 1))",
    # "On or after": active in that period or any later one (up to their last).
    "on_or_after": ("arrayMap(k -> toUInt64(notEmpty(offsets) AND k <= arrayMax(offsets)), "
                    "range(toUInt32({periods:UInt16}) + 1))"),
}

TEMPLATE = Template("""\
-- Retention by $period (project time zone; weeks start on Monday). Cohorts: people whose
-- first $cohort_what falls in the range, by its $period. Returning: $return_what
-- $mode_text the k-th $period after the cohort's (k = 0 … periods). Per person across
-- channels, bots excluded; cells of periods that have not begun yet are left out.
WITH
$people
    -- One aggregation per cohort (a CTE is computed again wherever it is named): its size and,
    -- per offset, how many of its people returned.
    per_cohort AS (
        SELECT cohort, count() AS cohort_size, sumForEach($returned) AS returned
        FROM (
            SELECT $period_first AS cohort,
                   arrayFilter(o -> o >= 0, arrayMap(p -> $offset, active)) AS offsets
            FROM people
        )
        GROUP BY cohort
    ),
    grid AS (
        SELECT cohort, period_offset
        FROM (SELECT toDate(arrayJoin({cohorts:Array(String)})) AS cohort) AS c
        CROSS JOIN (SELECT arrayJoin(range(toUInt32({periods:UInt16}) + 1)) AS period_offset) AS o
        WHERE $add_offset <= toDate(now(), {tz:String})
    )
SELECT
    g.cohort AS cohort,
    r.cohort_size AS cohort_size,
    g.period_offset AS period_offset,
    $add_grid AS period_start,
    -- A cohort nobody is in has no row: its empty array gives 0.
    r.returned[g.period_offset + 1] AS returning,
    if(cohort_size = 0, NULL, returning / cohort_size) AS share
FROM grid AS g
LEFT JOIN per_cohort AS r ON r.cohort = g.cohort
ORDER BY cohort, period_offset
""")


def _sub(expr: str, **values: str) -> str:
    return Template(expr).substitute(values)


def build(params: RetentionParams) -> str:
    sql = PERIODS[params.period]  # `period` is validated against the same names
    cohort_any, return_any = params.cohort_event == "", params.return_event == ""
    if cohort_any and return_any:
        people = _sub(PEOPLE_ANY, period_bucket=_sub(sql.of, x="bucket"),
                      activity_all=_activity("history_start", "returns_end"),
                      activity_filter=ACTIVITY_FILTER)
    else:
        people = _sub(
            PEOPLE_SPLIT,
            cohort_what="event" if cohort_any else "chosen event",
            cohort_time="bucket" if cohort_any else "timestamp",
            cohort_source=(_activity("history_start", "end") if cohort_any
                           else _by_name("history_start", "end", "cohort_events")),
            cohort_filter=ACTIVITY_FILTER if cohort_any else EVENT_FILTER,
            return_what="anything" if return_any else "the chosen return event",
            period_return=_sub(sql.of, x="bucket" if return_any else "timestamp"),
            return_source=(_activity("returns_start", "returns_end") if return_any
                           else _by_name("returns_start", "returns_end", "return_events")),
            return_filter=ACTIVITY_FILTER if return_any else EVENT_FILTER,
        )
    return TEMPLATE.substitute(
        period=params.period,
        cohort_what="event ever" if cohort_any else "cohort_event ever",
        return_what="any event" if return_any else "return_event",
        mode_text="in" if params.mode == "on" else "in or after",
        people=people,
        period_first=_sub(sql.of, x="first_at"),
        returned=RETURNED[params.mode],
        offset=_sub(sql.offset, a="cohort", b="p"),
        add_offset=_sub(sql.add, a="cohort", k="period_offset"),
        add_grid=_sub(sql.add, a="g.cohort", k="g.period_offset"),
    )
