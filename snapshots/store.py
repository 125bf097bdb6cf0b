"""Computing one snapshot and storing it: the KPI queries (queries/snapshots SOURCES) run over the
period as a range, as the pages run them, and their metric rows become one row of `snapshots`.

Each period is computed from its own events: a week's or a month's people are the distinct
people of that week or month, never a sum of days. A snapshot is all or nothing: a source that
fails fails the snapshot (the caller retries), so no stored row lacks a metric it should have.
"""

from __future__ import annotations

import logging
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from clickhouse_connect.driver.client import Client

from metadata.access import OPERATOR, Principal
from metadata.projects import Project
from queries import runner
from queries.catalog import QUERIES
from queries.snapshots import SOURCES, Source, metric_key
from queries.snapshots.periods import Period
from queries.timerange import to_utc_naive

log = logging.getLogger("njia.snapshots")

# The CRM's webhook events carry no WhatsApp account id (collector/webhooks.py, the seeds'
# events): every snapshot is the whole project's, under account ''.
PROJECT_WIDE = ""
TRIGGERS = ("schedule", "pending", "cli")


class IncompletePeriod(ValueError):
    """A snapshot is of a finished period only."""


@dataclass(frozen=True)
class Snapshot:
    project_id: str
    period: Period
    timezone: str
    metrics: dict[str, float | None]
    sources: tuple[str, ...]
    computed_at: datetime
    trigger: str
    account: str = PROJECT_WIDE

    def as_json(self) -> dict[str, Any]:
        rng = self.period.date_range(self.timezone)
        return {
            "project_id": self.project_id,
            "whatsapp_account": self.account,
            "snapshot_type": self.period.type,
            "period_start": self.period.start.isoformat(),
            "period_end": self.period.end.isoformat(),
            "start": rng.start.astimezone(UTC).isoformat(),
            "end": rng.end.astimezone(UTC).isoformat(),
            "timezone": self.timezone,
            "metrics": self.metrics,
            "sources": list(self.sources),
            "computed_at": self.computed_at.isoformat(),
            "trigger": self.trigger,
        }


def sources() -> list[Source]:
    """The sources whose KPI query is in the catalog (an area's joins in when it lands)."""
    return [s for s in SOURCES if s.query in QUERIES]


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def compute(project: Project, period: Period,
            principal: Principal = OPERATOR) -> tuple[dict[str, float | None], tuple[str, ...]]:
    """The period's metrics, `<source>.<metric>` → value, and the sources they came from."""
    rng = {"project": project.project_id, "from": period.start.isoformat(),
           "to": period.end.isoformat()}
    found = sources()
    # The sources side by side (the reader's client is shared by threads): a snapshot takes as
    # long as its slowest KPI query, not their sum.
    with ThreadPoolExecutor(max_workers=max(len(found), 1),
                            thread_name_prefix="snapshot") as pool:
        frames = list(pool.map(
            lambda source: runner.run(source.query, {**rng, **source.params}, principal), found))
    metrics: dict[str, float | None] = {}
    for source, df in zip(found, frames, strict=True):
        for metric, value in zip(df["metric"], df["value"], strict=True):
            if metric not in source.skip:
                metrics[metric_key(source.key, str(metric))] = _number(value)
    return metrics, tuple(source.key for source in found)


def take(client: Client, project: Project, period: Period, trigger: str,
         now: datetime | None = None) -> Snapshot:
    """Compute the period's snapshot and store it (replacing any earlier one)."""
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}")
    tz = project.settings.timezone
    started = datetime.now(UTC)
    if not period.complete(now or started, tz):
        raise IncompletePeriod(
            f"the {period.type} period {period.start}..{period.end} ({tz}) is not over yet: a "
            "snapshot is of a finished period (the schedule takes it once it is)")
    # The replacing version is when the computation began: a later one read a newer model.
    metrics, used = compute(project, period)
    snap = Snapshot(project.project_id, period, tz, metrics, used, started, trigger)
    write(client, snap)
    return snap


COLUMNS = ("project_id", "whatsapp_account", "snapshot_type", "period_start", "period_end",
           "start", "end", "timezone", "metrics", "sources", "computed_at", "trigger")


def write(client: Client, snap: Snapshot) -> None:
    rng = snap.period.date_range(snap.timezone)
    client.insert("snapshots", [[
        snap.project_id, snap.account, snap.period.type, snap.period.start, snap.period.end,
        to_utc_naive(rng.start), to_utc_naive(rng.end), snap.timezone, snap.metrics,
        list(snap.sources), snap.computed_at.replace(tzinfo=None), snap.trigger,
    ]], column_names=list(COLUMNS))


def read(client: Client, project_id: str, snapshot_type: str | None = None,
         start: date | None = None, account: str = PROJECT_WIDE) -> list[Snapshot]:
    """Stored snapshots of a project (one per period: FINAL), by type and first day."""
    result = client.query(
        "SELECT snapshot_type, period_start, timezone, metrics, sources, computed_at, trigger "
        "FROM snapshots FINAL WHERE project_id = {project:String} "
        "AND whatsapp_account = {account:String} "
        "AND ({type:String} = '' OR snapshot_type = {type:String}) "
        "AND ({start:String} = '' OR toString(period_start) = {start:String}) "
        "ORDER BY snapshot_type, period_start",
        parameters={"project": project_id, "account": account, "type": snapshot_type or "",
                    "start": start.isoformat() if start else ""})
    return [
        Snapshot(project_id, Period(t, s), tz, {k: _number(v) for k, v in m.items()},
                 tuple(src), _aware(at), trig, account)
        for t, s, tz, m, src, at, trig in result.result_rows
    ]


def periods_ending_from(client: Client, project_id: str, day: date,
                        account: str = PROJECT_WIDE) -> list[Period]:
    """The stored snapshots' periods that end on or after `day`."""
    rows = client.query(
        "SELECT DISTINCT snapshot_type, period_start FROM snapshots "
        "WHERE project_id = {project:String} AND whatsapp_account = {account:String} "
        "AND period_end >= {day:Date}",
        parameters={"project": project_id, "account": account, "day": day}).result_rows
    return [Period(t, s) for t, s in rows]


def computed_at(client: Client, project_id: str, period: Period,
                account: str = PROJECT_WIDE) -> datetime | None:
    """When the stored snapshot of `period` was computed; None if there is none."""
    rows = client.query(
        "SELECT max(computed_at), count() FROM snapshots WHERE project_id = {project:String} "
        "AND whatsapp_account = {account:String} AND snapshot_type = {type:String} "
        "AND period_start = {start:Date}",
        parameters={"project": project_id, "account": account, "type": period.type,
                    "start": period.start}).result_rows
    at, n = rows[0]
    return _aware(at) if n else None


def _aware(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
