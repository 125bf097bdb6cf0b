"""HTTP sessions (`session_id`), as ClickHouse keeps them: settings from `SET`, query parameters
from `SET param_x = ...` and the database from `USE`, applied to the session's later requests.

A session is not tied to a chDB connection (requests of one session may land on any pooled
connection), so its state is replayed onto whichever connection serves each request. Temporary
tables therefore do not live across the requests of a session.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from warehouse.server.errors import SESSION_IS_LOCKED, SESSION_NOT_FOUND, WarehouseError

DEFAULT_SESSION_TIMEOUT = 60.0  # ClickHouse's default_session_timeout
MAX_SESSION_TIMEOUT = 3600.0  # ClickHouse's max_session_timeout


@dataclass(slots=True)
class Session:
    id: str
    timeout: float
    settings: dict[str, str] = field(default_factory=dict)  # name -> SQL literal text
    params: dict[str, str] = field(default_factory=dict)
    database: str | None = None
    last_used: float = field(default_factory=time.monotonic)
    busy: bool = False


class SessionStore:
    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def checkout(
        self, session_id: str, timeout: float | None, check: bool, owner: str = ""
    ) -> Session:
        """The session for one request; it stays locked until `release`.

        Sessions are per user (as in ClickHouse): the reader never sees the writer's settings.

        Like ClickHouse, a second concurrent request in a busy session is an error rather than a
        wait: one session is one client's conversation.
        """
        self.expire()
        key = f"{owner}\0{session_id}"
        session = self._sessions.get(key)
        if session is None:
            if check:
                raise WarehouseError.make(SESSION_NOT_FOUND, f"Session {session_id} not found")
            session = Session(key, DEFAULT_SESSION_TIMEOUT)
            self._sessions[key] = session
        if session.busy:
            raise WarehouseError.make(
                SESSION_IS_LOCKED, f"Session {session_id} is locked by a concurrent client"
            )
        if timeout is not None:
            session.timeout = min(max(timeout, 0.0), MAX_SESSION_TIMEOUT)
        session.busy = True
        return session

    def release(self, session: Session, close: bool = False) -> None:
        session.busy = False
        session.last_used = time.monotonic()
        if close:
            self._sessions.pop(session.id, None)

    def expire(self) -> int:
        """Forget sessions idle for longer than their timeout; returns how many."""
        now = time.monotonic()
        stale = [
            sid for sid, s in self._sessions.items() if not s.busy and now - s.last_used > s.timeout
        ]
        for sid in stale:
            del self._sessions[sid]
        return len(stale)
