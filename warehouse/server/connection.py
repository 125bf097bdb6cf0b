"""One chDB connection and the thread all its calls run on; each request's state put on it
before the request and taken back after.

Why this shape (measured with chDB 26.9):
- every chDB call is blocking, so it runs on the connection's own single thread: calls for one
  connection are queued in order (the reset after a request always runs after the request,
  even if the request's task was cancelled).
- settings, the current database and `SET param_*` values stick to a chDB connection, so each
  request's state is applied before it and reset after it (`apply` / `restore`); a connection
  whose state cannot be reset for sure (readonly was set, a reset failed) is closed and reopened.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import chdb
from chdb.state.sqlitelike import Connection as ChdbConnection
from chdb.state.sqlitelike import StreamingResult

from warehouse.server.result import ChdbResult
from warehouse.server.sql import quote_identifier, quote_string

log = logging.getLogger("njia.warehouse")

T = TypeVar("T")

DEFAULT_DATABASE = "default"
MARKER_PREFIX = "njia-warehouse:"

# Settings a `SET x = DEFAULT` cannot take back (readonly forbids changing settings at all):
# a connection that had one of them is reopened instead of reset.
UNRESETTABLE_SETTINGS = frozenset({"readonly", "profile"})


@dataclass(slots=True)
class ConnState:
    """What one request needs on its connection."""

    database: str | None = None
    settings: dict[str, str] = field(default_factory=dict)  # name -> SQL literal text
    recycle: bool = False  # reopen the connection afterwards whatever happens


@dataclass(slots=True)
class Applied:
    """What `apply` changed, for `restore` to take back."""

    names: list[str] = field(default_factory=list)
    database: bool = False
    recycle: bool = False


class PooledConnection:
    """One chDB connection and the thread all its calls run on."""

    def __init__(self, path: Path, name: str, init_settings: dict[str, str] | None = None) -> None:
        self.path = path
        self.name = name
        # log_comment shows in system.processes: it finds this connection's running query for
        # KILL QUERY (client gone, shutdown). One query runs per connection at a time, and the
        # connection is the request's until it is released, so the marker names one query.
        self.marker = f"{MARKER_PREFIX}{name}"
        self._init_settings = {**(init_settings or {}), "log_comment": self.marker}
        # A readonly connection refuses every SET that would change a setting, so a request
        # whose SET failed changed nothing there and needs no reset.
        self.readonly = self._init_settings.get("readonly", "0") != "0"
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=name)
        self.conn: ChdbConnection | None = None
        # Settings chDB (or we) changed from ClickHouse's defaults when the connection opened:
        # a reset puts these back instead of `DEFAULT`.
        self.baseline: dict[str, str] = {}
        self.closed = False

    # --- thread plumbing -------------------------------------------------------------------
    def submit(self, fn: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        """Queue `fn(*args)` on this connection's thread."""
        return self._executor.submit(fn, *args)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self.submit(fn, *args))

    # --- everything below runs on the connection's thread ----------------------------------
    def open(self) -> None:
        self.conn = chdb.connect(str(self.path))
        first = {k: v for k, v in self._init_settings.items() if k != "readonly"}
        if first:
            pairs = ", ".join(f"{k} = {quote_string(v)}" for k, v in first.items())
            self.conn.query(f"SET {pairs}")
        if "readonly" in self._init_settings:  # last: it forbids every later SET
            self.conn.query(f"SET readonly = {int(self._init_settings['readonly'])}")
        rows = self.conn.query(
            "SELECT name, value FROM system.settings WHERE changed", "JSONCompact"
        )
        self.baseline = {name: value for name, value in json.loads(rows.bytes())["data"]}

    def query(
        self, sql: str, fmt: str = "TabSeparated", params: dict[str, str] | None = None
    ) -> Any:
        assert self.conn is not None, "connection is closed"
        return self.conn.query(sql, fmt, params=params or {})

    def apply(self, state: ConnState) -> Applied:
        applied = Applied(recycle=state.recycle)
        if self.conn is None and not self.closed:
            self.open()  # a reopen failed earlier: try again rather than stay dead
        assert self.conn is not None, "connection is closed"
        try:
            if state.database and state.database != DEFAULT_DATABASE:
                applied.database = True
                self.conn.query(f"USE {quote_identifier(state.database)}")
            if state.settings:
                applied.names = list(state.settings)
                if UNRESETTABLE_SETTINGS.intersection(state.settings):
                    applied.recycle = True
                self.conn.query("SET " + ", ".join(f"{k} = {v}" for k, v in state.settings.items()))
        except BaseException:
            if self.readonly:
                applied.names, applied.recycle = [], state.recycle
            self.restore(applied)
            raise
        return applied

    def restore(self, applied: Applied) -> None:
        """Put the connection back as `open` left it."""
        if self.conn is None:
            return
        if not applied.recycle:
            try:
                if applied.names:
                    self.conn.query("SET " + ", ".join(self._reset(k) for k in applied.names))
                if applied.database:
                    self.conn.query(f"USE {DEFAULT_DATABASE}")
                return
            except Exception as exc:
                # An unknown setting name (the request failed on it) or a setting that refuses
                # to change back: start over rather than leave anything behind.
                log.info("reopening %s: reset failed: %s", self.name, exc)
        self.recycle()

    def run(
        self, state: ConnState, sql: str | None, fmt: str, params: dict[str, str]
    ) -> ChdbResult:
        """One whole request: apply its state, run it, reset. `sql=None` only applies the state
        (which is how a SET or USE is checked without keeping it)."""
        applied = self.apply(state)
        try:
            if sql is None:
                return ChdbResult()
            return ChdbResult.of(self.query(sql, fmt, params))
        finally:
            self.restore(applied)

    def start_stream(
        self, state: ConnState, sql: str, fmt: str, params: dict[str, str]
    ) -> tuple[Applied, StreamingResult, ChdbResult | None]:
        """Start a streamed SELECT and fetch its first block (so that an error in the query still
        gets a proper error status). The caller must call `end_stream` on this thread."""
        assert self.conn is not None, "connection is closed"
        applied = self.apply(state)
        stream: StreamingResult | None = None
        try:
            stream = self.conn.send_query(sql, fmt, params=params)
            return applied, stream, self.fetch(stream)
        except BaseException:
            self.end_stream(stream, applied)
            raise

    def fetch(self, stream: StreamingResult) -> ChdbResult | None:
        result = stream.fetch()
        return None if result is None else ChdbResult.of(result)

    def end_stream(self, stream: StreamingResult | None, applied: Applied) -> None:
        try:
            if stream is not None:
                stream.cancel()  # no-op once exhausted
        except Exception as exc:
            log.info("cancelling a stream on %s failed: %s", self.name, exc)
            applied.recycle = True
        finally:
            self.restore(applied)

    def _reset(self, name: str) -> str:
        if name in self.baseline:
            return f"{name} = {quote_string(self.baseline[name])}"
        return f"{name} = DEFAULT"

    def recycle(self) -> None:
        """Close and reopen the chDB connection (the engine stays up: other connections hold it)."""
        old, self.conn = self.conn, None
        if old is not None:
            try:
                old.close()
            except Exception:
                log.exception("closing %s failed", self.name)
        self.open()

    def close(self) -> None:
        old, self.conn = self.conn, None
        self.closed = True
        if old is not None:
            old.close()

    # --- lifecycle from the event loop -------------------------------------------------------
    async def start(self) -> None:
        await self.call(self.open)

    async def shutdown(self, timeout: float) -> None:
        fut = asyncio.wrap_future(self.submit(self.close))
        try:
            await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            log.warning("%s still busy at shutdown; leaving it to process exit", self.name)
            self._executor.shutdown(wait=False, cancel_futures=True)
            return
        except Exception:
            log.exception("closing %s failed", self.name)
        # Idle now: let its thread end, so the process can exit normally.
        await asyncio.to_thread(self._executor.shutdown, True)
