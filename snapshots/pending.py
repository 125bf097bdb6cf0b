"""The pending-period pass: recompute the snapshots of every finished period that late data or an
identity merge changed, so a snapshot always equals the live number of its period once the
journey model is current.

It reads the model's own bookkeeping. The model worker (journeys/model.py) recomputes a chain
whole whenever an event of it arrives — however late — or a merge changes the person of one of
its identifiers, and writes the chain's rows again (`journey_events` for every event, live or
`deleted`, `journey_sessions` for every session) under a new `version`, higher than every
earlier one. So the rows with a version above the last pass's name every date whose numbers may
have changed: their days, weeks and months are recomputed. (Every event is in `journey_events`,
so this also covers KPI queries that read `events` directly.)

Identity without a new person: a person who gains a PIN, phone or email keeps their person id
when their anchor stays (an anonymous id sorts first), so no chain of theirs is recomputed, yet
"identified people" read person_map as known now. The pass therefore also recomputes the dates
of the sessions of every person whose `person_map` rows changed since the last pass.

When is a version done? The worker recomputes one set of chains at a time, so every version
below the newest one visible had finished when it was read; the newest may still be being
written. The pass reads from the newest again next time, and stops when either the worker has
recorded progress since the last pass read (`journey_progress.updated_at`: it writes after each
recompute; the periods are then recomputed once more, the recompute having finished at some
point after that read) or the newest version's row count has not changed over a whole pass
interval (it had finished when the last pass read it: nothing to redo). While the model is
rebuilding (or about to: timeouts or journey SQL changed) the pass waits; the rebuild's rows then
name every date. A `njia rebuild` run beside the worker breaks
the one-at-a-time assumption; the worker's next recompute, or the next pass's count check,
brings the pass past it.

A metric that counts from the project's beginning (total contacts: `contact.created` up to the
period's end; Source.cumulative) changes in every later period when such an event arrives late:
every stored snapshot whose period ends on or after its day is recomputed too.

Only finished periods are snapshotted: a date of the running day, week or month is left to the
schedule, which takes the period once it is over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from clickhouse_connect.driver.client import Client

from config.settings import get_settings
from metadata.projects import Project
from queries.snapshots.periods import Period, periods_of
from snapshots.store import periods_ending_from, sources, take
from warehouse.journey_sql import definition

log = logging.getLogger("njia.snapshots.pending")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Rows whose version names dates: every event's membership and every session (live or deleted).
_CHANGED_DAYS = (
    "SELECT d, max(version) FROM ("
    "  SELECT toDate(timestamp, {tz:String}) AS d, version FROM journey_events"
    "  WHERE project_id = {project:String} AND version > {after:UInt64}"
    "  UNION ALL"
    "  SELECT toDate(start, {tz:String}) AS d, version FROM journey_sessions"
    "  WHERE project_id = {project:String} AND version > {after:UInt64}"
    ") GROUP BY d")
# Events a metric accumulates (Source.cumulative) that arrived since the last pass: the day of
# the earliest (a live one is today's, and no stored period ends today or later).
_CUMULATIVE_FROM = (
    "SELECT min(toDate(timestamp, {tz:String})), count() FROM events"
    " WHERE project_id = {project:String} AND inserted_at > {since:DateTime64(3, 'UTC')}"
    " AND event_name IN {names:Array(String)}")
# Every table of the model a recompute writes under its version (journey_events, _sessions, then
# the rollups): the rows of the newest version in all of them tell whether it is still writing.
_VERSIONED_TABLES = (
    "SELECT table FROM system.columns WHERE database = currentDatabase() "
    "AND startsWith(table, 'journey_') AND name IN ('project_id', 'version') "
    "GROUP BY table HAVING count() = 2 ORDER BY table")


def _version_rows(client: Client, project_id: str, version: int) -> int:
    tables = [r[0] for r in client.query(_VERSIONED_TABLES).result_rows]
    return int(client.command(
        "SELECT " + " + ".join(
            f"(SELECT count() FROM {table} WHERE project_id = {{project:String}} "
            "AND version = {version:UInt64})" for table in tables),
        parameters={"project": project_id, "version": version}))


_CHANGED_IDENTIFIERS = (
    "(SELECT identifier FROM person_map WHERE project_id = {project:String}"
    " AND updated_at > {since:DateTime64(3, 'UTC')})")
# The dates of the sessions of every person an identifier whose row changed belongs (or
# belonged) to.
_IDENTITY_DAYS = (
    "SELECT DISTINCT toDate(start, {tz:String}) FROM journey_sessions FINAL"
    " WHERE project_id = {project:String} AND deleted = 0 AND person_id IN ("
    "  SELECT person_id FROM person_map WHERE project_id = {project:String}"
    "  AND identifier IN " + _CHANGED_IDENTIFIERS + ")")


@dataclass(frozen=True)
class PassState:
    """snapshot_progress: versions up to `after_version` are handled; what the last pass saw."""

    after_version: int = 0
    seen_version: int = 0
    seen_rows: int = 0
    seen_at: datetime | None = None
    arrived_since: datetime | None = None


@dataclass
class PassResult:
    periods: list[Period] = field(default_factory=list)
    days: list[date] = field(default_factory=list)
    waiting: str = ""  # why the pass did nothing (the model is not current)


def settled_after(state: PassState, newest: int, newest_rows: int,
                  model_updated_at: datetime | None) -> int:
    """The version up to which the rows are handled after a pass that recomputed the periods
    of every row above `state.after_version` (newest version `newest`, with `newest_rows`
    rows; 0: none)."""
    if newest == 0:
        return state.after_version
    # Versions below the newest had finished when they were read (one recompute at a time).
    after = max(state.after_version, newest - 1)
    if newest == state.seen_version and (
        # The worker recorded progress after the last pass read: the newest had finished
        # before this pass read (and recomputed).
        (state.seen_at is not None and model_updated_at is not None
         and model_updated_at > state.seen_at)
        # Or nothing of it was written for a whole pass interval.
        or newest_rows == state.seen_rows
    ):
        after = newest
    return after


def read_state(client: Client, project_id: str) -> PassState | None:
    rows = client.query(
        "SELECT argMax(after_version, updated_at), argMax(seen_version, updated_at), "
        "argMax(seen_rows, updated_at), argMax(seen_at, updated_at), "
        "argMax(arrived_since, updated_at), count() "
        "FROM snapshot_progress WHERE project_id = {project:String}",
        parameters={"project": project_id}).result_rows
    after, seen, seen_rows, seen_at, since, n = rows[0]
    if not n:
        return None
    return PassState(int(after), int(seen), int(seen_rows), _aware(seen_at), _aware(since))


def write_state(client: Client, project_id: str, state: PassState) -> None:
    client.insert("snapshot_progress", [[
        project_id, state.after_version, state.seen_version, state.seen_rows,
        _naive(state.seen_at or EPOCH), _naive(state.arrived_since or EPOCH),
    ]], column_names=["project_id", "after_version", "seen_version", "seen_rows", "seen_at",
                      "arrived_since"])


def model_updated_at(client: Client, project: Project) -> tuple[datetime | None, str]:
    """When the model worker last recorded progress for the project, and why the model is not
    current ('' when it is)."""
    rows = client.query(
        "SELECT max(updated_at), argMax(rebuilding, updated_at), argMax(definition, updated_at), "
        "argMax(session_timeout_s, updated_at), argMax(timeout_s, updated_at), count() "
        "FROM journey_progress WHERE project_id = {project:String}",
        parameters={"project": project.project_id}).result_rows
    updated, rebuilding, defined, session_timeout_s, timeout_s, n = rows[0]
    s = project.settings
    if not n:
        return None, "the journey model has not been computed yet"
    if rebuilding:
        return _aware(updated), "the journey model is rebuilding"
    if defined != definition() or (int(session_timeout_s), int(timeout_s)) != (
            s.session_timeout_seconds, s.conversation_timeout_seconds):
        return _aware(updated), "the journey model is about to be rebuilt"
    return _aware(updated), ""


def server_now(client: Client) -> datetime:
    """The warehouse's clock, which stamps journey_progress and person_map."""
    return _aware(client.query("SELECT now64(6, 'UTC')").result_rows[0][0])


