"""`njia rebuild [--project P] [--from D --to D]`: recompute the stored journey model from
`events` — after a definition change, a restore, or events inserted straight into ClickHouse —
with a progress bar on stderr. Queries stay correct while it runs (journeys/rebuild.py)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from tqdm import tqdm


def cmd_rebuild(args: argparse.Namespace) -> int:
    from cli.output import emit, fail
    from journeys import progress
    from journeys.rebuild import rebuild
    from journeys.worker import timeouts_of
    from metadata.projects import get_project, list_projects
    from warehouse.client import new_client

    if (args.date_from is None) != (args.date_to is None):
        return fail("give both --from and --to, or neither (the whole history)")
    if args.date_from and args.date_to < args.date_from:
        return fail(f"--to {args.date_to} is before --from {args.date_from}")
    if args.project:
        project = get_project(args.project)
        if project is None:
            return fail(f"unknown project {args.project!r}")
        projects = [project]
    else:
        projects = list_projects()
    client = new_client()
    out = []
    for project in projects:
        timeouts = timeouts_of(project)
        started = progress.server_now(client)
        with tqdm(desc=f"rebuild {project.project_id}", unit="day", file=sys.stderr) as bar:

            def on_day(i: int, n: int, day: date, done: Any, bar: tqdm = bar) -> None:
                bar.total = n
                bar.set_postfix_str(f"{day} · {done.events:,} events")
                bar.update(1)

            result = rebuild(client, project.project_id, timeouts, args.date_from,
                             args.date_to, on_day=on_day)
        if args.date_from is None:
            # The whole history is current as of the start: the worker goes on from there.
            progress.write(client, project.project_id, started, timeouts)
        out.append({"project_id": project.project_id, "days": result.days,
                    "chains": result.chains, "events": result.events,
                    "sessions": result.sessions, "seconds": round(result.seconds, 2)})
    emit(out)
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("rebuild", help="recompute the stored sessions and conversations")
    p.add_argument("--project", help="one project (default: every project)")
    p.add_argument("--from", dest="date_from", type=date.fromisoformat,
                   help="first UTC day of events whose chains to recompute (YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", type=date.fromisoformat,
                   help="last UTC day, inclusive")
    p.set_defaults(func=cmd_rebuild)
