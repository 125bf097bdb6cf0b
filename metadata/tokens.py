"""Per-project read tokens for the HTTP query API (`Authorization: Bearer nr_…`).

Stored as SHA-256 hashes (like write keys: random 192-bit tokens need no slow hash); the clear
token is returned once, by `create_token`. Read tokens and write keys live in separate tables,
so a write key can never read and a read token can never write.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from metadata import crypto
from metadata.db import engine
from metadata.projects import ProjectError, require_project
from metadata.tables import read_tokens

TOKEN_PREFIX = "nr"
SHOWN_PREFIX_CHARS = 10  # "nr_" + 7 characters: enough to tell tokens apart, useless to guess


def create_token(project_id: str, name: str) -> dict[str, str]:
    """A new read token for one project; the clear token is in the result and nowhere else."""
    require_project(project_id)
    name = name.strip()
    if not name or len(name) > 200:
        raise ProjectError("token name must be 1-200 characters")
    token = crypto.new_secret(TOKEN_PREFIX)
    with engine().begin() as conn:
        conn.execute(
            read_tokens.insert().values(
                token_hash=crypto.hash_secret(token),
                project_id=project_id,
                name=name,
                prefix=token[:SHOWN_PREFIX_CHARS],
                created_at=datetime.now(UTC),
            )
        )
    return {"project_id": project_id, "name": name, "token": token,
            "prefix": token[:SHOWN_PREFIX_CHARS]}


def revoke_token(project_id: str, which: str) -> int:
    """Revoke the project's active tokens named `which` or whose shown prefix is `which`."""
    require_project(project_id)
    with engine().begin() as conn:
        result = conn.execute(
            read_tokens.update()
            .where(
                read_tokens.c.project_id == project_id,
                read_tokens.c.revoked_at.is_(None),
                sa.or_(read_tokens.c.name == which, read_tokens.c.prefix == which),
            )
            .values(revoked_at=datetime.now(UTC))
        )
    return int(result.rowcount or 0)


def list_tokens(project_id: str | None = None) -> list[dict[str, Any]]:
    query = sa.select(
        read_tokens.c.project_id, read_tokens.c.name, read_tokens.c.prefix,
        read_tokens.c.created_at, read_tokens.c.revoked_at,
    ).order_by(read_tokens.c.project_id, read_tokens.c.created_at)
    if project_id is not None:
        query = query.where(read_tokens.c.project_id == project_id)
    with engine().connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query).all()]


def project_for_read_token(token: str) -> str | None:
    """The project a non-revoked read token belongs to, or None."""
    if not token.startswith(f"{TOKEN_PREFIX}_"):
        return None
    with engine().connect() as conn:
        row = conn.execute(
            sa.select(read_tokens.c.project_id).where(
                read_tokens.c.token_hash == crypto.hash_secret(token),
                read_tokens.c.revoked_at.is_(None),
            )
        ).first()
    return row.project_id if row else None


def project_for_token_hash(token_hash: str) -> str | None:
    """The project of a non-revoked read token known by its hash (access re-checks each query)."""
    with engine().connect() as conn:
        row = conn.execute(
            sa.select(read_tokens.c.project_id).where(
                read_tokens.c.token_hash == token_hash,
                read_tokens.c.revoked_at.is_(None),
            )
        ).first()
    return row.project_id if row else None
