"""The model worker: keeps the stored journey model current, one project after another.

Each pass, per project: events that arrived since the project's watermark (by `inserted_at`,
which the warehouse stamps) and are not yet in the model have their chains recomputed
(journeys/model.py); the watermark then moves on. Arrivals are re-read `JOURNEYS_OVERLAP_SECONDS`
back, because an insert's rows can become visible after later-stamped ones; events already in
the model are skipped. A project with no progress yet, or whose timeouts changed since its rows
were computed, is rebuilt first (journeys/rebuild.py) — the Sessions page says so meanwhile.
A pass takes at most `JOURNEYS_MAX_EVENTS_PER_PASS` arrivals of one project, so a backfill into
one project waits its turn instead of holding the others back. Events inserted into ClickHouse by
hand (a backfill) arrive the same way. Exactness does not depend on this process's timing: a
chain is always recomputed whole.
"""

from __future__ import annotations

import argparse
import logging
import signal
import time
from datetime import UTC, datetime, timedelta
from types import FrameType

from clickhouse_connect.driver.client import Client

from config.logs import setup_logging
from config.settings import get_settings
from journeys import progress
from journeys.model import Recomputed, Timeouts, recompute
from journeys.rebuild import rebuild
from metadata.projects import Project, list_projects
from warehouse.client import new_client

log = logging.getLogger("njia.journeys.worker")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ARRIVALS = (
    "(SELECT * FROM events WHERE project_id = {project:String}"
    " AND inserted_at > {lo:DateTime64(3, 'UTC')} AND inserted_at <= {hi:DateTime64(3, 'UTC')}"
    " AND event_id NOT IN (SELECT event_id FROM journey_events"
    "   WHERE project_id = {project:String} AND version > {done_since:UInt64}))"
)
# Identifiers whose person changed in the pass's window (merges arrive in person_map by
# `updated_at`, which the warehouse stamps, like events by `inserted_at`).
REMAPPED = (
    "(SELECT identifier FROM person_map WHERE project_id = {project:String}"
    " AND updated_at > {lo:DateTime64(3, 'UTC')} AND updated_at <= {hi:DateTime64(3, 'UTC')})"
)
# The chains holding a row (event or session) of such an identifier whose stored person is not
# its person now: recomputing them repairs the persons. Rows already repaired are not found
# again, so re-reading the window's overlap costs a lookup, not a recompute. Bloom indexes find
# the rows under FINAL (recompute sets use_skip_indexes_if_final): a row's key may differ
# between its versions (a session's person_key), so an old version may be read where the
# newest was skipped — that recomputes a chain that needed none, and never misses one.
STALE_CHAINS = (
    "SELECT DISTINCT r.journey_key FROM ("
    "  SELECT journey_key, event_key AS identifier, person_id FROM journey_events FINAL"
    "  WHERE project_id = {project:String} AND deleted = 0 AND event_key IN " + REMAPPED +
    "  UNION ALL"
    "  SELECT journey_key, person_key, person_id FROM journey_sessions FINAL"
    "  WHERE project_id = {project:String} AND deleted = 0 AND person_key IN " + REMAPPED +
    ") AS r INNER JOIN ("
    "  SELECT identifier, argMax(person_id, version) AS person_id FROM person_map"
    "  WHERE project_id = {project:String} AND identifier IN " + REMAPPED +
    "  GROUP BY identifier"
    ") AS m ON m.identifier = r.identifier WHERE r.person_id != m.person_id"
)


def timeouts_of(project: Project) -> Timeouts:
    s = project.settings
    return Timeouts(s.session_timeout_seconds, s.conversation_timeout_seconds)


def _naive(ts: datetime) -> datetime:
    return ts.replace(tzinfo=None)


def _ns(ts: datetime) -> int:
    return int((_naive(ts) - datetime(1970, 1, 1)).total_seconds() * 1e9)


