"""Every statement that is not an insert with data, SET or USE: run on a pooled connection, and
streamed block by block when the client does not ask to wait for the end of the query and the
format allows it. A read-only query whose client goes away is killed."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass

from aiohttp import web

from warehouse.server import protocol
from warehouse.server.connection import ConnState, PooledConnection
from warehouse.server.engine import Engine
from warehouse.server.errors import from_exception, loggable
from warehouse.server.pool import ConnectionPool
from warehouse.server.protocol import RequestParams
from warehouse.server.replies import Replies
from warehouse.server.result import ChdbResult
from warehouse.server.sql import quote_string
from warehouse.server.statements import Statement

log = logging.getLogger("njia.warehouse")

# How often a running query checks whether its client is still there.
DISCONNECT_POLL_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class Query:
    """One query to run: the HTTP request it came with, the pool it runs on, and what with."""

    request: web.Request
    rp: RequestParams
    pool: ConnectionPool
    state: ConnState
    params: dict[str, str]
    stmt: Statement
    started: float


class Queries:
    """Runs queries on the pool it is handed; kills them through the engine."""

    def __init__(self, engine: Engine, replies: Replies) -> None:
        self.engine = engine
        self.replies = replies

    async def run(self, q: Query) -> web.StreamResponse:
        fmt = protocol.output_format(q.stmt.output_format, q.rp.default_format)
        if q.stmt.streamable and not q.rp.wait_end_of_query and protocol.concatenable(fmt):
            return await self._stream(q, fmt)
        async with q.pool.acquire() as pc:
            fut = asyncio.wrap_future(pc.submit(pc.run, q.state, q.stmt.text, fmt, q.params))
            # Only read-only queries die with their client (as with ClickHouse's
            # cancel_http_readonly_queries_on_client_close); DDL and INSERT SELECT run to the end.
            outcome = await self._watch(q.request, fut, pc.marker if q.stmt.streamable else None)
            if fmt == "Native" and q.stmt.streamable and not outcome.data:
                # chDB answers an empty result with no bytes at all; ClickHouse sends a header
                # block (names and types, 0 rows), from which clients learn the columns.
                outcome.data = await self._native_header(pc, q)
        returns = fmt if (q.stmt.returns_rows or outcome.data) else None
        return self.replies.ok(q.rp, outcome, returns, outcome.data, q.started)

    async def _stream(self, q: Query, fmt: str) -> web.StreamResponse:
        request, rp = q.request, q.rp
        async with q.pool.acquire() as pc:
            marker = pc.marker
            fut = asyncio.wrap_future(
                pc.submit(pc.start_stream, q.state, q.stmt.text, fmt, q.params)
            )
            applied, stream, chunk = await self._watch(request, fut, marker)
            ended = False
            try:
                if fmt == "Native":
                    while chunk is not None and not chunk.data:
                        fut = asyncio.wrap_future(pc.submit(pc.fetch, stream))
                        chunk = await self._watch(request, fut, marker)
                    if chunk is None:
                        # Empty result: chDB sends no bytes, ClickHouse a 0-row header block.
                        ended = True
                        await pc.call(pc.end_stream, stream, applied)
                        header = await self._native_header(pc, q)
                        return self.replies.ok(rp, ChdbResult(data=header), fmt, header, q.started)
                headers = self.replies.headers(rp.query_id)
                tag = protocol.exception_tag()
                headers["X-ClickHouse-Format"] = fmt
                headers["X-ClickHouse-Exception-Tag"] = tag
                headers["X-ClickHouse-Summary"] = protocol.summary(
                    chunk, time.monotonic() - q.started
                )
                headers["Content-Type"] = protocol.content_type(fmt)
                response = web.StreamResponse(headers=headers)
                try:
                    await response.prepare(request)
                    while chunk is not None:
                        if chunk.data:
                            await response.write(chunk.data)
                        try:
                            fut = asyncio.wrap_future(pc.submit(pc.fetch, stream))
                            chunk = await self._watch(request, fut, marker)
                        except Exception as exc:
                            # Headers are gone already: report in-band, as ClickHouse does.
                            err = from_exception(exc)
                            log.info("query %s failed mid-stream: %s", rp.query_id,
                                     loggable(err))
                            await response.write(protocol.exception_block(tag, err.text))
                            break
                    await response.write_eof()
                except (ConnectionError, RuntimeError) as exc:
                    # aiohttp raises these when the client hung up; the stream is cancelled below.
                    log.info("query %s: client went away mid-stream: %r", rp.query_id, exc)
                return response
            finally:
                if not ended:
                    pc.submit(pc.end_stream, stream, applied)

    async def _native_header(self, pc: PooledConnection, q: Query) -> bytes:
        described = await pc.call(
            pc.run, q.state, f"DESCRIBE ({q.stmt.text_without_format})", "JSONCompact", q.params
        )
        return protocol.native_header(json.loads(described.data)["data"])

    async def _watch(self, request: web.Request, fut: asyncio.Future, marker: str | None):  # type: ignore[type-arg]
        """Await a chDB call; if the client disconnects meanwhile, KILL the query (marker)."""
        killed = False
        while True:
            done, _ = await asyncio.wait({fut}, timeout=DISCONNECT_POLL_SECONDS)
            if done:
                return fut.result()
            if marker and not killed and _client_gone(request):
                killed = True
                log.info("client of %s went away; killing its query", marker)
                await self.engine.kill(f"Settings['log_comment'] = {quote_string(marker)}")


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()
