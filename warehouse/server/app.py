"""The warehouse process: one chDB engine behind the ClickHouse HTTP interface.

    python -m warehouse.server.app --data-dir DIR --port PORT [--host 127.0.0.1]
        [--query-connections 4] [--insert-connections 2]

chDB locks its data directory to one process, so this process is the only one that opens it, and
every other Njia process (collector, processor, workbench, a developer's curl) talks to it exactly
as to a ClickHouse server, with clickhouse-connect or any ClickHouse HTTP client.

Every request but /ping names a user (warehouse/server/users.py): the reader's requests, and any
request over GET, run on the reader pool, whose connections are `readonly=1`; the front refuses
what no setting can (warehouse/server/guard.py) for everyone.

Request flow: the SQL comes from the `query` URL parameter followed by the body (as ClickHouse
reads it). The head of that text decides the route:
- `INSERT ... FORMAT X` / `INSERT ... VALUES`: the rest of the body is the data; it is
  decompressed chunk by chunk into a spool file and, once the body has arrived whole, inserted
  by an insert-pool connection with `INSERT ... FROM INFILE` (a body cut off never reaches chDB;
  see `_insert` for why not chDB's streaming `send_insert`).
- `SET` / `USE`: checked on a connection and kept in the HTTP session (if any), never left on the
  connection.
- anything else: run on a query-pool connection, streamed block by block when the client does not
  ask to wait for the end of the query and the format allows it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import shutil
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.streams import StreamReader

from contract.masking import mask_text
from warehouse.server import guard, protocol
from warehouse.server.compression import Decoder, make_decoder
from warehouse.server.errors import (
    CANNOT_READ_ALL_DATA,
    NOT_IMPLEMENTED,
    READONLY,
    SYNTAX_ERROR,
    UNKNOWN_EXCEPTION,
    WarehouseError,
    from_exception,
)
from warehouse.server.pool import (
    INSERT_CONNECTION_SETTINGS,
    MARKER_PREFIX,
    ChdbResult,
    ConnectionPool,
    ConnState,
    PooledConnection,
    reader_connection_settings,
)
from warehouse.server.protocol import RequestParams
from warehouse.server.session import Session, SessionStore
from warehouse.server.sql import (
    InsertHead,
    NeedMore,
    Statement,
    analyze,
    find_insert_head,
    insert_from_infile,
    parse_set,
    parse_use,
    quote_string,
)
from warehouse.server.users import Users, WarehouseUser

log = logging.getLogger("njia.warehouse")

# A query read from the body is held whole; beyond this it is refused (ClickHouse refuses at
# max_query_size = 256 KiB; inline INSERT data does not count, it is streamed).
MAX_QUERY_BYTES = 64 * 1024 * 1024
# Spool writes of this size or more go through a worker thread.
SPOOL_THREAD_BYTES = 256 * 1024
# How often a running query checks whether its client is still there.
DISCONNECT_POLL_SECONDS = 0.25
# Shutdown: in-flight requests get this long to finish before their queries are killed.
SHUTDOWN_GRACE_SECONDS = 4.0
# ... and then this long before their handlers are cancelled (inserts are then cancelled).
SHUTDOWN_CANCEL_SECONDS = 2.0
# Idle keep-alive connections stay open longer than clickhouse-connect's max_connection_age
# (10 min), so the server never closes a socket a client is just about to reuse.
KEEPALIVE_SECONDS = 900.0

_VERSION_TRAILER = re.compile(r"\(version [^()]*(\([^()]*\))?[^()]*\)$")


class Body:
    """The SQL text source of a request: the `query` parameter, then the decompressed body."""

    def __init__(self, prefix: bytes, content: StreamReader | None, decoder: Decoder | None):
        self._prefix = prefix
        self._content = content
        self._decoder = decoder
        self.eof = False

    async def read(self) -> bytes | None:
        """The next piece of text; None at the end. Raises WarehouseError if the body was cut off
        or cannot be decompressed."""
        if self._prefix:
            prefix, self._prefix = self._prefix, b""
            return prefix
        while not self.eof and self._content is not None:
            try:
                raw = await self._content.readany()
            except (ConnectionError, OSError, HttpProcessingError) as exc:
                # The client went away (aiohttp sets ConnectionResetError on the payload), or the
                # body's framing broke (truncated or malformed chunked encoding, short length).
                raise _cut_off(exc) from exc
            if not raw:
                self.eof = True
                if self._decoder is not None:
                    tail = self._decoder.finish()
                    if tail:
                        return tail
                break
            if self._decoder is None:
                return raw
            out = self._decoder.decompress(raw)
            if out:
                return out
        self.eof = True
        return None


def _cut_off(exc: BaseException) -> WarehouseError:
    return WarehouseError.make(
        CANNOT_READ_ALL_DATA, f"The request body was not received completely: {exc!r}"
    )


class Warehouse:
    """The engine, its pools and sessions, and the HTTP handlers."""

    def __init__(
        self,
        data_dir: Path,
        users: Users,
        query_connections: int,
        insert_connections: int,
        reader_connections: int,
        reader_max_execution_time: float,
    ) -> None:
        self.data_dir = data_dir
        self.users = users
        # Insert bodies wait here until they are complete (next to chDB's own dirs, so on the
        # same disk, not in a possibly RAM-backed /tmp).
        self.spool_dir = data_dir / "njia_spool"
        self.queries = ConnectionPool("query", data_dir, query_connections)
        self.inserts = ConnectionPool(
            "insert", data_dir, insert_connections, INSERT_CONNECTION_SETTINGS
        )
        # The reader's own pool, opened read-only once (never reopened per query).
        self.readers = ConnectionPool(
            "reader", data_dir, reader_connections,
            reader_connection_settings(reader_max_execution_time),
        )
        # Its own connection for KILL QUERY and housekeeping, so they never wait for a pool.
        self.admin = PooledConnection(data_dir, "admin")
        self._admin_lock = asyncio.Lock()
        self.sessions = SessionStore()
        self.version = "unknown"
        self.display_name = socket.gethostname()
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    # --- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.spool_dir.exists():
            shutil.rmtree(self.spool_dir)  # bodies of inserts that never completed
        self.spool_dir.mkdir()
        await self.admin.start()  # boots the embedded engine on data_dir
        out = await self.admin.call(self.admin.query, "SELECT version()")
        self.version = out.bytes().decode().strip()
        await self.queries.start()
        await self.inserts.start()
        await self.readers.start()
        log.info(
            "chDB %s on %s: %d query + %d insert + %d reader connections",
            self.version,
            self.data_dir,
            self.queries.size,
            self.inserts.size,
            self.readers.size,
        )

    async def drain(self, grace: float) -> None:
        """Let in-flight requests finish for `grace` seconds, then kill their queries."""
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
            return
        except TimeoutError:
            pass
        log.warning(
            "%d requests still running after %.0fs; killing their queries", self.in_flight, grace
        )
        await self._kill(" OR ".join(
            f"Settings['log_comment'] LIKE {quote_string(f'{MARKER_PREFIX}{pool.name}-%')}"
            for pool in (self.queries, self.readers)
        ))

    async def close(self, timeout: float = 5.0) -> None:
        await self.queries.shutdown(timeout)
        await self.inserts.shutdown(timeout)
        await self.readers.shutdown(timeout)
        await self.admin.shutdown(timeout)
        log.info("warehouse closed")

    async def expire_sessions(self) -> None:
        while True:
            await asyncio.sleep(5)
            gone = self.sessions.expire()
            if gone:
                log.debug("expired %d sessions, %d left", gone, len(self.sessions))

    async def _kill(self, where: str) -> None:
        async with self._admin_lock:
            try:
                await self.admin.call(self.admin.query, f"KILL QUERY WHERE {where} ASYNC")
            except Exception:
                log.exception("KILL QUERY WHERE %s failed", where)

    # --- HTTP ---------------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_QUERY_BYTES)
        app.router.add_route("GET", "/ping", self.ping)
        app.router.add_route("HEAD", "/ping", self.ping)
        app.router.add_route("GET", "/replicas_status", self.ping)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def ping(self, request: web.Request) -> web.Response:
        return web.Response(text="Ok.\n")

    def _headers(self, query_id: str) -> dict[str, str]:
        return {
            "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Timezone": "UTC",
            "X-ClickHouse-Server-Display-Name": self.display_name,
        }

    def _error(self, err: WarehouseError, query_id: str, started: float) -> web.Response:
        headers = self._headers(query_id)
        headers["X-ClickHouse-Exception-Code"] = str(err.code)
        headers["X-ClickHouse-Summary"] = protocol.summary(None, time.monotonic() - started)
        text = err.text.rstrip()
        if not _VERSION_TRAILER.search(text):
            text = f"{text} (version {self.version})"  # as ClickHouse ends its messages
        body = text + "\n"
        return web.Response(
            status=err.http_status,
            body=body.encode(),
            headers=headers,
            content_type="text/plain",
            charset="utf-8",
        )

    async def handle(self, request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        _nodelay(request)
        self.in_flight += 1
        self._idle.clear()
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
            return await self._dispatch(request, rp, session, user, readonly, started)
        except WarehouseError as err:
            log.info("query %s failed: %s", query_id, _loggable(err))
            return self._error(err, query_id, started)
        except Exception as exc:
            err = from_exception(exc)  # chDB's errors carry their ClickHouse code
            if err.code == UNKNOWN_EXCEPTION:
                log.exception("query %s: unexpected error", query_id)
                err = WarehouseError.make(UNKNOWN_EXCEPTION, f"Internal warehouse error: {exc!r}")
            else:
                log.info("query %s failed: %s", query_id, _loggable(err))
            return self._error(err, query_id, started)
        finally:
            if session is not None:
                self.sessions.release(session, close=bool(rp and rp.close_session))
            self.in_flight -= 1
            if self.in_flight == 0:
                self._idle.set()

    async def _dispatch(
        self,
        request: web.Request,
        rp: RequestParams,
        session: Session | None,
        user: WarehouseUser,
        readonly: bool,
        started: float,
    ) -> web.StreamResponse:
        prefix = (rp.query + "\n").encode() if rp.query else b""
        has_body = request.body_exists and not request.content_type.startswith("multipart/")
        body = Body(
            prefix,
            request.content if has_body else None,
            make_decoder(request.headers.get("Content-Encoding")) if has_body else None,
        )
        head, text = await _read_statement(body)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s params=%s headers=%s sql=%r",
                request.method,
                request.path,
                dict(request.query),
                {k: v for k, v in request.headers.items() if k.lower() != "authorization"},
                bytes(text[:300]),
            )
        state, params = _request_state(rp, session)
        pool = self.readers if readonly else self.queries
        if head is not None:
            guard.check(head.sql, readonly=readonly)
            if readonly:
                raise WarehouseError.make(
                    READONLY, f"{user.name}: Cannot execute query in readonly mode"
                )
            return await self._insert(rp, state, head, text, body, started)
        sql = text.decode("utf-8", errors="replace")
        stmt = analyze(sql)
        guard.check(sql, readonly=readonly)
        if stmt.keyword == "SET":
            parsed = parse_set(stmt)
            if parsed is not None:
                return await self._set(
                    rp, pool, state, parsed.settings, parsed.params, session, started
                )
            state.recycle = True  # SET ROLE & co: nothing a reset would take back for sure
        elif (
            stmt.keyword == "CREATE"
            and len(stmt.tokens) > 1
            and stmt.tokens[1].upper == "TEMPORARY"
        ):
            # A temporary table lives on the chDB connection: reopen it afterwards so the table
            # does not show up in other clients' requests (sessions do not keep them either).
            state.recycle = True
        elif stmt.keyword == "USE":
            database = parse_use(stmt)
            return await self._use(rp, pool, state, database, session, started)
        return await self._query(request, rp, pool, state, params, stmt, started)

    # --- inserts ------------------------------------------------------------------------------
    async def _insert(
        self,
        rp: RequestParams,
        state: ConnState,
        head: InsertHead,
        text: bytearray,
        body: Body,
        started: float,
    ) -> web.Response:
        # The data is spooled to a file as it arrives (decompressed chunk by chunk), and only a
        # complete body is inserted, with `INSERT ... FROM INFILE`. Not chDB's streaming
        # send_insert(): its finish() reports success and stores nothing when the insert fails
        # in the pipeline (a CHECK constraint, a throwIf in a MATERIALIZED column), so a
        # rejected batch would look stored (measured with chDB 26.9). This way a body that does
        # not arrive whole never reaches chDB, a slow uploader does not hold an insert
        # connection, and chDB's errors come back as errors.
        # The head was scanned as latin-1 (byte offsets); the SQL itself is UTF-8.
        head_sql = head.sql.encode("latin-1").decode("utf-8", errors="replace")
        path = self.spool_dir / f"{uuid.uuid4().hex}.insert"
        queued = False
        try:
            await _spool(path, bytes(text[head.data_start :]), body)
            sql = insert_from_infile(head_sql, str(path), head.fmt)
            async with self.inserts.acquire() as pc:
                fut = pc.submit(pc.run, state, sql, "TabSeparated", {})
                # Removed on the connection's thread, after the insert, even if this task is
                # cancelled meanwhile.
                pc.submit(_unlink, path)
                queued = True
                outcome = await asyncio.wrap_future(fut)
        finally:
            if not queued:
                _unlink(path)
        outcome.read_rows = outcome.written_rows
        log.debug("insert %s: %d rows", rp.query_id, outcome.written_rows)
        return self._ok(rp, outcome, None, b"", started)

    # --- SET / USE ----------------------------------------------------------------------------
    async def _set(
        self,
        rp: RequestParams,
        pool: ConnectionPool,
        state: ConnState,
        settings: dict[str, str],
        params: dict[str, str],
        session: Session | None,
        started: float,
    ) -> web.Response:
        if settings:
            # Check the values on a connection (unknown setting, bad value, readonly...), then
            # reset them: outside a session a SET lasts for its own request only, as in ClickHouse.
            check = ConnState(state.database, {**state.settings, **settings}, state.recycle)
            async with pool.acquire() as pc:
                await pc.call(pc.run, check, None, "TabSeparated", {})
        if session is not None:
            session.settings.update(settings)
            session.params.update(params)
        return self._ok(rp, ChdbResult(), None, b"", started)

    async def _use(
        self,
        rp: RequestParams,
        pool: ConnectionPool,
        state: ConnState,
        database: str | None,
        session: Session | None,
        started: float,
    ) -> web.Response:
        check = ConnState(database, state.settings, state.recycle)
        async with pool.acquire() as pc:
            await pc.call(pc.run, check, None, "TabSeparated", {})
        if session is not None:
            session.database = database
        return self._ok(rp, ChdbResult(), None, b"", started)

    # --- queries ------------------------------------------------------------------------------
    async def _query(
        self,
        request: web.Request,
        rp: RequestParams,
        pool: ConnectionPool,
        state: ConnState,
        params: dict[str, str],
        stmt: Statement,
        started: float,
    ) -> web.StreamResponse:
        fmt = protocol.output_format(stmt.output_format, rp.default_format)
        if stmt.streamable and not rp.wait_end_of_query and protocol.concatenable(fmt):
            return await self._stream(request, rp, pool, state, params, stmt, fmt, started)
        async with pool.acquire() as pc:
            fut = asyncio.wrap_future(pc.submit(pc.run, state, stmt.text, fmt, params))
            # Only read-only queries die with their client (as with ClickHouse's
            # cancel_http_readonly_queries_on_client_close); DDL and INSERT SELECT run to the end.
            outcome = await self._watch(request, fut, pc.marker if stmt.streamable else None)
            if fmt == "Native" and stmt.streamable and not outcome.data:
                # chDB answers an empty result with no bytes at all; ClickHouse sends a header
                # block (names and types, 0 rows), from which clients learn the columns.
                outcome.data = await self._native_header(pc, state, stmt, params)
        returns = fmt if (stmt.returns_rows or outcome.data) else None
        return self._ok(rp, outcome, returns, outcome.data, started)

    async def _stream(
        self,
        request: web.Request,
        rp: RequestParams,
        pool: ConnectionPool,
        state: ConnState,
        params: dict[str, str],
        stmt: Statement,
        fmt: str,
        started: float,
    ) -> web.StreamResponse:
        async with pool.acquire() as pc:
            marker = pc.marker
            fut = asyncio.wrap_future(pc.submit(pc.start_stream, state, stmt.text, fmt, params))
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
                        header = await self._native_header(pc, state, stmt, params)
                        return self._ok(rp, ChdbResult(data=header), fmt, header, started)
                headers = self._headers(rp.query_id)
                tag = protocol.exception_tag()
                headers["X-ClickHouse-Format"] = fmt
                headers["X-ClickHouse-Exception-Tag"] = tag
                headers["X-ClickHouse-Summary"] = protocol.summary(
                    chunk, time.monotonic() - started
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
                                     _loggable(err))
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

    async def _native_header(
        self, pc: PooledConnection, state: ConnState, stmt: Statement, params: dict[str, str]
    ) -> bytes:
        described = await pc.call(
            pc.run, state, f"DESCRIBE ({stmt.text_without_format})", "JSONCompact", params
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
                await self._kill(f"Settings['log_comment'] = {quote_string(marker)}")

    def _ok(
        self,
        rp: RequestParams,
        outcome: ChdbResult,
        fmt: str | None,
        data: bytes,
        started: float,
    ) -> web.Response:
        headers = self._headers(rp.query_id)
        headers["X-ClickHouse-Summary"] = protocol.summary(outcome, time.monotonic() - started)
        if fmt is not None:
            # Only statements with a result name a format; clickhouse-connect's command() tells
            # "empty result" from "no result" (a QuerySummary) by this header.
            headers["X-ClickHouse-Format"] = fmt
        headers["Content-Type"] = protocol.content_type(fmt)
        return web.Response(body=data, headers=headers)


def _request_state(rp: RequestParams, session: Session | None) -> tuple[ConnState, dict[str, str]]:
    """Connection state and query parameters: the session's, overridden by the request's."""
    settings: dict[str, str] = {}
    params: dict[str, str] = {}
    database = rp.database
    if session is not None:
        settings.update(session.settings)
        params.update(session.params)
        database = database or session.database
    settings.update({k: quote_string(v) for k, v in rp.settings.items()})
    settings.pop("log_comment", None)  # the connection's marker for KILL QUERY stays in place
    params.update(rp.params)
    return ConnState(database=database, settings=settings), params


async def _read_statement(body: Body) -> tuple[InsertHead | None, bytearray]:
    """Read until the route is known: an INSERT's data start, or the whole of any other query."""
    buf = bytearray()
    final = False
    while True:
        try:
            head = find_insert_head(buf.decode("latin-1"), final)
            break
        except NeedMore:
            chunk = await body.read()
            if chunk is None:
                final = True
            else:
                buf += chunk
                _check_size(buf)
    if head is not None:
        return head, buf
    while not final:
        chunk = await body.read()
        if chunk is None:
            break
        buf += chunk
        _check_size(buf)
    return None, buf


