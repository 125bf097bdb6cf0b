"""The snapshot program (supervisord's `snapshots`, started by `njia run`): the schedule and the
pending-period pass, for every project, in a loop.

Each pass, per project (its own time zone):
1. the latest run of each job (daily 02:00, Monday 03:00, 1st 04:00 — snapshots/schedule.py)
   that has not happened is run: its periods are computed and stored;
2. the pending-period pass (snapshots/pending.py) recomputes the finished periods that late
   events or identity merges changed.
It then sleeps until the next scheduled run or `--poll` seconds, whichever comes first. A
project's failure is logged and retried next pass; it never holds the other projects back.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from datetime import UTC, datetime
from types import FrameType

from clickhouse_connect.driver.client import Client

from config.logs import setup_logging
from metadata.projects import Project, list_projects
from queries.snapshots.periods import Period
from snapshots.pending import pending_pass
from snapshots.schedule import JOBS, Job, last_run, next_run
from snapshots.store import computed_at, take
from warehouse.client import new_client

log = logging.getLogger("njia.snapshots.worker")

POLL_SECONDS = 60.0


def due(client: Client, project: Project, now: datetime) -> list[tuple[Job, datetime]]:
    """The jobs whose latest run (at or before `now`) has not happened for the project: its
    first period has no snapshot computed at or after the run's time."""
    tz = project.settings.timezone
    out = []
    for job in JOBS:
        at = last_run(job, now, tz)
        done = computed_at(client, project.project_id, job.periods(at, tz)[0])
        if done is None or done < at:
            out.append((job, at))
    return out


def run_due(client: Client, project: Project, now: datetime | None = None) -> list[Period]:
    """Run the project's due jobs; the periods computed."""
    now = now or datetime.now(UTC)
    tz = project.settings.timezone
    computed: list[Period] = []
    for job, at in due(client, project, now):
        # The first period last: it marks the run as done, so an interrupted run is redone.
        for period in reversed(job.periods(at, tz)):
            take(client, project, period, "schedule", now=now)
            computed.append(period)
        log.info("%s: %s run of %s done (%d snapshots)", project.project_id, job.type,
                 at.isoformat(), len(job.periods(at, tz)))
    return computed


class Worker:
    def __init__(self, poll: float = POLL_SECONDS) -> None:
        self.client = new_client()
        self.poll = poll
        self.stopping = threading.Event()

    def stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        self.stopping.set()

    def run_once(self, now: datetime | None = None) -> int:
        """One pass over every project; how many snapshots were computed."""
        n = 0
        for project in list_projects():
            if self.stopping.is_set():
                break
            try:
                n += len(run_due(self.client, project, now))
                n += len(pending_pass(self.client, project, now,
                                      stop=self.stopping.is_set).periods)
            except Exception:
                log.exception("snapshots of %s failed; retrying next pass", project.project_id)
        return n

    def seconds_to_next(self, now: datetime) -> float:
        """Until the next scheduled run of any project, at most `poll`."""
        wait = self.poll
        for project in list_projects():
            at, _job = next_run(now, project.settings.timezone)
            wait = min(wait, (at - now).total_seconds())
        return max(wait, 0.5)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.run_once()
                wait = self.seconds_to_next(datetime.now(UTC))
            except Exception:
                log.exception("snapshot pass failed; retrying in %.0f s", self.poll)
                wait = self.poll
            self.stopping.wait(wait)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Njia snapshot scheduler")
    parser.add_argument("--poll", type=float, default=POLL_SECONDS,
                        help="seconds between pending-period passes (default %(default)s)")
    args = parser.parse_args(argv)
    setup_logging("snapshots")
    worker = Worker(args.poll)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    log.info("snapshot scheduler started: %s",
             ", ".join(f"{j.type} {j.cron}" for j in JOBS))
    worker.run()


if __name__ == "__main__":
    main()
