"""Relational metadata (projects, keys, secrets, tokens, users): SQLAlchemy Core tables.

This is the source of truth for what changes; ClickHouse only ever holds events. Alembic
migrations in `migrations/versions` create these tables; keep both in step.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

projects = sa.Table(
    "projects",
    metadata,
    sa.Column("project_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # Per-project settings as one JSON document, validated by projects.ProjectSettings.
    sa.Column("settings", sa.JSON, nullable=False, default=dict),
)

write_keys = sa.Table(
    "write_keys",
    metadata,
    sa.Column("key_hash", sa.String(64), primary_key=True),
    sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.project_id"), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)

webhook_secrets = sa.Table(
    "webhook_secrets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.project_id"), nullable=False),
    # Fernet token: HMAC verification needs the secret in clear, so it is encrypted, not hashed.
    sa.Column("secret_encrypted", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)

read_tokens = sa.Table(
    "read_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.project_id"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("username", sa.String(100), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(200), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("projects", sa.JSON, nullable=False, default=list),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# One row per workbench sign-in. The browser's cookie carries a random secret; the store keeps
# only its SHA-256 (the session id), so a copy of the store cannot be turned into a cookie.
# Sign-out, removing the user and a new password set revoked_at: the cookie then signs no one
# in, wherever it is replayed from.
signins = sa.Table(
    "signins",
    metadata,
    sa.Column("session_id", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(100), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    # Where the sign-in came from, for the record (the client address the throttle uses).
    sa.Column("address", sa.String(64), nullable=False, default=""),
)

# Failed sign-ins per user name and per client address, shared by every workbench process.
# The key is a SHA-256 of "user:<name>" or "address:<ip>": a password typed into the user name
# box is never stored in clear.
signin_failures = sa.Table(
    "signin_failures",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
)

# Funnels users save (the Funnels page), per project: a name unique in the project, who saved
# it, and its definition — the funnel's parameters but project and dates, as
# queries/funnel/params.py validates them (so a saved funnel re-opens as it was built).
saved_funnels = sa.Table(
    "saved_funnels",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.project_id"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("owner", sa.String(100), nullable=False),
    sa.Column("definition", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("project_id", "name", name="uq_saved_funnels_project_name"),
)
