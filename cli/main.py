"""`njia` — the command line: run the stack, migrate, manage projects, query, inspect.

The parser lives here; each larger command lives in a module of this package with a
`register(subparsers)` function, and all of them print through `cli.output`: commands import
down the pipeline, nothing imports `cli`, so there is no cycle.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from cli.output import emit, fail

Handler = Callable[[argparse.Namespace], int]


# --- commands ------------------------------------------------------------------------------
def cmd_migrate(args: argparse.Namespace) -> int:
    from metadata.db import migrate as migrate_metadata
    from warehouse.migrate import migrate as migrate_warehouse

    if not args.warehouse_only:
        migrate_metadata()
    applied = [] if args.metadata_only else migrate_warehouse()
    emit({"warehouse_applied": applied})
    return 0


def cmd_project(args: argparse.Namespace) -> int:
    from metadata import projects

    try:
        if args.action == "create":
            emit(projects.create_project(args.name))
        elif args.action == "list":
            emit(
                [
                    {
                        "project_id": p.project_id,
                        "name": p.name,
                        "created_at": p.created_at,
                        "settings": p.settings.model_dump(),
                        "write_keys": [
                            k["prefix"] + "…"
                            for k in projects.write_key_prefixes(p.project_id)
                            if k["revoked_at"] is None
                        ],
                    }
                    for p in projects.list_projects()
                ]
            )
        elif args.action == "set":
            changes = dict(_parse_assignment(a) for a in args.assignments)
            emit(projects.update_settings(args.name, **changes).model_dump())
        elif args.action == "rotate-key":
            emit({"project_id": args.name, "write_key": projects.rotate_write_key(args.name)})
        elif args.action == "rotate-secret":
            emit(
                {
                    "project_id": args.name,
                    "webhook_secret": projects.rotate_webhook_secret(args.name),
                }
            )
    except (projects.ProjectError, ValueError) as exc:
        return fail(str(exc))
    return 0


def _parse_assignment(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"expected key=value, got {text!r}")
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        if "," in value:
            return key.strip(), [v.strip() for v in value.split(",") if v.strip()]
        return key.strip(), value


def cmd_sql(args: argparse.Namespace) -> int:
    from clickhouse_connect.driver.exceptions import ClickHouseError

    from warehouse.client import error_line, get_client

    try:
        # As the warehouse's reader: read-only (readonly=1) whatever the statement says, so no
        # write, no setting change and no file/url/executable table function.
        result = get_client().query(args.statement)
    except ClickHouseError as exc:
        return fail(f"sql: {error_line(exc)}")
    emit([dict(zip(result.column_names, row, strict=True)) for row in result.result_rows])
    return 0


def cmd_deadletters(args: argparse.Namespace) -> int:
    import redis

    from config.settings import get_settings
    from processor.deadletter import list_dead_letters, replay

    client = redis.Redis.from_url(get_settings().effective_redis_url)
    if args.action == "list":
        emit(list_dead_letters(client, count=args.count))
    else:
        emit({"replayed": replay(client, args.ids or None)})
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from stack.run import run

    return run(detach=args.detach)


def cmd_serve(args: argparse.Namespace) -> int:
    from stack.run import serve

    return serve(args.program, args.rest)


def cmd_down(_args: argparse.Namespace) -> int:
    from stack.run import down

    return down()


def cmd_status(_args: argparse.Namespace) -> int:
    from stack.run import status

    return status()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="njia", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="apply metadata and warehouse migrations (idempotent)")
    p.add_argument("--metadata-only", action="store_true")
    p.add_argument("--warehouse-only", action="store_true")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("project", help="projects (tenants): create, list, set, rotate keys")
    psub = p.add_subparsers(dest="action", required=True)
    psub.add_parser("create").add_argument("name")
    psub.add_parser("list")
    ps = psub.add_parser("set", help="per-project settings, e.g. max_event_age_seconds=2592000")
    ps.add_argument("name")
    ps.add_argument("assignments", nargs="+", metavar="key=value")
    psub.add_parser("rotate-key").add_argument("name")
    psub.add_parser("rotate-secret").add_argument("name")
    p.set_defaults(func=cmd_project)

    p = sub.add_parser("sql", help="run read-only SQL on the warehouse, print JSON rows")
    p.add_argument("statement")
    p.set_defaults(func=cmd_sql)

    p = sub.add_parser("deadletters", help="show or re-drive dead-lettered events")
    dsub = p.add_subparsers(dest="action", required=True)
    dsub.add_parser("list").add_argument("--count", type=int, default=100)
    dsub.add_parser("replay").add_argument("ids", nargs="*")
    p.set_defaults(func=cmd_deadletters)

    p = sub.add_parser("run", help="run the whole stack under supervisord")
    p.add_argument("--detach", action="store_true", help="start in the background and return")
    p.set_defaults(func=cmd_run)

    sub.add_parser("down", help="stop a stack started with `njia run --detach`").set_defaults(
        func=cmd_down
    )
    sub.add_parser("status", help="supervisord's view of the programs").set_defaults(
        func=cmd_status
    )

    p = sub.add_parser("serve", help="(used by supervisord) wait for dependencies, then exec")
    p.add_argument("program")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_serve)

    for register in _extensions():
        register(sub)
    return parser


def _extensions() -> list[Callable[[Any], None]]:
    """Commands that live in a module of their own (query, token, user, person, demo, rebuild)."""
    from cli import demo, person, query, rebuild, snapshot, tokens, users

    return [query.register, tokens.register, users.register, person.register, demo.register,
            rebuild.register, snapshot.register]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # `njia query` takes any parameter of its query as an option (`--steps a,b --window 1d`).
        if not getattr(args, "takes_options", False):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.options = extra
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