async def _spool(path: Path, first: bytes, body: Body) -> int:
    """Write the insert data (already decompressed) to `path`; returns its size.

    Large pieces are written from a worker thread so a big upload does not stall the loop.
    """
    size = 0
    with open(path, "wb") as out:
        piece: bytes | None = first
        while piece is not None:
            if piece:
                size += len(piece)
                if len(piece) >= SPOOL_THREAD_BYTES:
                    await asyncio.to_thread(out.write, piece)
                else:
                    out.write(piece)
            piece = await body.read()
    return size


def _loggable(err: WarehouseError) -> str:
    # A refused insert's message quotes row values (phones, emails, PINs): masked in the log.
    return mask_text(err.text.splitlines()[0][:500])


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError:
        log.exception("could not remove spool file %s", path)


def _check_size(buf: bytearray) -> None:
    if len(buf) > MAX_QUERY_BYTES:
        raise WarehouseError.make(
            SYNTAX_ERROR, f"Max query size exceeded: more than {MAX_QUERY_BYTES} bytes of query"
        )


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


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


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


# --- process entry point --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServeConfig:
    data_dir: Path
    host: str
    port: int
    users: Users
    query_connections: int
    insert_connections: int
    reader_connections: int
    reader_max_execution_time: float


async def _serve(config: ServeConfig) -> None:
    warehouse = Warehouse(
        config.data_dir,
        config.users,
        config.query_connections,
        config.insert_connections,
        config.reader_connections,
        config.reader_max_execution_time,
    )
    await warehouse.start()
    runner = web.AppRunner(
        warehouse.app(),
        handle_signals=False,
        access_log=None,
        auto_decompress=False,  # we decode Content-Encoding ourselves (lz4, zstd, ...), streaming
        keepalive_timeout=KEEPALIVE_SECONDS,
        shutdown_timeout=SHUTDOWN_CANCEL_SECONDS,
    )
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port, reuse_address=True, backlog=1024)
    await site.start()
    log.info("warehouse listening on http://%s:%d", config.host, config.port)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    expiry = asyncio.create_task(warehouse.expire_sessions())
    try:
        await stop.wait()
        log.info("stopping: no new connections, %d requests in flight", warehouse.in_flight)
        await site.stop()
        await warehouse.drain(SHUTDOWN_GRACE_SECONDS)
        await runner.cleanup()  # cancels handlers still running; their inserts are cancelled
    finally:
        expiry.cancel()
        await warehouse.close()


