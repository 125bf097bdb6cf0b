"""The embedded chDB engine as the server holds it: three pools of connections and an admin one.

- query: the writer's statements (reads, DDL, INSERT ... SELECT), streamed or run whole;
- insert: inserts with their data in the body, each squashed into one part;
- reader: the reader's requests and every GET, on connections opened `readonly=1` once;
- admin: KILL QUERY and housekeeping, so they never wait for a pool.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from warehouse.server.connection import MARKER_PREFIX, PooledConnection
from warehouse.server.pool import ConnectionPool
from warehouse.server.sql import quote_string

log = logging.getLogger("njia.warehouse")

# On insert connections: squash the whole insert into one block in memory, written as one part
# at the end. By default chDB writes a part every ~1M rows as it reads, so an insert that fails
# at row 8M (bad value, constraint) would leave the first millions committed (measured).
# Inserts above ATOMIC_INSERT_BYTES of uncompressed column data are still written in parts of
# that size (bounded memory), so only those could be committed in part.
ATOMIC_INSERT_BYTES = 512 * 1024 * 1024
INSERT_CONNECTION_SETTINGS = {
    "min_insert_block_size_rows": str(2**64 - 1),
    "min_insert_block_size_bytes": str(ATOMIC_INSERT_BYTES),
}


def reader_connection_settings(max_execution_time: float) -> dict[str, str]:
    """The reader's connections: a time limit, then `readonly=1`, which the engine enforces
    (no INSERT, DDL, file/url/... table functions, nor any setting change, readonly included).
    The order matters: a readonly connection cannot set its time limit any more."""
    return {"max_execution_time": f"{max_execution_time:g}", "readonly": "1"}


class Engine:
    """chDB on `data_dir`, its pools and its admin connection."""

    def __init__(
        self,
        data_dir: Path,
        query_connections: int,
        insert_connections: int,
        reader_connections: int,
        reader_max_execution_time: float,
    ) -> None:
        self.data_dir = data_dir
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
        self.version = "unknown"

    async def start(self) -> None:
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

    async def kill(self, where: str) -> None:
        async with self._admin_lock:
            try:
                await self.admin.call(self.admin.query, f"KILL QUERY WHERE {where} ASYNC")
            except Exception:
                log.exception("KILL QUERY WHERE %s failed", where)

    async def kill_queries(self) -> None:
        """Kill what runs on the query and reader pools (a shutdown that waited long enough)."""
        await self.kill(" OR ".join(
            f"Settings['log_comment'] LIKE {quote_string(f'{MARKER_PREFIX}{pool.name}-%')}"
            for pool in (self.queries, self.readers)
        ))

    async def close(self, timeout: float = 5.0) -> None:
        await self.queries.shutdown(timeout)
        await self.inserts.shutdown(timeout)
        await self.readers.shutdown(timeout)
        await self.admin.shutdown(timeout)
