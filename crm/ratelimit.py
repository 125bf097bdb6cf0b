"""Client-side rate limiting for the CRM's 60 requests/minute (seeds: analytics-strategy-pivot.md).

A sliding window: no `limit` requests ever start within one `period` — the 61st request of a
burst waits until the 1st is a minute old. (A token bucket refilling one a second would let 120
through in the first minute, which a per-minute limit on the server counts as 60 too many.)

The limiter is loop-agnostic: `reserve()` books a start time under a thread lock and returns how
long to wait, and the caller sleeps (asyncio or not). One limiter per CRM account is shared by
every client in the process (`shared()`), since the workbench makes a client per call and its
pages run in threads with event loops of their own.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable

LIMIT = 60
PERIOD_S = 60.0


class RateLimiter:
    def __init__(self, limit: int = LIMIT, period_s: float = PERIOD_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or period_s <= 0:
            raise ValueError("a rate limit needs limit >= 1 and a positive period")
        self.limit = limit
        self.period_s = period_s
        self.clock = clock
        self._starts: deque[float] = deque()  # booked start times, oldest first
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Book the next request's start; returns the seconds to wait before sending it."""
        with self._lock:
            now = self.clock()
            while self._starts and self._starts[0] <= now - self.period_s:
                self._starts.popleft()
            if len(self._starts) < self.limit:
                start = now
            else:
                # The request `limit` places back must be a full period old when this starts.
                start = max(now, self._starts[-self.limit] + self.period_s)
            self._starts.append(start)
            return start - now


_shared: dict[str, RateLimiter] = {}
_shared_lock = threading.Lock()


def shared(base_url: str, api_key: str, limit: int = LIMIT,
           period_s: float = PERIOD_S) -> RateLimiter:
    """The process's limiter for one CRM account (base URL + key; the key only as a hash)."""
    account = hashlib.sha256(f"{base_url}\0{api_key}".encode()).hexdigest()
    with _shared_lock:
        found = _shared.get(account)
        if found is None or (found.limit, found.period_s) != (limit, period_s):
            found = _shared[account] = RateLimiter(limit, period_s)
        return found