def catch_up(client: Client, project: Project, state: progress.Progress | None
             ) -> Recomputed | None:
    """One pass for one project; None when nothing arrived."""
    settings = get_settings()
    timeouts = timeouts_of(project)
    pid = project.project_id
    if state is None or not state.current(timeouts):
        started = progress.server_now(client)
        why = ("first start" if state is None else "timeouts changed"
               if state.timeouts != timeouts else "the journey SQL changed")
        log.info("rebuilding the journey model of %s (%s)", pid, why)
        progress.mark_rebuilding(client, pid, timeouts)
        done = rebuild(client, pid, timeouts)
        progress.write(client, pid, started, timeouts)
        return Recomputed(0, done.chains, done.events, done.sessions, done.seconds)
    lo = state.watermark - timedelta(seconds=settings.journeys_overlap_seconds)
    # The cap counts arrivals after the watermark: those before it are mostly done already.
    hi = _pass_end(client, pid, state.watermark, progress.server_now(client),
                   settings.journeys_max_events_per_pass)
    params = {"lo": _naive(lo), "hi": _naive(hi),
              # Anything that arrived after `lo` and is in the model was written by a pass that
              # began after it arrived, so with a version above lo's nanoseconds.
              "done_since": max(0, _ns(lo) - 60 * 10**9)}
    arrivals, remapped = client.query(
        f"SELECT (SELECT count() FROM {ARRIVALS}), (SELECT count() FROM {REMAPPED})",
        parameters={**params, "project": pid}).result_rows[0]
    if not arrivals and not remapped:
        return None  # nothing new: the watermark stays, so stragglers are still looked for
    done = recompute(client, pid, ARRIVALS, timeouts, params,
                     chains=STALE_CHAINS if remapped else None)
    progress.write(client, pid, hi, timeouts)
    return done if done.chains else None


def _pass_end(client: Client, project_id: str, lo: datetime, now: datetime, most: int
              ) -> datetime:
    """`now`, or earlier when more than `most` events arrived since `lo` (the watermark)."""
    row = client.query(
        "SELECT count(), max(inserted_at) FROM (SELECT inserted_at FROM events "
        "WHERE project_id = {project:String} AND inserted_at > {lo:DateTime64(3, 'UTC')} "
        "AND inserted_at <= {now:DateTime64(3, 'UTC')} ORDER BY inserted_at LIMIT {most:UInt32})",
        parameters={"project": project_id, "lo": _naive(lo), "now": _naive(now),
                    "most": most}).result_rows[0]
    return progress.utc(row[1]) if row[0] >= most else now


class Worker:
    def __init__(self) -> None:
        self.client = new_client()
        self.running = True

    def stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        self.running = False

    def run_once(self) -> int:
        """One pass over every project that needs one; how many chains were recomputed."""
        overlap = timedelta(seconds=get_settings().journeys_overlap_seconds)
        states = progress.read_all(self.client)
        projects = list_projects()
        known = [states[p.project_id].watermark for p in projects if p.project_id in states]
        now = progress.server_now(self.client)
        arrived = progress.latest_arrivals(self.client, min(known, default=now) - overlap)
        chains = 0
        for project in projects:
            state = states.get(project.project_id)
            if (state is not None and state.current(timeouts_of(project))
                    and arrived.get(project.project_id, EPOCH) <= state.watermark
                    and now - state.watermark > overlap):
                continue  # nothing new, and past the window in which stragglers show up
            done = catch_up(self.client, project, state)
            if done is not None:
                chains += done.chains
                log.debug("%s: %d chains, %d events, %d sessions in %.2f s", project.project_id,
                          done.chains, done.events, done.sessions, done.seconds)
        return chains

    def run(self) -> None:
        poll = get_settings().journeys_poll_seconds
        backoff = poll
        while self.running:
            try:
                busy = self.run_once()
                backoff = poll
            except Exception:
                log.exception("journey model pass failed; retrying in %.1f s", backoff)
                busy = 0
                time.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if not busy:
                time.sleep(poll)


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description="Njia journey model worker").parse_args(argv)
    setup_logging("journeys")
    worker = Worker()
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run()


if __name__ == "__main__":
    main()
