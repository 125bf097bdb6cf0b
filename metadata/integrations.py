"""A project's CRM integration (the Admin page's CRM section): base URL, API key, campaign paths.

The API key is write-only: stored as a Fernet token (metadata/crypto.py, as webhook secrets are:
the client must send it in clear, so it is encrypted, not hashed), never returned to a page.
`describe_crm` tells an administrator whether a key is set and when; only `crm_connection`
(used server-side by the crm package, which sends it) decrypts it.

Paths are stored as the administrator gave them; the Admin page pre-fills the crm client's
documented defaults. Changes need an administrator of the project (checked here).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from cryptography.fernet import InvalidToken

from metadata import crypto
from metadata.access import Principal, require_admin
from metadata.db import engine
from metadata.projects import ProjectError, require_project
from metadata.tables import metadata

log = logging.getLogger("njia.metadata")

# One row per project with an integration. Created by migration 0004.
crm_integrations = sa.Table(
    "crm_integrations",
    metadata,
    sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.project_id"),
              primary_key=True),
    sa.Column("base_url", sa.String(500), nullable=False),
    # Fernet token of the API key (never shown again after saving).
    sa.Column("api_key_encrypted", sa.Text, nullable=False),
    sa.Column("campaigns_path", sa.String(300), nullable=False),
    sa.Column("campaign_report_path", sa.String(300), nullable=False),
    sa.Column("key_set_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
)

MAX_URL = 500
MAX_PATH = 300
MAX_KEY = 2000


@dataclass(frozen=True)
class CrmIntegration:
    """What an administrator may see: everything but the key."""

    project_id: str
    base_url: str
    campaigns_path: str
    campaign_report_path: str
    key_set_at: datetime
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class CrmConnection:
    """What the crm package needs to call the CRM (server-side only)."""

    integration: CrmIntegration
    api_key: str = field(repr=False)


def _row(r: sa.Row) -> CrmIntegration:
    return CrmIntegration(r.project_id, r.base_url, r.campaigns_path, r.campaign_report_path,
                          r.key_set_at, r.updated_at, r.updated_by)


def _read(project_id: str) -> sa.Row | None:
    with engine().connect() as conn:
        return conn.execute(sa.select(crm_integrations).where(
            crm_integrations.c.project_id == project_id)).first()


def check_base_url(value: str) -> str:
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProjectError(f"the CRM's base URL must be http(s)://host[:port][/path], "
                           f"got {value!r}")
    if parts.query or parts.fragment:
        raise ProjectError("the CRM's base URL takes no query string or fragment")
    if len(url) > MAX_URL:
        raise ProjectError(f"the CRM's base URL is longer than {MAX_URL} characters")
    return url


def check_path(value: str, what: str, placeholder: str | None = None) -> str:
    path = value.strip()
    if not path.startswith("/") or len(path) > MAX_PATH or any(c.isspace() for c in path):
        raise ProjectError(f"the {what} must be a path starting with '/' (no spaces, at most "
                           f"{MAX_PATH} characters), got {value!r}")
    if "?" in path or "#" in path:
        raise ProjectError(f"the {what} takes no query string")
    # Only the one placeholder may appear: the path is filled with str.format.
    fields = {name for name in _format_fields(path)}
    expected = {placeholder} if placeholder else set()
    if fields != expected:
        need = f"{{{placeholder}}} exactly once" if placeholder else "no {…} placeholder"
        raise ProjectError(f"the {what} needs {need}, got {value!r}")
    return path


def _format_fields(path: str) -> list[str]:
    import string

    try:
        found = [f for _, f, _, _ in string.Formatter().parse(path) if f is not None]
    except ValueError as exc:
        raise ProjectError(f"unbalanced braces in {path!r}: {exc}") from None
    if len(found) != len(set(found)):
        raise ProjectError(f"a placeholder appears twice in {path!r}")
    return found


def describe_crm(principal: Principal, project_id: str) -> CrmIntegration | None:
    require_admin(principal, project_id=project_id)
    row = _read(project_id)
    return _row(row) if row else None


def save_crm(principal: Principal, project_id: str, *, base_url: str, api_key: str | None,
             campaigns_path: str, campaign_report_path: str) -> CrmIntegration:
    """Set or replace the project's integration. `api_key` empty or None keeps the stored key
    (changing the URL or paths does not need it typed again); a first save needs one."""
    require_admin(principal, project_id=project_id)
    require_project(project_id)
    values = {
        "base_url": check_base_url(base_url),
        "campaigns_path": check_path(campaigns_path, "campaigns path"),
        "campaign_report_path": check_path(campaign_report_path, "campaign report path",
                                           "campaign_id"),
    }
    key = (api_key or "").strip()
    if len(key) > MAX_KEY:
        raise ProjectError(f"the API key is longer than {MAX_KEY} characters")
    now = datetime.now(UTC)
    values.update(updated_at=now, updated_by=principal.name)
    if key:
        values.update(api_key_encrypted=crypto.encrypt(key), key_set_at=now)
    with engine().begin() as conn:
        exists = conn.execute(sa.select(crm_integrations.c.project_id).where(
            crm_integrations.c.project_id == project_id)).first()
        if exists:
            conn.execute(crm_integrations.update()
                         .where(crm_integrations.c.project_id == project_id).values(**values))
        elif not key:
            raise ProjectError("the CRM's API key is needed the first time")
        else:
            conn.execute(crm_integrations.insert().values(project_id=project_id, **values))
    log.info("CRM integration of %s saved by %s (key %s)", project_id, principal.name,
             "replaced" if key else "kept")
    found = _read(project_id)
    assert found is not None
    return _row(found)


def remove_crm(principal: Principal, project_id: str) -> bool:
    require_admin(principal, project_id=project_id)
    with engine().begin() as conn:
        removed = conn.execute(crm_integrations.delete().where(
            crm_integrations.c.project_id == project_id)).rowcount
    if removed:
        log.info("CRM integration of %s removed by %s", project_id, principal.name)
    return bool(removed)


class CrmKeyUnreadable(ProjectError):
    """The stored key cannot be decrypted (NJIA_SECRET_KEY changed since it was saved)."""


def crm_connection(project_id: str) -> CrmConnection | None:
    """The integration and its key in clear, for the crm package's calls; None when the project
    has none. No principal: callers are server-side and show only what the CRM answers."""
    row = _read(project_id)
    if row is None:
        return None
    try:
        key = crypto.decrypt(row.api_key_encrypted)
    except InvalidToken:
        raise CrmKeyUnreadable(
            f"the CRM API key of {project_id} cannot be decrypted (was NJIA_SECRET_KEY "
            "changed?): save it again on the Admin page") from None
    return CrmConnection(_row(row), key)
