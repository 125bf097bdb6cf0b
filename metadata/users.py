"""Workbench users: bcrypt password hashes, a role (admin / analyst) and the projects they see.

The metadata store is where users live, with bcrypt hashes only; the workbench signs them in
with `verify_password` (workbench/auth.py) and keeps each sign-in in `signins`, which removing a
user or setting a new password ends. A `users.yaml` in streamlit-authenticator's format may be
imported once (`import_yaml`), but it is not read at run time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import bcrypt
import sqlalchemy as sa

from metadata import signins
from metadata.db import engine
from metadata.projects import get_project
from metadata.tables import users

ROLES = ("admin", "analyst")
ALL_PROJECTS = "*"
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,99}$")
MIN_PASSWORD = 8
MAX_PASSWORD_BYTES = 72  # bcrypt ignores what follows


class UserError(ValueError):
    pass


@dataclass(frozen=True)
class User:
    username: str
    name: str
    email: str
    role: str
    projects: tuple[str, ...]
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_see(self, project_id: str) -> bool:
        return ALL_PROJECTS in self.projects or project_id in self.projects

    def visible(self, project_ids: Iterable[str]) -> list[str]:
        return [p for p in project_ids if self.can_see(p)]

    def public(self) -> dict[str, Any]:
        """What may be printed or shown: never the hash."""
        return {"username": self.username, "name": self.name, "email": self.email,
                "role": self.role, "projects": list(self.projects),
                "created_at": self.created_at}


def _row_to_user(row: Any) -> User:
    return User(row.username, row.name, row.email, row.role, tuple(row.projects or ()),
                row.created_at)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password must be at least {MIN_PASSWORD} characters")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise UserError(f"password must be at most {MAX_PASSWORD_BYTES} bytes")


def hash_password(password: str) -> str:
    check_password(password)
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def _check_username(username: str) -> str:
    # User names are case-insensitive: kept lower-case, as the sign-in form looks them up.
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise UserError(
            f"username {username!r} must be 1-100 chars of a-z, 0-9, '.', '_', '@' or '-'"
        )
    return username


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    return role


def _check_projects(projects: Iterable[str]) -> list[str]:
    out = []
    for project in projects:
        project = project.strip()
        if not project:
            continue
        if project != ALL_PROJECTS and get_project(project) is None:
            raise UserError(f"unknown project {project!r}")
        if project not in out:
            out.append(project)
    return out


def add_user(username: str, password: str, *, role: str = "analyst",
             projects: Iterable[str] = (), name: str = "", email: str = "",
             password_hash: str | None = None) -> User:
    username = _check_username(username)
    role = _check_role(role)
    project_list = _check_projects(projects)
    hashed = password_hash or hash_password(password)
    with engine().begin() as conn:
        if conn.execute(sa.select(users.c.username).where(users.c.username == username)).first():
            raise UserError(f"user {username!r} already exists")
        conn.execute(users.insert().values(
            username=username, name=name.strip() or username, email=email.strip(),
            password_hash=hashed, role=role, projects=project_list, created_at=datetime.now(UTC),
        ))
    return require_user(username)


def get_user(username: str) -> User | None:
    with engine().connect() as conn:
        row = conn.execute(
            sa.select(users).where(users.c.username == username.strip().lower())
        ).first()
    return _row_to_user(row) if row else None


def require_user(username: str) -> User:
    user = get_user(username)
    if user is None:
        raise UserError(f"unknown user {username!r}")
    return user


def list_users() -> list[User]:
    with engine().connect() as conn:
        rows = conn.execute(sa.select(users).order_by(users.c.username)).all()
    return [_row_to_user(r) for r in rows]


def count_users() -> int:
    with engine().connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one())


def _update(username: str, **values: Any) -> User:
    user = require_user(username)
    with engine().begin() as conn:
        conn.execute(users.update().where(users.c.username == user.username).values(**values))
    return require_user(user.username)


def set_password(username: str, password: str) -> None:
    """A new password; every sign-in made with the old one ends (whoever knew it is out)."""
    user = _update(username, password_hash=hash_password(password))
    signins.revoke_user(user.username)


def set_role(username: str, role: str) -> User:
    return _update(username, role=_check_role(role))


def set_projects(username: str, projects: Iterable[str]) -> User:
    return _update(username, projects=_check_projects(projects))


def remove_user(username: str) -> None:
    """Remove the user and end their sign-ins (their cookies sign no one in any more)."""
    user = require_user(username)
    with engine().begin() as conn:
        conn.execute(users.delete().where(users.c.username == user.username))
    signins.revoke_user(user.username)


@cache
def _no_such_user_hash() -> str:
    """Checked when the user name is unknown, so a wrong name takes as long as a wrong
    password (the time taken does not tell which names exist). Made once, when first needed."""
    return bcrypt.hashpw(b"no such user", bcrypt.gensalt()).decode()


def verify_password(username: str, password: str) -> bool:
    with engine().connect() as conn:
        row = conn.execute(
            sa.select(users.c.password_hash).where(users.c.username == username.strip().lower())
        ).first()
    secret = password.encode()
    if len(secret) > MAX_PASSWORD_BYTES:
        return False  # no stored password is longer (bcrypt 5 refuses to check one either)
    stored = row.password_hash if row is not None else _no_such_user_hash()
    return bcrypt.checkpw(secret, stored.encode()) and row is not None


def import_yaml(path: Path) -> list[str]:
    """Import users from a streamlit-authenticator style YAML (credentials.usernames.*).

    Each entry: name (or first_name/last_name), email, password (a bcrypt hash, or clear text
    that is hashed now), roles (first one used) and Njia's own `projects` list. Existing users
    are left alone. Returns the usernames created.
    """
    import yaml

    data = yaml.safe_load(Path(path).read_text()) or {}
    entries = (data.get("credentials") or {}).get("usernames") or {}
    created = []
    for username, entry in entries.items():
        entry = entry or {}
        if get_user(str(username)) is not None:
            continue
        password = str(entry.get("password") or "")
        is_hash = password.startswith(("$2b$", "$2a$", "$2y$")) and len(password) == 60
        roles = entry.get("roles") or [entry.get("role") or "analyst"]
        name = entry.get("name") or " ".join(
            x for x in (entry.get("first_name"), entry.get("last_name")) if x
        )
        add_user(str(username), "" if is_hash else password, role=str(roles[0]),
                 projects=entry.get("projects") or [], name=name or "",
                 email=str(entry.get("email") or ""),
                 password_hash=password if is_hash else None)
        created.append(str(username).lower())
    return created
