"""`njia person show <identifier> [--project P]`."""

from __future__ import annotations

import argparse
from typing import Any


def cmd_person(args: argparse.Namespace) -> int:
    from cli.output import emit, fail
    from metadata.projects import get_project, list_projects
    from queries.persons import parse_identifier, show_person

    projects = list_projects()
    if args.project:
        project = get_project(args.project)
        if project is None:
            return fail(f"unknown project {args.project!r}")
    elif len(projects) == 1:
        project = projects[0]
    else:
        return fail("identifiers are per project: give --project "
                    f"({', '.join(p.project_id for p in projects) or 'none exist'})")
    if not args.identifier.strip():
        return fail("give an identifier: a phone, an email, a PIN or an anonymous id")
    identifier = parse_identifier(args.identifier, project.project_id,
                                  project.settings.phone_region)
    person = show_person(project.project_id, identifier)
    if person["events"] == 0 and len(person["identifiers"]) == 1:
        return fail(f"no person with {identifier} in project {project.project_id}")
    emit(person)
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("person", help="a person's identifiers and events across channels")
    psub = p.add_subparsers(dest="action", required=True)
    show = psub.add_parser("show", help="by any identifier: phone, email, PIN, anonymous id")
    show.add_argument("identifier")
    show.add_argument("--project")
    p.set_defaults(func=cmd_person)
