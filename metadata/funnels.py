"""Funnels users save, per project, with a name and an owner (the Funnels page).

A definition is the funnel's parameters but project and dates (steps, window, order, …), as the
page hands them to the `funnel` query; it is checked by that query's params model when it is
opened, so a funnel saved before a change of the model says what is wrong instead of failing.
Access is checked where the rows are read and written: only a principal who may read the
project sees or saves its funnels. Anyone who may read the project may open a saved funnel
(shared by URL); only its owner or an admin replaces or deletes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from metadata.access import Principal, check_project
from metadata.db import engine
from metadata.projects import ProjectError
from metadata.tables import saved_funnels

MAX_NAME = 200


@dataclass(frozen=True)
class SavedFunnel:
    id: int
    project_id: str
    name: str
    owner: str
    definition: dict[str, Any]
    updated_at: datetime


def _row(r: Any) -> SavedFunnel:
    return SavedFunnel(r.id, r.project_id, r.name, r.owner, dict(r.definition), r.updated_at)


def list_funnels(principal: Principal, project_id: str) -> list[SavedFunnel]:
    check_project(principal, project_id)
    with engine().connect() as conn:
        rows = conn.execute(sa.select(saved_funnels)
                            .where(saved_funnels.c.project_id == project_id)
                            .order_by(saved_funnels.c.name)).all()
    return [_row(r) for r in rows]


def get_funnel(principal: Principal, project_id: str, funnel_id: int) -> SavedFunnel | None:
    check_project(principal, project_id)
    with engine().connect() as conn:
        row = conn.execute(sa.select(saved_funnels).where(
            saved_funnels.c.project_id == project_id, saved_funnels.c.id == funnel_id)).first()
    return _row(row) if row else None


def save_funnel(principal: Principal, project_id: str, name: str,
                definition: dict[str, Any], *, is_admin: bool = False) -> SavedFunnel:
    """Save under `name`, or replace the funnel of that name if the principal owns it."""
    check_project(principal, project_id)
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise ProjectError(f"a funnel's name must be 1-{MAX_NAME} characters")
    now = datetime.now(UTC)
    with engine().begin() as conn:
        existing = conn.execute(sa.select(saved_funnels).where(
            saved_funnels.c.project_id == project_id, saved_funnels.c.name == name)).first()
        if existing is not None:
            if existing.owner != principal.name and not is_admin:
                raise ProjectError(f"{name!r} is {existing.owner}'s funnel: save it under "
                                   "another name")
            conn.execute(saved_funnels.update().where(saved_funnels.c.id == existing.id)
                         .values(definition=definition, updated_at=now))
            funnel_id = existing.id
        else:
            funnel_id = conn.execute(saved_funnels.insert().values(
                project_id=project_id, name=name, owner=principal.name, definition=definition,
                created_at=now, updated_at=now)).inserted_primary_key[0]
    found = get_funnel(principal, project_id, int(funnel_id))
    assert found is not None
    return found


def delete_funnel(principal: Principal, project_id: str, funnel_id: int, *,
                  is_admin: bool = False) -> bool:
    check_project(principal, project_id)
    with engine().begin() as conn:
        where = [saved_funnels.c.project_id == project_id, saved_funnels.c.id == funnel_id]
        if not is_admin:
            where.append(saved_funnels.c.owner == principal.name)
        return bool(conn.execute(saved_funnels.delete().where(*where)).rowcount)
