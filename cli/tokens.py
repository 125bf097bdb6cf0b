"""`njia token create|revoke|list`: read tokens for the HTTP query API."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("token", help="read tokens for the HTTP query API (per project)")
    tsub = p.add_subparsers(dest="action", required=True)
    c = tsub.add_parser("create", help="create a token (printed once)")
    c.add_argument("project")
    c.add_argument("--name", required=True, help="what uses it, e.g. 'kra-bi-reports'")
    r = tsub.add_parser("revoke", help="revoke a project's token by name or shown prefix")
    r.add_argument("project")
    r.add_argument("which", metavar="name-or-prefix")
    ls = tsub.add_parser("list", help="tokens (prefixes only), optionally of one project")
    ls.add_argument("project", nargs="?")
    p.set_defaults(func=cmd_token)


def cmd_token(args: argparse.Namespace) -> int:
    from cli.output import emit, fail
    from metadata import tokens
    from metadata.projects import ProjectError

    try:
        if args.action == "create":
            created = tokens.create_token(args.project, args.name)
            emit({**created, "note": "shown only now; send it as 'Authorization: Bearer <token>'"})
        elif args.action == "revoke":
            revoked = tokens.revoke_token(args.project, args.which)
            if not revoked:
                return fail(f"no active token {args.which!r} in project {args.project!r}")
            emit({"project_id": args.project, "revoked": revoked})
        else:
            emit(tokens.list_tokens(args.project))
    except ProjectError as exc:
        return fail(str(exc))
    return 0
