"""The HTTP front: the routes, and per request its parameters (URL, multipart form), its user
(warehouse/server/users.py), its HTTP session, and its errors answered as ClickHouse does.

Every request but /ping names a user; over GET everyone is the reader (ClickHouse makes GET
readonly too). Requests in flight are counted, so a shutdown can wait for them.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import uuid

from aiohttp import web

from warehouse.server.body import MAX_QUERY_BYTES
from warehouse.server.errors import (
    NOT_IMPLEMENTED,
    UNKNOWN_EXCEPTION,
    WarehouseError,
    from_exception,
    loggable,
)
from warehouse.server.protocol import RequestParams
from warehouse.server.replies import Replies
from warehouse.server.routing import Router
from warehouse.server.session import Session, SessionStore
from warehouse.server.users import Users

log = logging.getLogger("njia.warehouse")


class Handler:
    """The aiohttp handlers, and the count of requests in flight."""

    def __init__(self, users: Users, sessions: SessionStore, router: Router, replies: Replies):
        self.users = users
        self.sessions = sessions
        self.router = router
        self.replies = replies
        self.in_flight = 0
        self.idle = asyncio.Event()
        self.idle.set()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_QUERY_BYTES)
        app.router.add_route("GET", "/ping", self.ping)
        app.router.add_route("HEAD", "/ping", self.ping)
        app.router.add_route("GET", "/replicas_status", self.ping)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def ping(self, request: web.Request) -> web.Response:
        return web.Response(text="Ok.\n")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        _nodelay(request)
        self.in_flight += 1
        self.idle.clear()
        query_id = request.query.get("query_id") or str(uuid.uuid4())
        session: Session | None = None
        rp: RequestParams | None = None
        try:
            values: list[tuple[str, str]] = list(request.query.items())
            form_query = ""
            if request.content_type.startswith("multipart/form-data"):
                form_query, form_values = await _read_form(request)
                values += form_values
            rp = RequestParams.parse(values)
            rp.query_id = query_id
            if form_query:
                rp.query = f"{rp.query}\n{form_query}" if rp.query else form_query
            if request.method in ("GET", "HEAD") and not rp.query:
                return web.Response(text="Ok.\n")  # ClickHouse answers a bare GET / like /ping
            user = self.users.authenticate(request.headers, dict(values))
            # Over GET everyone is the reader (ClickHouse makes GET readonly too).
            readonly = user.readonly or request.method in ("GET", "HEAD")
            if rp.session_id:
                session = self.sessions.checkout(
                    rp.session_id, rp.session_timeout, rp.session_check, owner=user.name
                )
            return await self.router.route(request, rp, session, user, readonly, started)
        except WarehouseError as err:
            log.info("query %s failed: %s", query_id, loggable(err))
            return self.replies.error(err, query_id, started)
        except Exception as exc:
            err = from_exception(exc)  # chDB's errors carry their ClickHouse code
            if err.code == UNKNOWN_EXCEPTION:
                log.exception("query %s: unexpected error", query_id)
                err = WarehouseError.make(UNKNOWN_EXCEPTION, f"Internal warehouse error: {exc!r}")
            else:
                log.info("query %s failed: %s", query_id, loggable(err))
            return self.replies.error(err, query_id, started)
        finally:
            if session is not None:
                self.sessions.release(session, close=bool(rp and rp.close_session))
            self.in_flight -= 1
            if self.in_flight == 0:
                self.idle.set()


async def _read_form(request: web.Request) -> tuple[str, list[tuple[str, str]]]:
    """multipart/form-data (clickhouse-connect's form encoding of large query parameters):
    the `query` field and other fields as URL parameters. External tables are not supported."""
    query = ""
    values: list[tuple[str, str]] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if part.filename or not hasattr(part, "text"):
            raise WarehouseError.make(
                NOT_IMPLEMENTED, "External data (file parts in multipart requests) is not supported"
            )
        name = part.name or ""
        value = await part.text()  # type: ignore[union-attr]
        if name == "query":
            query = value
        else:
            values.append((name, value))
    return query, values


def _nodelay(request: web.Request) -> None:
    # aiohttp sets TCP_NODELAY too; without it replies would stall ~40 ms against clients that
    # combine Nagle with delayed ACKs. Cheap enough to make sure on every request.
    transport = request.transport
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