def pending_pass(client: Client, project: Project, now: datetime | None = None,
                 stop: Callable[[], bool] | None = None) -> PassResult:
    """Recompute the finished periods (at `now`) that model rows written since the last pass
    name, or that hold sessions of people whose identity changed; then record the pass.
    `stop()` true between two periods ends the pass unrecorded (the next one redoes it)."""
    pid, tz = project.project_id, project.settings.timezone
    read_at = server_now(client)
    updated, waiting = model_updated_at(client, project)
    if waiting:
        return PassResult(waiting=waiting)
    state = read_state(client, pid)
    first = state is None
    state = state or PassState()
    rows = client.query(_CHANGED_DAYS, parameters={
        "project": pid, "tz": tz, "after": state.after_version}).result_rows
    days = {d for d, _ in rows}
    newest = max((int(v) for _, v in rows), default=0)
    newest_rows = _version_rows(client, pid, newest) if newest else 0
    if newest and newest == state.seen_version and newest_rows == state.seen_rows:
        # Only the rows of the newest version are above `after` (the last pass read from it),
        # and none was written since that pass read them: it had finished, so the last pass
        # computed its periods from the finished model. Nothing to redo.
        days = set()
    later: set[Period] = set()
    if not first and state.arrived_since is not None:
        # (The first pass reads every version: every date with an event is named already.)
        # Arrivals are stamped by the warehouse (person_map.updated_at, events.inserted_at) and
        # may become visible a little after their stamp: read back the model worker's overlap.
        since = state.arrived_since - timedelta(seconds=get_settings().journeys_overlap_seconds)
        params = {"project": pid, "tz": tz, "since": _naive(since)}
        if int(client.command(f"SELECT count() FROM {_CHANGED_IDENTIFIERS}",
                              parameters=params)):
            days |= {r[0] for r in client.query(_IDENTITY_DAYS, parameters=params).result_rows}
        names = sorted({n for s in sources() for n in s.cumulative})
        if names:
            first_day, n = client.query(_CUMULATIVE_FROM,
                                        parameters={**params, "names": names}).result_rows[0]
            if n:
                later = set(periods_ending_from(client, pid, first_day))
    now = now or datetime.now(UTC)
    periods = sorted(p for p in periods_of(days) | later if p.complete(now, tz))
    for period in periods:
        if stop is not None and stop():
            return PassResult(waiting="stopped")
        take(client, project, period, "pending", now=now)
    if periods:
        log.info("%s: recomputed %d snapshots of late data or merges (%s)", pid, len(periods),
                 ", ".join(str(p) for p in periods[:6]) + (" …" if len(periods) > 6 else ""))
    write_state(client, pid, PassState(
        after_version=settled_after(state, newest, newest_rows, updated),
        seen_version=newest or state.seen_version,
        seen_rows=newest_rows if newest else state.seen_rows,
        seen_at=read_at,
        arrived_since=read_at,
    ))
    return PassResult(periods, sorted(days))


def _aware(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _naive(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(tzinfo=None)
