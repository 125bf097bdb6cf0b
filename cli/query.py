"""`njia query <name> --project P --from D --to D [--param k=v …] [--<param> v …] [--format …]`.

Any other parameter of the query may also be given as an option of its own, hyphens for
underscores: `njia query funnel --steps page_view,return_filed --window 1d --count-by session`.

Runs a named query uncached — the reference the workbench's numbers are checked against — and
prints its rows as JSON (a list of objects) or CSV. `njia query --list` shows the names.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("query", help="run a named query (the same ones the workbench shows)")
    p.add_argument("name", nargs="?", help="query name (see --list)")
    p.add_argument("--list", action="store_true", help="list the named queries")
    p.add_argument("--project", help="project id")
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD",
                   help="first day, inclusive, in the project's time zone")
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last day, inclusive")
    p.add_argument("--param", action="append", default=[], metavar="k=v",
                   help="another parameter of the query (repeatable), e.g. channel=web")
    p.add_argument("--format", choices=("json", "csv"), default="json")
    p.set_defaults(func=cmd_query, takes_options=True)


def _raw_params(args: argparse.Namespace) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    if args.project is not None:
        raw["project"] = args.project
    if args.date_from is not None:
        raw["from"] = args.date_from
    if args.date_to is not None:
        raw["to"] = args.date_to
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--param {item!r}: expected key=value")
        raw[key.strip()] = value
    options = list(getattr(args, "options", []))
    while options:
        option = options.pop(0)
        name, sep, value = option.partition("=")
        if not name.startswith("--") or len(name) < 3:
            raise ValueError(f"{option!r}: expected --name value")
        if not sep:
            if not options or options[0].startswith("--"):
                raise ValueError(f"{name}: needs a value")
            value = options.pop(0)
        raw[name[2:].replace("-", "_")] = value
    return raw


def cmd_query(args: argparse.Namespace) -> int:
    from cli.output import emit, fail
    from metadata.access import OPERATOR
    from queries.catalog import QUERIES, UnknownQuery
    from queries.runner import QueryFailed, QueryParamError, run
    from queries.serialize import records, to_csv

    if args.list or not args.name:
        emit([{"name": q.name, "description": q.description,
               "params": sorted(f.alias or n for n, f in q.params.model_fields.items())}
              for q in QUERIES.values()])
        return 0
    try:
        # Whoever runs `njia` on the host owns its data dir: the operator sees every project.
        df = run(args.name, _raw_params(args), OPERATOR)
    except UnknownQuery as exc:
        return fail(str(exc))
    except QueryParamError as exc:
        return fail(f"bad parameter {exc}")
    except (ValueError, QueryFailed) as exc:
        return fail(str(exc))
    if args.format == "csv":
        sys.stdout.write(to_csv(df))
    else:
        emit(records(df))
    return 0
