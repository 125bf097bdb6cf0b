"""Administration as a principal does it: every action checks the role here, against the store
as it is now, so no page (or a page's stale state) decides who may administer.

Project actions need an admin of that project; user management needs an admin of all projects
('*'), because users span projects (an admin of some could otherwise make an admin of all).
The CLI (`njia project|token|user`) is the host operator and calls the underlying modules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from metadata import projects, tokens, users
from metadata.access import Principal, require_admin


def visible_projects(principal: Principal) -> list[str]:
    """The projects `principal` administers (none unless an admin)."""
    require_admin(principal)
    everything = [p.project_id for p in projects.list_projects()]
    if principal.kind == "operator":
        return everything
    from metadata.access import current_user

    return current_user(principal).visible(everything)


def create_project(principal: Principal, name: str) -> dict[str, str]:
    require_admin(principal)
    created = projects.create_project(name)
    if principal.kind == "user":
        me = users.require_user(principal.name)
        if users.ALL_PROJECTS not in me.projects:  # the creator administers what they made
            users.set_projects(me.username, [*me.projects, created["project_id"]])
    return created


def rotate_write_key(principal: Principal, project_id: str) -> str:
    require_admin(principal, project_id=project_id)
    return projects.rotate_write_key(project_id)


def rotate_webhook_secret(principal: Principal, project_id: str) -> str:
    require_admin(principal, project_id=project_id)
    return projects.rotate_webhook_secret(project_id)


def update_settings(principal: Principal, project_id: str,
                    **changes: Any) -> projects.ProjectSettings:
    require_admin(principal, project_id=project_id)
    return projects.update_settings(project_id, **changes)


def list_tokens(principal: Principal) -> list[dict[str, Any]]:
    mine = set(visible_projects(principal))
    return [t for t in tokens.list_tokens() if t["project_id"] in mine]


def create_token(principal: Principal, project_id: str, name: str) -> dict[str, str]:
    require_admin(principal, project_id=project_id)
    return tokens.create_token(project_id, name)


def revoke_token(principal: Principal, project_id: str, which: str) -> int:
    require_admin(principal, project_id=project_id)
    return tokens.revoke_token(project_id, which)


def list_users(principal: Principal) -> list[users.User]:
    require_admin(principal, all_projects=True)
    return users.list_users()


def add_user(principal: Principal, username: str, password: str, *, role: str = "analyst",
             projects: Iterable[str] = (), name: str = "", email: str = "") -> users.User:
    require_admin(principal, all_projects=True)
    return users.add_user(username, password, role=role, projects=projects, name=name,
                          email=email)


def update_user(principal: Principal, username: str, *, role: str,
                projects: Iterable[str], password: str = "") -> None:
    require_admin(principal, all_projects=True)
    users.set_role(username, role)
    users.set_projects(username, projects)
    if password:
        users.set_password(username, password)


def remove_user(principal: Principal, username: str) -> None:
    require_admin(principal, all_projects=True)
    if principal.kind == "user" and principal.name == username:
        raise users.UserError("you cannot remove yourself")
    users.remove_user(username)
