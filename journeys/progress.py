"""Where the model stands per project: how far it has read `events` (by arrival) and with which
timeouts its rows were computed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from clickhouse_connect.driver.client import Client

from journeys.model import Timeouts


def utc(ts: datetime) -> datetime:
    """Aware UTC, however the driver returned it."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


@dataclass(frozen=True)
class Progress:
    watermark: datetime
    timeouts: Timeouts
    rebuilding: bool = False


def read(client: Client, project_id: str) -> Progress | None:
    rows = client.query(
        "SELECT argMax(watermark, updated_at), argMax(session_timeout_s, updated_at), "
        "argMax(timeout_s, updated_at), argMax(rebuilding, updated_at), count() "
        "FROM journey_progress WHERE project_id = {project:String}",
        parameters={"project": project_id}).result_rows
    watermark, session_timeout_s, timeout_s, rebuilding, n = rows[0]
    if not n:
        return None
    return Progress(utc(watermark), Timeouts(int(session_timeout_s), int(timeout_s)),
                    bool(rebuilding))


def read_all(client: Client) -> dict[str, Progress]:
    rows = client.query(
        "SELECT project_id, argMax(watermark, updated_at), argMax(session_timeout_s, updated_at), "
        "argMax(timeout_s, updated_at), argMax(rebuilding, updated_at) "
        "FROM journey_progress GROUP BY project_id").result_rows
    return {pid: Progress(utc(w), Timeouts(int(st), int(t)), bool(rb))
            for pid, w, st, t, rb in rows}


def latest_arrivals(client: Client, since: datetime) -> dict[str, datetime]:
    """Per project, the last `inserted_at` after `since` (one scan: the minmax index skips
    parts written before it)."""
    rows = client.query(
        "SELECT project_id, max(inserted_at) FROM events "
        "WHERE inserted_at > {since:DateTime64(3, 'UTC')} GROUP BY project_id",
        parameters={"since": since.replace(tzinfo=None)}).result_rows
    return {pid: utc(ts) for pid, ts in rows}


def write(client: Client, project_id: str, watermark: datetime, timeouts: Timeouts,
          *, rebuilding: bool = False) -> None:
    client.insert("journey_progress",
                  [[project_id, watermark, timeouts.session_timeout_s, timeouts.timeout_s,
                    int(rebuilding)]],
                  column_names=["project_id", "watermark", "session_timeout_s", "timeout_s",
                                "rebuilding"])


def mark_rebuilding(client: Client, project_id: str, timeouts: Timeouts) -> None:
    """Record that a rebuild has begun (the watermark stays where it was)."""
    state = read(client, project_id)
    watermark = state.watermark if state else datetime(1970, 1, 1, tzinfo=UTC)
    write(client, project_id, watermark, state.timeouts if state else timeouts, rebuilding=True)


def server_now(client: Client) -> datetime:
    """The warehouse's clock: it stamps `inserted_at`, so watermarks are read against it."""
    return utc(client.query("SELECT now64(3, 'UTC')").result_rows[0][0])
