"""Workbench sign-in sessions, and the throttle on failed sign-ins.

Each sign-in is a record here; the browser's cookie names it (it carries a random secret whose
SHA-256 is the record's id). Sign-out revokes the record, and so do removing the user and a new
password (`users.py`), so an old cookie, replayed from anywhere, no longer signs in: the query
layer asks `active()` before every read (`access.current_user`).

One record per sign-in rather than one version number per user: signing out on one computer
ends that sign-in only, a shared computer's sign-out does not throw the same person out of
their own laptop, and each record says when and from where it began.

Failed sign-ins are counted per user name and per client address in the same store, so every
workbench process sees the same counts: past a limit each further attempt waits, and the wait
doubles with every further failure (see Settings.signin_*).
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from config.settings import get_settings
from metadata.db import engine
from metadata.tables import signin_failures, signins

# Failures are forgotten after this long without another one (or twice the longest delay).
FORGET_FAILURES_AFTER = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Signin:
    session_id: str
    username: str
    created_at: datetime
    expires_at: datetime
    address: str


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _username(username: str) -> str:
    return username.strip().lower()


def _row_to_signin(row: Any) -> Signin:
    return Signin(row.session_id, row.username, _aware(row.created_at), _aware(row.expires_at),
                  row.address)


# --- sessions --------------------------------------------------------------------------------
def session_id_for(token: str) -> str:
    """The id of the session a cookie's secret names: its SHA-256 (a random 256-bit secret
    needs no slow hash), so the store never holds what the cookie holds."""
    return hashlib.sha256(token.encode()).hexdigest()


def create(username: str, lifetime: timedelta, *, address: str = "",
           now: datetime | None = None) -> tuple[str, Signin]:
    """A new sign-in for `username`: (the secret for the cookie, shown only now; the record)."""
    now = _now(now)
    token = secrets.token_urlsafe(32)
    record = Signin(session_id_for(token), _username(username), now, now + lifetime,
                    address[:64])
    with engine().begin() as conn:
        # Expired sign-ins sign no one in; dropping them here keeps the table small.
        conn.execute(signins.delete().where(signins.c.expires_at < now))
        conn.execute(signins.insert().values(
            session_id=record.session_id, username=record.username,
            created_at=record.created_at, expires_at=record.expires_at, revoked_at=None,
            address=record.address,
        ))
    return token, record


def _live(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(signins.c.revoked_at.is_(None), signins.c.expires_at > now)


def active(session_id: str, username: str) -> bool:
    """Whether the sign-in `session_id` of `username` is still valid (not signed out, not
    revoked by removal or a new password, not expired)."""
    if not session_id or not username:
        return False
    with engine().connect() as conn:
        row = conn.execute(sa.select(signins.c.session_id).where(
            signins.c.session_id == session_id,
            signins.c.username == _username(username),
            _live(datetime.now(UTC)),
        )).first()
    return row is not None


def list_active(username: str) -> list[Signin]:
    """The user's valid sign-ins, oldest first."""
    with engine().connect() as conn:
        rows = conn.execute(
            sa.select(signins)
            .where(signins.c.username == _username(username), _live(datetime.now(UTC)))
            .order_by(signins.c.created_at)
        ).all()
    return [_row_to_signin(r) for r in rows]


