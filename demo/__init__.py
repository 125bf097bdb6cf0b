"""`njia demo`: realistic KRA traffic (web filing journeys, WhatsApp, the AI agent, campaigns)
sent through the collector's real endpoints.

    from demo import load_demo, demo_is_empty

    if demo_is_empty("kra-demo"):
        summary = load_demo("http://127.0.0.1:3000", "kra-demo", days=30, people=5000, seed=1)

`load_demo` prints nothing but the progress bar (stderr) and never returns a secret.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from demo.clock import iso
from demo.errors import DemoError

DEFAULT_PROJECT = "kra-demo"
DEFAULT_DAYS = 30
DEFAULT_PEOPLE = 5000

__all__ = ["DemoError", "demo_is_empty", "generate", "load_demo", "random_seed"]


def demo_is_empty(project_id: str) -> bool:
    """True when the warehouse holds no event of the project (events still queued in Redis
    are not counted)."""
    # Imported here: `njia --help` should not pay for SQLAlchemy and the warehouse client.
    from demo.project import demo_is_empty as is_empty

    return is_empty(project_id)


def generate(days: int = DEFAULT_DAYS, people: int = DEFAULT_PEOPLE, seed: int = 1,
             now_ms: int | None = None) -> Any:
    """The payloads without sending them (a `scenario.Dataset`); same seed and `now_ms`, same
    bytes."""
    from demo.scenario import generate as build

    _check_size(days, people)
    return build(people, days, seed, now_ms if now_ms is not None else int(time.time() * 1000))


def _check_size(days: int, people: int) -> None:
    if days < 1 or people < 1:
        raise DemoError("days and people must be at least 1")


def random_seed() -> int:
    return random.SystemRandom().randrange(1, 2**31)


def load_demo(collector_url: str, project_id: str = DEFAULT_PROJECT, days: int = DEFAULT_DAYS,
              people: int = DEFAULT_PEOPLE, seed: int | None = None, progress: bool = True,
              *, concurrency: int = 4) -> dict[str, Any]:
    """Generate the demo and post it to the collector; returns what was sent and accepted.

    Creates the project when missing (its credentials are not shown), raises its maximum event
    age to cover `days`, sends with a write key of its own and revokes that key afterwards.
    Without a seed a random one is drawn (and returned), so a second load adds new people.
    """
    from demo.project import prepare
    from demo.send import check_collector, send
    from metadata.projects import revoke_write_key

    _check_size(days, people)
    check_collector(collector_url)
    seed = seed if seed is not None else random_seed()
    began = time.monotonic()
    credentials = prepare(project_id, days)
    try:
        dataset = generate(days, people, seed)
        generated = time.monotonic() - began
        report = asyncio.run(send(dataset, collector_url, credentials.write_key,
                                  credentials.webhook_secret, concurrency=concurrency,
                                  progress=progress))
    finally:
        # Nobody has seen this key: leave nothing active that nobody knows about.
        revoke_write_key(credentials.write_key)
    counts = dataset.counts()
    return {
        "project": project_id,
        "project_created": credentials.created,
        "seed": seed,
        "days": days,
        "people": people,
        "from": iso(dataset.start_ms),
        "to": iso(dataset.now_ms),
        "events": counts["total"],
        "sent": {"/v1/capture": counts["capture"], "/v1/webhooks/crm": counts["crm"]},
        "accepted": dict(report.accepted),
        "rejected": dict(report.rejected),
        "rejections": report.rejections,
        "by_event": counts["by_event"],
        "people_by_segment": dict(dataset.stats["segments"]),
        "conversations_by_course": dict(dataset.stats["conversations"]),
        "requests": report.requests,
        "retries": report.retries,
        "generate_seconds": round(generated, 2),
        "send_seconds": round(report.seconds, 2),
        "events_per_second": round(counts["total"] / report.seconds) if report.seconds else 0,
    }