def serve(config: ServeConfig) -> None:
    """Run the warehouse until SIGTERM/SIGINT."""
    asyncio.run(_serve(config))


def main(argv: Sequence[str] | None = None) -> int:
    from config.settings import WAREHOUSE_READER, WAREHOUSE_WRITER, get_settings

    settings = get_settings()
    parser = argparse.ArgumentParser(
        prog="python -m warehouse.server.app",
        description="Serve the chDB warehouse over the ClickHouse HTTP interface. The users' "
        "passwords come from WAREHOUSE_WRITER_PASSWORD / WAREHOUSE_READER_PASSWORD (demo mode: "
        "generated under NJIA_DATA_DIR/secrets).",
    )
    parser.add_argument("--data-dir", type=Path, default=settings.warehouse_dir)
    # Loopback only: other hosts reach Njia's data through the workbench and the API.
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=settings.warehouse_port)
    parser.add_argument(
        "--query-connections", type=int, default=settings.warehouse_query_connections
    )
    parser.add_argument(
        "--insert-connections", type=int, default=settings.warehouse_insert_connections
    )
    parser.add_argument(
        "--reader-connections", type=int, default=settings.warehouse_reader_connections
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        users = Users.njia(
            settings.warehouse_password(WAREHOUSE_WRITER),
            settings.warehouse_password(WAREHOUSE_READER),
        )
        serve(ServeConfig(
            Path(args.data_dir), args.host, args.port, users, args.query_connections,
            args.insert_connections, args.reader_connections, settings.query_max_execution_time,
        ))
    except Exception:
        log.exception("warehouse failed")
        return 1
    stuck = [t.name for t in threading.enumerate() if t.is_alive() and not t.daemon]
    stuck = [name for name in stuck if name != threading.main_thread().name]
    if stuck:
        # A chDB call that could not be killed would keep the interpreter from exiting
        # (it joins executor threads); supervisord would then SIGKILL us anyway.
        log.warning("exiting with chDB calls still running on %s", ", ".join(stuck))
        logging.shutdown()
        os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