def revoke(session_id: str) -> bool:
    """Sign-out: end one sign-in. False when it had already ended (or never was)."""
    with engine().begin() as conn:
        result = conn.execute(
            signins.update()
            .where(signins.c.session_id == session_id, signins.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    return bool(result.rowcount)


def revoke_user(username: str) -> int:
    """End every sign-in of `username` (removed, or a new password); how many were live."""
    now = datetime.now(UTC)
    with engine().begin() as conn:
        result = conn.execute(
            signins.update()
            .where(signins.c.username == _username(username), _live(now))
            .values(revoked_at=now)
        )
    return int(result.rowcount or 0)


# --- throttle on failed sign-ins -------------------------------------------------------------
def _key(kind: str, value: str) -> str:
    # Hashed: a password typed into the user name box is not kept in clear.
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def _keys(username: str, address: str) -> list[tuple[str, int]]:
    """(throttle key, failures allowed before a delay) for this user name and this address."""
    settings = get_settings()
    return [(_key("user", _username(username)), settings.signin_max_failures),
            (_key("address", address), settings.signin_max_failures_per_address)]


def _seconds_until(moment: datetime | None, now: datetime) -> int:
    if moment is None:
        return 0
    return max(0, math.ceil((_aware(moment) - now).total_seconds()))


def _delay(failures: int, allowed: int) -> timedelta | None:
    """None below the limit; then the first delay, doubled for each further failure, capped."""
    if failures < allowed:
        return None
    settings = get_settings()
    doublings = min(failures - allowed, 32)
    seconds = min(settings.signin_delay_seconds * 2**doublings,
                  settings.signin_max_delay_seconds)
    return timedelta(seconds=seconds)


def _forget_before(now: datetime) -> datetime:
    longest = timedelta(seconds=get_settings().signin_max_delay_seconds)
    return now - max(FORGET_FAILURES_AFTER, 2 * longest)


def wait_seconds(username: str, address: str, now: datetime | None = None) -> int:
    """How long a sign-in as `username` from `address` must still wait (0: it may try now)."""
    now = _now(now)
    keys = [key for key, _ in _keys(username, address)]
    with engine().connect() as conn:
        rows = conn.execute(sa.select(signin_failures.c.blocked_until)
                            .where(signin_failures.c.key.in_(keys))).all()
    return max([_seconds_until(r.blocked_until, now) for r in rows], default=0)


def _count_failure(conn: sa.Connection, key: str, now: datetime, forget: datetime) -> int:
    """Add one failure to `key` (starting afresh after a quiet spell); the new count. One
    atomic upsert, so failures counted at once by several processes all count."""
    table = signin_failures
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:  # SQLite, the default store
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(key=key, failures=1, last_failure_at=now, blocked_until=None)
    conn.execute(stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={"failures": sa.case((table.c.last_failure_at < forget, 1),
                                  else_=table.c.failures + 1),
              "last_failure_at": now},
    ))
    return int(conn.execute(sa.select(table.c.failures).where(table.c.key == key)).scalar_one())


def record_failure(username: str, address: str, now: datetime | None = None) -> int:
    """Count a wrong password for `username` from `address`; the wait it now imposes (s)."""
    now = _now(now)
    forget = _forget_before(now)
    waits = []
    with engine().begin() as conn:
        for key, allowed in _keys(username, address):
            failures = _count_failure(conn, key, now, forget)
            delay = _delay(failures, allowed)
            if delay is not None:
                conn.execute(signin_failures.update().where(signin_failures.c.key == key)
                             .values(blocked_until=now + delay))
            blocked = conn.execute(sa.select(signin_failures.c.blocked_until)
                                   .where(signin_failures.c.key == key)).scalar_one()
            waits.append(_seconds_until(blocked, now))
        # Keys quiet for long and no longer blocked carry no information: drop them.
        conn.execute(signin_failures.delete().where(
            signin_failures.c.last_failure_at < forget,
            sa.or_(signin_failures.c.blocked_until.is_(None),
                   signin_failures.c.blocked_until < now),
        ))
    return max(waits)


def record_success(username: str) -> None:
    """The right password (tried while allowed): the user name starts afresh. The address
    does not: one good account must not unlock guessing at all the others."""
    forget_failures(username=username)


def forget_failures(username: str | None = None, address: str | None = None) -> None:
    """Clear the failures (and any delay) of a user name and/or an address."""
    keys = ([_key("user", _username(username))] if username is not None else []) + \
        ([_key("address", address)] if address is not None else [])
    if keys:
        with engine().begin() as conn:
            conn.execute(signin_failures.delete().where(signin_failures.c.key.in_(keys)))
