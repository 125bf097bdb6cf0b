"""`njia demo [--days 30] [--people 5000] [--project kra-demo] [--seed N] [--collector URL]`."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any


def _stored(project_id: str) -> int:
    from warehouse.events_store import event_count

    return event_count(project_id)


def _wait_stored(project_id: str, target: int, timeout: float = 600) -> dict[str, Any]:
    """Poll the warehouse until `target` events are stored (or nothing moves for 20 s: events
    that were already stored, e.g. a re-run with the same seed, are never stored twice)."""
    began = last_change = time.monotonic()
    last = _stored(project_id)
    while last < target and time.monotonic() - began < timeout:
        time.sleep(0.5)
        now = _stored(project_id)
        if now != last:
            last, last_change = now, time.monotonic()
        elif time.monotonic() - last_change > 20:
            break
    return {"stored": last, "processed_seconds": round(time.monotonic() - began, 1)}


def cmd_demo(args: argparse.Namespace) -> int:
    from cli.output import emit, fail
    from config.settings import get_settings
    from demo import DemoError, generate, load_demo, random_seed

    if args.dry_run:
        seed = args.seed if args.seed is not None else random_seed()
        try:
            dataset = generate(args.days, args.people, seed)
        except DemoError as exc:
            return fail(str(exc))
        emit({"seed": seed, **dataset.counts(),
              "people_by_segment": dict(dataset.stats["segments"]),
              "conversations_by_course": dict(dataset.stats["conversations"])})
        return 0
    url = args.collector or f"http://127.0.0.1:{get_settings().collector_port}"
    try:
        before = _stored(args.project) if args.wait else 0
        summary = load_demo(url, args.project, args.days, args.people, args.seed,
                            progress=not args.no_progress, concurrency=args.concurrency)
    except DemoError as exc:
        return fail(str(exc))
    if args.wait:
        accepted = sum(summary["accepted"].values())
        summary.update(_wait_stored(args.project, before + accepted))
    emit(summary)
    if summary["project_created"]:
        print(f"njia: created project {args.project}; its credentials were not shown: get a "
              f"write key with `njia project rotate-key {args.project}` and a webhook secret "
              f"with `njia project rotate-secret {args.project}`", file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="load realistic KRA demo traffic through the collector")
    p.add_argument("--days", type=int, default=30, help="spread over the last N days (30)")
    p.add_argument("--people", type=int, default=5000, help="taxpayers (5000)")
    p.add_argument("--project", default="kra-demo", help="created when missing (kra-demo)")
    p.add_argument("--seed", type=int, help="same seed, same people and event ids (random)")
    p.add_argument("--collector", help="collector URL (http://127.0.0.1:$COLLECTOR_PORT)")
    p.add_argument("--concurrency", type=int, default=4, help="requests in flight (4)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--wait", action="store_true",
                   help="then wait until the processor has stored the events")
    p.add_argument("--dry-run", action="store_true", help="generate and count; send nothing")
    p.set_defaults(func=cmd_demo)
