"""The server put together, and its life: start, serve until SIGTERM/SIGINT, drain, close.

On a signal the listening socket closes first; requests in flight get SHUTDOWN_GRACE_SECONDS to
finish, then their queries are killed, then (after SHUTDOWN_CANCEL_SECONDS) their handlers are
cancelled, inserts included; last the connections and the engine close.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from warehouse.server.engine import Engine
from warehouse.server.handler import Handler
from warehouse.server.inserts import Inserts
from warehouse.server.queries import Queries
from warehouse.server.replies import Replies
from warehouse.server.routing import Router
from warehouse.server.session import SessionStore
from warehouse.server.users import Users

log = logging.getLogger("njia.warehouse")

# Shutdown: in-flight requests get this long to finish before their queries are killed.
SHUTDOWN_GRACE_SECONDS = 4.0
# ... and then this long before their handlers are cancelled (inserts are then cancelled).
SHUTDOWN_CANCEL_SECONDS = 2.0
# Idle keep-alive connections stay open longer than clickhouse-connect's max_connection_age
# (10 min), so the server never closes a socket a client is just about to reuse.
KEEPALIVE_SECONDS = 900.0


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


class Warehouse:
    """The engine, its pools and sessions, and the HTTP handlers."""

    def __init__(self, config: ServeConfig) -> None:
        self.data_dir = config.data_dir
        self.engine = Engine(
            config.data_dir, config.query_connections, config.insert_connections,
            config.reader_connections, config.reader_max_execution_time,
        )
        self.sessions = SessionStore()
        self.replies = Replies()
        self.inserts = Inserts(config.data_dir, self.engine.inserts, self.replies)
        router = Router(self.engine, self.inserts, Queries(self.engine, self.replies), self.replies)
        self.handler = Handler(config.users, self.sessions, router, self.replies)

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.inserts.reset_spool()
        await self.engine.start()  # boots the embedded engine on data_dir
        self.replies.version = self.engine.version

    async def drain(self, grace: float) -> None:
        """Let in-flight requests finish for `grace` seconds, then kill their queries."""
        try:
            await asyncio.wait_for(self.handler.idle.wait(), grace)
            return
        except TimeoutError:
            pass
        log.warning(
            "%d requests still running after %.0fs; killing their queries",
            self.handler.in_flight, grace,
        )
        await self.engine.kill_queries()

    async def close(self, timeout: float = 5.0) -> None:
        await self.engine.close(timeout)
        log.info("warehouse closed")

    async def expire_sessions(self) -> None:
        while True:
            await asyncio.sleep(5)
            gone = self.sessions.expire()
            if gone:
                log.debug("expired %d sessions, %d left", gone, len(self.sessions))


async def _serve(config: ServeConfig) -> None:
    warehouse = Warehouse(config)
    await warehouse.start()
    runner = web.AppRunner(
        warehouse.handler.app(),
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
        log.info(
            "stopping: no new connections, %d requests in flight", warehouse.handler.in_flight
        )
        await site.stop()
        await warehouse.drain(SHUTDOWN_GRACE_SECONDS)
        await runner.cleanup()  # cancels handlers still running; their inserts are cancelled
    finally:
        expiry.cancel()
        await warehouse.close()


def serve(config: ServeConfig) -> None:
    """Run the warehouse until SIGTERM/SIGINT."""
    asyncio.run(_serve(config))
