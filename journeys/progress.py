"""Where the model stands per project: how far it has read `events` and `person_map` (by
arrival), and with which timeouts and journey SQL (its hash) its rows were computed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from clickhouse_connect.driver.client import Client

from journeys.model import Timeouts
from warehouse.journey_sql import definition


def utc(ts: datetime) -> datetime:
    """Aware UTC, however the driver returned it."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


@dataclass(frozen=True)
class Progress:
    watermark: datetime
    timeouts: Timeouts
    rebuilding: bool = False
    definition: str = ""

    def current(self, timeouts: Timeouts) -> bool:
        """Whether the rows were computed with these timeouts and this code's journey SQL."""
        return self.timeouts == timeouts and self.definition == definition()


def read(client: Client, project_id: str) -> Progress | None:
    rows = client.query(
        "SELECT argMax(watermark, updated_at), argMax(session_timeout_s, updated_at), "
        "argMax(timeout_s, updated_at), argMax(rebuilding, updated_at), "
        "argMax(definition, updated_at), count() "
        "FROM journey_progress WHERE project_id = {project:String}",
        parameters={"project": project_id}).result_rows
    watermark, session_timeout_s, timeout_s, rebuilding, defined, n = rows[0]
    if not n:
        return None
    return Progress(utc(watermark), Timeouts(int(session_timeout_s), int(timeout_s)),
                    bool(rebuilding), defined)


def read_all(client: Client) -> dict[str, Progress]:
    rows = client.query(
        "SELECT project_id, argMax(watermark, updated_at), argMax(session_timeout_s, updated_at), "
        "argMax(timeout_s, updated_at), argMax(rebuilding, updated_at), "
        "argMax(definition, updated_at) "
        "FROM journey_progress GROUP BY project_id").result_rows
    return {pid: Progress(utc(w), Timeouts(int(st), int(t)), bool(rb), d)
            for pid, w, st, t, rb, d in rows}


def latest_arrivals(client: Client, since: datetime) -> dict[str, datetime]:
    """Per project, the last arrival after `since`: an event (`inserted_at`) or a change of
    person (`updated_at`); minmax indexes skip the parts written before it."""
    rows = client.query(
        "SELECT project_id, max(at) FROM ("
        "  SELECT project_id, inserted_at AS at FROM events"
        "  WHERE inserted_at > {since:DateTime64(3, 'UTC')}"
        "  UNION ALL"
        "  SELECT project_id, updated_at FROM person_map"
        "  WHERE updated_at > {since:DateTime64(3, 'UTC')}"
        ") GROUP BY project_id",
        parameters={"since": since.replace(tzinfo=None)}).result_rows
    return {pid: utc(ts) for pid, ts in rows}


def write(client: Client, project_id: str, watermark: datetime, timeouts: Timeouts,
          *, rebuilding: bool = False, defined: str | None = None) -> None:
    """Record progress; `defined`: the journey SQL's hash the rows hold (this code's unless
    said)."""
    client.insert("journey_progress",
                  [[project_id, watermark, timeouts.session_timeout_s, timeouts.timeout_s,
                    int(rebuilding), definition() if defined is None else defined]],
                  column_names=["project_id", "watermark", "session_timeout_s", "timeout_s",
                                "rebuilding", "definition"])


def mark_rebuilding(client: Client, project_id: str, timeouts: Timeouts) -> None:
    """Record that a rebuild has begun (the watermark stays where it was)."""
    state = read(client, project_id)
    watermark = state.watermark if state else datetime(1970, 1, 1, tzinfo=UTC)
    # The rows still hold what they were computed with, until the rebuild ends.
    write(client, project_id, watermark, state.timeouts if state else timeouts, rebuilding=True,
          defined=state.definition if state else "")


def server_now(client: Client) -> datetime:
    """The warehouse's clock: it stamps `inserted_at`, so watermarks are read against it."""
    return utc(client.query("SELECT now64(3, 'UTC')").result_rows[0][0])
