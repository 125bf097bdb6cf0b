"""Inserts with their data in the body (`INSERT ... FORMAT X` / `INSERT ... VALUES`).

The data is spooled to a file as it arrives (decompressed chunk by chunk), and only a complete
body is inserted, by an insert-pool connection, with `INSERT ... FROM INFILE`. Not chDB's
streaming send_insert(): its finish() reports success and stores nothing when the insert fails in
the pipeline (a CHECK constraint, a throwIf in a MATERIALIZED column), so a rejected batch would
look stored (measured with chDB 26.9). This way a body that does not arrive whole never reaches
chDB, a slow uploader does not hold an insert connection, and chDB's errors come back as errors.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from pathlib import Path

from aiohttp import web

from warehouse.server.body import Body
from warehouse.server.connection import ConnState
from warehouse.server.pool import ConnectionPool
from warehouse.server.protocol import RequestParams
from warehouse.server.replies import Replies
from warehouse.server.statements import InsertHead, insert_from_infile

log = logging.getLogger("njia.warehouse")

# Spool writes of this size or more go through a worker thread.
SPOOL_THREAD_BYTES = 256 * 1024


class Inserts:
    """Spools insert bodies under `data_dir` and inserts them whole on the insert pool."""

    def __init__(self, data_dir: Path, pool: ConnectionPool, replies: Replies) -> None:
        # Insert bodies wait here until they are complete (next to chDB's own dirs, so on the
        # same disk, not in a possibly RAM-backed /tmp).
        self.spool_dir = data_dir / "njia_spool"
        self.pool = pool
        self.replies = replies

    def reset_spool(self) -> None:
        if self.spool_dir.exists():
            shutil.rmtree(self.spool_dir)  # bodies of inserts that never completed
        self.spool_dir.mkdir()

    async def insert(
        self,
        rp: RequestParams,
        state: ConnState,
        head: InsertHead,
        text: bytearray,
        body: Body,
        started: float,
    ) -> web.Response:
        # The head was scanned as latin-1 (byte offsets); the SQL itself is UTF-8.
        head_sql = head.sql.encode("latin-1").decode("utf-8", errors="replace")
        path = self.spool_dir / f"{uuid.uuid4().hex}.insert"
        queued = False
        try:
            await _spool(path, bytes(text[head.data_start :]), body)
            sql = insert_from_infile(head_sql, str(path), head.fmt)
            async with self.pool.acquire() as pc:
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
        return self.replies.ok(rp, outcome, None, b"", started)


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


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError:
        log.exception("could not remove spool file %s", path)
