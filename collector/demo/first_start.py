"""`njia run`'s first start: fill the demo project with the default demo when it is empty.

Called from config/first_start.py in the foreground terminal, after migrations and after the
"Njia is up" banner. It waits for the collector itself (first_start runs before run() checks
it), prints a progress bar and one summary line (never a secret), and never raises: a failed
load must not stop the stack — `njia demo` can load it later.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from collector.demo import DEFAULT_DAYS, DEFAULT_PEOPLE, DEFAULT_PROJECT, demo_is_empty, load_demo
from config.settings import Settings

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
        from config.embedded import wait_for_http

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
