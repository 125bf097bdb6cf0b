"""Pools of chDB connections that hand one to one request at a time.

Why this shape (measured with chDB 26.9): several `chdb.connect(path)` connections in one
process share the data and run concurrently, but one connection runs one query at a time. So
queries and inserts get separate pools (warehouse/server/engine.py): an analyst's minute-long
query never holds up ingestion, and a big insert never holds up a dashboard. A connection goes
back to its pool only when its thread has finished everything queued for it
(warehouse/server/connection.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from warehouse.server.connection import PooledConnection


class ConnectionPool:
    """A fixed set of connections; a request waits for a free one."""

    def __init__(
        self,
        name: str,
        path: Path,
        size: int,
        init_settings: dict[str, str] | None = None,
    ) -> None:
        if size < 1:
            raise ValueError(f"{name} pool needs at least one connection, got {size}")
        self.name = name
        self.size = size
        self._connections = [
            PooledConnection(path, f"{name}-{i}", init_settings) for i in range(size)
        ]
        self._idle: asyncio.Queue[PooledConnection] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        # Open one at a time: the first connect also boots the embedded engine.
        for pc in self._connections:
            await pc.start()
            self._idle.put_nowait(pc)

    @property
    def busy(self) -> int:
        return self.size - self._idle.qsize()

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[PooledConnection]:
        pc = await self._idle.get()
        try:
            yield pc
        finally:
            # Hand it back when its thread has run everything queued so far, which includes the
            # request's reset even if the request's task was cancelled half-way.
            loop = self._loop
            assert loop is not None

            def _release(_: object) -> None:
                try:
                    loop.call_soon_threadsafe(self._idle.put_nowait, pc)
                except RuntimeError:  # the loop is closed: the process is stopping
                    pass

            try:
                pc.submit(_noop).add_done_callback(_release)
            except RuntimeError:  # executor already shut down (process is stopping)
                pass

    async def shutdown(self, timeout: float) -> None:
        await asyncio.gather(*(pc.shutdown(timeout) for pc in self._connections))


def _noop() -> None:
    return None
