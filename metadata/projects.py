"""Projects (tenants), their write keys, webhook secrets and per-project settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from pydantic import BaseModel, Field, ValidationError, field_validator

from config.settings import get_settings
from metadata import crypto
from metadata.db import engine
from metadata.tables import projects, webhook_secrets, write_keys

PROJECT_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class ProjectSettings(BaseModel):
    """Per-project settings; `njia project set P key=value` edits them."""

    timezone: str = "Africa/Nairobi"
    conversion_events: list[str] = Field(default_factory=lambda: ["return_filed"])
    max_event_age_seconds: int = Field(7 * 24 * 3600, gt=0)
    conversation_timeout_seconds: int = Field(30 * 60, gt=0)
    # A web session ends after this long without an event; the SDK rotates its session id on
    # the same timeout (it gets it with the settings document / sdk.js).
    session_timeout_seconds: int = Field(30 * 60, gt=0)
    phone_region: str = "KE"
    # The AI agent's classifications below this confidence are "low confidence" (AI page).
    low_confidence_threshold: float = Field(0.6, ge=0, le=1)
    # A campaign recipient "replied" when they sent a message within this long after the
    # campaign message reached them (independent of the conversation timeout).
    campaign_attribution_seconds: int = Field(24 * 3600, gt=0)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as "
                             "Africa/Nairobi)") from None
        return value


@dataclass(frozen=True)
class Project:
    project_id: str
    name: str
    created_at: datetime
    settings: ProjectSettings


class ProjectError(ValueError):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


def _row_to_project(row: Any) -> Project:
    return Project(
        row.project_id, row.name, row.created_at, ProjectSettings(**(row.settings or {}))
    )


def create_project(name: str, settings: ProjectSettings | None = None) -> dict[str, str]:
    """Create a project; returns its id, write key and webhook secret (shown only now)."""
    project_id = name.strip().lower()
    if not PROJECT_ID_RE.match(project_id):
        raise ProjectError(
            f"project name {name!r} must be 1-63 chars of a-z, 0-9, '-' or '_' (starting alnum)"
        )
    write_key = crypto.new_secret("nk")
    secret = crypto.new_secret("whsec")
    now = _now()
    with engine().begin() as conn:
        exists = conn.execute(
            sa.select(projects.c.project_id).where(projects.c.project_id == project_id)
        ).first()
        if exists:
            raise ProjectError(f"project {project_id!r} already exists")
        conn.execute(
            projects.insert().values(
                project_id=project_id,
                name=name,
                created_at=now,
                settings=(settings or ProjectSettings()).model_dump(),
            )
        )
        _insert_write_key(conn, project_id, write_key, now)
        _insert_webhook_secret(conn, project_id, secret, now)
    return {"project_id": project_id, "write_key": write_key, "webhook_secret": secret}


def _insert_write_key(conn: sa.Connection, project_id: str, key: str, now: datetime) -> None:
    conn.execute(
        write_keys.insert().values(
            key_hash=crypto.hash_secret(key), project_id=project_id, prefix=key[:7], created_at=now
        )
    )


def _insert_webhook_secret(
    conn: sa.Connection, project_id: str, secret: str, now: datetime
) -> None:
    conn.execute(
        webhook_secrets.insert().values(
            project_id=project_id, secret_encrypted=crypto.encrypt(secret), created_at=now
        )
    )


def list_projects() -> list[Project]:
    with engine().connect() as conn:
        rows = conn.execute(sa.select(projects).order_by(projects.c.project_id)).all()
    return [_row_to_project(r) for r in rows]


def get_project(project_id: str) -> Project | None:
    with engine().connect() as conn:
        row = conn.execute(sa.select(projects).where(projects.c.project_id == project_id)).first()
    return _row_to_project(row) if row else None


def require_project(project_id: str) -> Project:
    project = get_project(project_id)
    if project is None:
        raise ProjectError(f"unknown project {project_id!r}")
    return project


def project_for_write_key(key: str) -> Project | None:
    """The project a (non-revoked) write key belongs to, or None."""
    with engine().connect() as conn:
        row = conn.execute(
            sa.select(projects)
            .join(write_keys, write_keys.c.project_id == projects.c.project_id)
            .where(
                write_keys.c.key_hash == crypto.hash_secret(key), write_keys.c.revoked_at.is_(None)
            )
        ).first()
    return _row_to_project(row) if row else None


def webhook_secrets_for(project_id: str) -> list[str]:
    """Active webhook secrets in clear, newest first (several during a rotation's overlap).

    A secret is active until its `revoked_at`, which a rotation sets in the future (the end of
    the overlap window).
    """
    with engine().connect() as conn:
        rows = conn.execute(
            sa.select(webhook_secrets.c.secret_encrypted)
            .where(webhook_secrets.c.project_id == project_id, _active(_now()))
            .order_by(webhook_secrets.c.id.desc())
        ).all()
    return [crypto.decrypt(r.secret_encrypted) for r in rows]


def _active(now: datetime) -> sa.ColumnElement[bool]:
    revoked_at = webhook_secrets.c.revoked_at
    return sa.or_(revoked_at.is_(None), revoked_at > now)


def issue_write_key(project_id: str) -> str:
    """Add a write key to the project without revoking the others (shown only now)."""
    require_project(project_id)
    key = crypto.new_secret("nk")
    with engine().begin() as conn:
        _insert_write_key(conn, project_id, key, _now())
    return key


def revoke_write_key(key: str) -> None:
    """Revoke one write key (collectors stop taking it within KEY_CACHE_SECONDS)."""
    with engine().begin() as conn:
        conn.execute(
            write_keys.update()
            .where(write_keys.c.key_hash == crypto.hash_secret(key),
                   write_keys.c.revoked_at.is_(None))
            .values(revoked_at=_now())
        )


def rotate_write_key(project_id: str) -> str:
    """Revoke every write key of the project and issue a new one."""
    require_project(project_id)
    key = crypto.new_secret("nk")
    now = _now()
    with engine().begin() as conn:
        conn.execute(
            write_keys.update()
            .where(write_keys.c.project_id == project_id, write_keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        _insert_write_key(conn, project_id, key, now)
    return key


def rotate_webhook_secret(project_id: str, overlap_seconds: int | None = None) -> str:
    """Issue a new webhook secret (shown only now); the old ones keep verifying for the overlap
    window (WEBHOOK_SECRET_OVERLAP_SECONDS, default 24 h) so a CRM can switch over without
    losing events, then stop. `overlap_seconds=0` revokes them at once (a leaked secret).

    An old secret's deadline is only ever brought forward: rotating again within the window
    does not keep an older secret alive longer.
    """
    require_project(project_id)
    if overlap_seconds is None:
        overlap_seconds = get_settings().webhook_secret_overlap_seconds
    if overlap_seconds < 0:
        raise ProjectError("the overlap of a webhook secret rotation cannot be negative")
    secret = crypto.new_secret("whsec")
    now = _now()
    deadline = now + timedelta(seconds=overlap_seconds)
    revoked_at = webhook_secrets.c.revoked_at
    with engine().begin() as conn:
        conn.execute(
            webhook_secrets.update()
            .where(webhook_secrets.c.project_id == project_id,
                   sa.or_(revoked_at.is_(None), revoked_at > deadline))
            .values(revoked_at=deadline)
        )
        _insert_webhook_secret(conn, project_id, secret, now)
    return secret


def write_key_prefixes(project_id: str) -> list[dict[str, Any]]:
    with engine().connect() as conn:
        rows = conn.execute(
            sa.select(write_keys.c.prefix, write_keys.c.created_at, write_keys.c.revoked_at)
            .where(write_keys.c.project_id == project_id)
            .order_by(write_keys.c.created_at.desc())
        ).all()
    return [dict(r._mapping) for r in rows]


DURATION_ALIASES = {"max_event_age": "max_event_age_seconds",
                    "conversation_timeout": "conversation_timeout_seconds",
                    "session_timeout": "session_timeout_seconds",
                    "campaign_attribution": "campaign_attribution_seconds"}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(value: Any) -> int:
    """Seconds from 3600, '3600', '90s', '30m', '36h', '30d' or '2w'."""
    text = str(value).strip().lower()
    if text.isdigit():
        return int(text)
    number, unit = text[:-1], text[-1:]
    if unit in _UNITS and number.replace(".", "", 1).isdigit():
        return int(float(number) * _UNITS[unit])
    raise ProjectError(f"{value!r} is not a duration: use seconds or e.g. 90s, 30m, 36h, 30d, 2w")


def update_settings(project_id: str, **changes: Any) -> ProjectSettings:
    """Validate and store changed per-project settings.

    `max_event_age`, `conversation_timeout` and `session_timeout` take durations (e.g.
    `max_event_age=30d`).
    """
    project = require_project(project_id)
    for alias, field in DURATION_ALIASES.items():
        if alias in changes:
            changes[field] = parse_duration(changes.pop(alias))
    unknown = set(changes) - set(ProjectSettings.model_fields)
    if unknown:
        raise ProjectError(
            f"unknown setting(s) {sorted(unknown)}; known: {sorted(ProjectSettings.model_fields)}"
            f" (or {sorted(DURATION_ALIASES)} as durations)"
        )
    try:
        new = ProjectSettings(**{**project.settings.model_dump(), **changes})
    except ValidationError as exc:
        raise ProjectError("; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors())) from None
    with engine().begin() as conn:
        conn.execute(
            projects.update()
            .where(projects.c.project_id == project_id)
            .values(settings=new.model_dump())
        )
    return new
