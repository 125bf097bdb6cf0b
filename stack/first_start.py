"""What the first `njia run` does beyond the demo project: the demo admin, then the demo data.

`njia run` calls `extra_first_start` in the foreground terminal after migrations, so whatever is
printed here reaches the person who typed `make run` (and only them: not a program's log).
`after_start` loads the demo data once every program is up; it waits for the collector itself,
prints a progress bar and one summary line (never a secret), and never raises: a failed load
must not stop the stack — `njia demo` can load it later.
"""

from __future__ import annotations

import json
import logging
import secrets
import sys
from datetime import UTC, datetime
from typing import Any

from config.settings import Settings
from demo import DEFAULT_DAYS, DEFAULT_PEOPLE, DEFAULT_PROJECT, demo_is_empty, load_demo
from stack.banner import banner
from stack.embedded import wait_for_http

DEMO_ADMIN = "admin"


def create_demo_admin(settings: Settings) -> str | None:
    """Demo mode, no users yet: create an admin with a random password and print it once.

    Returns the password (for tests), or None when nothing was created.
    """
    from metadata import users

    if users.count_users() > 0:
        return None
    if settings.mode != "demo":
        banner(
            "No workbench user yet",
            "Create one: njia user add <username> --role admin --projects '*'",
        )
        return None
    password = secrets.token_urlsafe(12)
    users.add_user(DEMO_ADMIN, password, role="admin", projects=[users.ALL_PROJECTS],
                   name="Administrator")
    banner(
        "Workbench admin created (shown only now)",
        f"username: {DEMO_ADMIN}",
        f"password: {password}",
        f"Change it: njia user set-password {DEMO_ADMIN}",
        f"Workbench: http://localhost:{settings.workbench_port}",
    )
    return password


def extra_first_start(settings: Settings) -> None:
    create_demo_admin(settings)


def after_start(settings: Settings) -> None:
    """Once every program is up: the demo data, into an empty demo project (demo mode only)."""
    load_on_first_start(settings)


log = logging.getLogger("njia.demo")


def load_on_first_start(settings: Settings, project_id: str = DEFAULT_PROJECT,
                        days: int = DEFAULT_DAYS, people: int = DEFAULT_PEOPLE
                        ) -> dict[str, Any] | None:
    """Load the default demo into `project_id` when it holds no events yet (demo mode only).

    A marker under the data dir records a load, so a restart before the processor has stored
    the events (the warehouse still looks empty) does not load a second copy.
    """
    if settings.mode != "demo":
        return None
    marker = settings.data_dir / "demo" / f"{project_id}.loaded"
    try:
        if marker.exists() or not demo_is_empty(project_id):
            return None
        url = f"http://127.0.0.1:{settings.collector_port}"
        wait_for_http(f"{url}/v1/health", timeout=120)
        print(f"Loading demo data into {project_id}: {people} taxpayers over the last {days} "
              "days (only ever into an empty project)", file=sys.stderr, flush=True)
        summary = load_demo(url, project_id, days, people, progress=True)
    except Exception as exc:  # the stack must come up anyway
        log.warning("demo data not loaded: %s (load it with `njia demo`)", exc)
        return None
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"loaded_at": datetime.now(UTC).isoformat(),
                                  "seed": summary["seed"], "events": summary["events"]}))
    print(f"Demo data: {summary['events']} events sent in {summary['send_seconds']} s "
          f"({summary['events_per_second']}/s); the processor stores them in the next seconds.",
          file=sys.stderr, flush=True)
    return summary
