"""`njia user add|list|set-password|set-role|set-projects|remove|import`: workbench users.

Passwords are prompted for (twice, not echoed) or read from stdin with `--password-stdin`;
nothing secret is ever printed.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any


def _projects(value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


def register(sub: Any) -> None:
    p = sub.add_parser("user", help="workbench users: add, list, passwords, roles, projects")
    usub = p.add_subparsers(dest="action", required=True)

    a = usub.add_parser("add", help="create a user (prompts for the password)")
    a.add_argument("username")
    a.add_argument("--role", choices=("admin", "analyst"), default="analyst")
    a.add_argument("--projects", type=_projects, default=[],
                   help="comma-separated project ids the user sees, or '*' for all")
    a.add_argument("--name", default="")
    a.add_argument("--email", default="")
    a.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of stdin (scripts)")

    usub.add_parser("list", help="users, roles and projects (no secrets)")

    s = usub.add_parser("set-password", help="change a user's password")
    s.add_argument("username")
    s.add_argument("--password-stdin", action="store_true")

    r = usub.add_parser("set-role")
    r.add_argument("username")
    r.add_argument("role", choices=("admin", "analyst"))

    sp = usub.add_parser("set-projects", help="replace the user's projects ('*' for all)")
    sp.add_argument("username")
    sp.add_argument("projects", type=_projects)

    rm = usub.add_parser("remove")
    rm.add_argument("username")

    i = usub.add_parser("import", help="import users from a streamlit-authenticator YAML")
    i.add_argument("path", nargs="?", default="config/users.yaml")
    p.set_defaults(func=cmd_user)


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValueError("no terminal to ask the password on: pipe it with --password-stdin")
    try:
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != first:
            raise ValueError("the passwords differ")
    except EOFError:
        raise ValueError("no password given") from None
    return first


def cmd_user(args: argparse.Namespace) -> int:
    from cli.output import emit, fail
    from metadata import users

    try:
        if args.action == "add":
            user = users.add_user(
                args.username, read_password(args.password_stdin), role=args.role,
                projects=args.projects or (["*"] if args.role == "admin" else []),
                name=args.name, email=args.email,
            )
            emit(user.public())
        elif args.action == "list":
            emit([u.public() for u in users.list_users()])
        elif args.action == "set-password":
            users.require_user(args.username)
            users.set_password(args.username, read_password(args.password_stdin))
            emit({"username": args.username.lower(), "password": "changed"})
        elif args.action == "set-role":
            emit(users.set_role(args.username, args.role).public())
        elif args.action == "set-projects":
            emit(users.set_projects(args.username, args.projects).public())
        elif args.action == "remove":
            users.remove_user(args.username)
            emit({"username": args.username.lower(), "removed": True})
        else:
            emit({"created": users.import_yaml(args.path)})
    except (users.UserError, ValueError, OSError) as exc:
        return fail(str(exc))
    return 0
