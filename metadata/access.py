"""Who may read what: the principal behind every data read, checked against the store *now*.

A principal is a signed-in workbench user (with the sign-in session that names them), an HTTP
API read token, or the CLI operator (whoever can run `njia` on the host already owns the data
dir). It is passed down to the query layer, which calls `check_project` before every read: the
check reads the metadata store on each call, so a user removed, moved to other projects or
signed out, or a token revoked, sees nothing more from the next query on — whatever page,
fragment or cache asked. Admin actions ask `require_admin` here too, never in a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from metadata import tokens, users

Kind = Literal["user", "token", "operator"]


class AccessDenied(PermissionError):
    """The principal may not read this project (or do this), as of now."""


@dataclass(frozen=True, slots=True)
class Principal:
    kind: Kind
    name: str  # username; a token's shown prefix; "operator"
    # The workbench sign-in this user acts through (revoked by sign-out, removal, new password).
    session: str | None = None
    # A read token's hash and project: the token itself is never kept.
    token_hash: str | None = None
    token_project: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


OPERATOR = Principal("operator", "operator")


def for_user(username: str, session: str | None = None) -> Principal:
    return Principal("user", username, session=session)


def for_token(token: str) -> Principal | None:
    """The principal of a live read token, or None (unknown, revoked, or not a read token)."""
    project = tokens.project_for_read_token(token)
    if project is None:
        return None
    from metadata import crypto

    return Principal("token", token[: tokens.SHOWN_PREFIX_CHARS],
                     token_hash=crypto.hash_secret(token), token_project=project)


def current_user(principal: Principal) -> users.User:
    """The user behind a user principal as the store knows them now; AccessDenied if gone."""
    if principal.kind != "user":
        raise AccessDenied(f"{principal} is not a workbench user")
    user = users.get_user(principal.name)
    if user is None:
        raise AccessDenied(f"user {principal.name!r} no longer exists")
    if principal.session is not None and not _session_active(principal):
        raise AccessDenied(f"the sign-in of {principal.name!r} has ended; sign in again")
    return user


def _session_active(principal: Principal) -> bool:
    from metadata import signins

    return signins.active(principal.session or "", principal.name)


def check_project(principal: Principal, project_id: str) -> None:
    """Raise AccessDenied unless `principal` may read `project_id` right now."""
    if principal.kind == "operator":
        return
    if principal.kind == "token":
        live = tokens.project_for_token_hash(principal.token_hash or "")
        if live is None:
            raise AccessDenied(f"read token {principal.name}… has been revoked")
        if live != project_id:
            raise AccessDenied(f"this token reads project {live!r}, not {project_id!r}")
        return
    user = current_user(principal)
    if not user.can_see(project_id):
        raise AccessDenied(f"user {user.username!r} may not see project {project_id!r}")


def visible_projects(principal: Principal, project_ids: list[str]) -> list[str]:
    """The projects of `project_ids` this principal may read now (none once access is gone)."""
    out = []
    for project_id in project_ids:
        try:
            check_project(principal, project_id)
        except AccessDenied:
            continue
        out.append(project_id)
    return out


def require_admin(principal: Principal, *, all_projects: bool = False,
                  project_id: str | None = None) -> None:
    """Raise AccessDenied unless `principal` may administer: an admin user (of every project
    when `all_projects`, e.g. to manage users; of `project_id` when given) or the operator."""
    if principal.kind == "operator":
        return
    user = current_user(principal)
    if not user.is_admin:
        raise AccessDenied(f"user {user.username!r} is not an administrator")
    if all_projects and users.ALL_PROJECTS not in user.projects:
        raise AccessDenied("only an administrator of all projects manages users")
    if project_id is not None and not user.can_see(project_id):
        raise AccessDenied(f"user {user.username!r} may not administer project {project_id!r}")
