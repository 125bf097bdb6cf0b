"""`njia snapshot --type daily|weekly|monthly --date YYYY-MM-DD [--project P]`: compute and store
the snapshot of the period holding that date (the week Monday–Sunday, the calendar month), in
each project's time zone, now — as the schedule would; re-running replaces it. Prints the
snapshots as JSON.

`njia snapshot --pending [--project P]`: one pending-period pass (what the `snapshots` program
does every minute): recompute the finished periods late events or identity merges changed.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any


def cmd_snapshot(args: argparse.Namespace) -> int:
    from cli.output import emit, fail
    from metadata.projects import get_project, list_projects
    from queries.runner import QueryFailed
    from queries.snapshots.periods import period_of
    from snapshots.pending import pending_pass
    from snapshots.store import IncompletePeriod, take
    from warehouse.client import new_client

    if not args.pending and (args.type is None or args.date is None):
        return fail("give --type and --date (or --pending)")
    if args.project:
        project = get_project(args.project)
        if project is None:
            return fail(f"unknown project {args.project!r}")
        projects = [project]
    else:
        projects = list_projects()
    client = new_client()
    out: list[dict[str, Any]] = []
    for project in projects:
        if args.pending:
            result = pending_pass(client, project)
            out.append({"project_id": project.project_id,
                        "recomputed": [str(p) for p in result.periods],
                        **({"waiting": result.waiting} if result.waiting else {})})
            continue
        try:
            out.append(take(client, project, period_of(args.type, args.date), "cli").as_json())
        except IncompletePeriod as exc:
            return fail(f"{project.project_id}: {exc}")
        except QueryFailed as exc:
            return fail(f"{project.project_id}: {exc}")
    emit(out)
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser(
        "snapshot", help="compute and store a daily / weekly / monthly snapshot now",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--type", choices=("daily", "weekly", "monthly"),
                   help="daily, weekly (Monday–Sunday) or monthly")
    p.add_argument("--date", type=date.fromisoformat, metavar="YYYY-MM-DD",
                   help="a day of the period, in the project's time zone")
    p.add_argument("--project", help="one project (default: every project)")
    p.add_argument("--pending", action="store_true",
                   help="recompute the periods late data or identity merges changed")
    p.set_defaults(func=cmd_snapshot)
