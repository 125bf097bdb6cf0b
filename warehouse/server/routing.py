"""Statement routing: read a request's SQL until its head decides the route, check it, and hand
it on.

- `INSERT ... FORMAT X` / `INSERT ... VALUES`: the rest of the body is the data
  (warehouse/server/inserts.py); the reader may not.
- `SET` / `USE`: checked on a connection and kept in the HTTP session, if any
  (warehouse/server/session_state.py).
- anything else: run on a query- or reader-pool connection (warehouse/server/queries.py).

The reader's requests, and any request over GET, run on the reader pool (`readonly=1`); the
guard (warehouse/server/guard.py) refuses what no setting can, for everyone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web

from warehouse.server import guard
from warehouse.server.body import Body, read_statement
from warehouse.server.engine import Engine
from warehouse.server.errors import READONLY, WarehouseError
from warehouse.server.inserts import Inserts
from warehouse.server.protocol import RequestParams
from warehouse.server.queries import Queries, Query
from warehouse.server.replies import Replies
from warehouse.server.session import Session
from warehouse.server.session_state import request_state, run_set, run_use
from warehouse.server.statements import analyze, parse_set, parse_use
from warehouse.server.users import WarehouseUser

log = logging.getLogger("njia.warehouse")


@dataclass(frozen=True, slots=True)
class Router:
    """Decides what a request's statement is and which part of the server runs it."""

    engine: Engine
    inserts: Inserts
    queries: Queries
    replies: Replies

    async def route(
        self,
        request: web.Request,
        rp: RequestParams,
        session: Session | None,
        user: WarehouseUser,
        readonly: bool,
        started: float,
    ) -> web.StreamResponse:
        body = Body.of(request, rp)
        head, text = await read_statement(body)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s params=%s headers=%s sql=%r",
                request.method,
                request.path,
                dict(request.query),
                {k: v for k, v in request.headers.items() if k.lower() != "authorization"},
                bytes(text[:300]),
            )
        state, params = request_state(rp, session)
        pool = self.engine.readers if readonly else self.engine.queries
        if head is not None:
            guard.check(head.sql, readonly=readonly)
            if readonly:
                raise WarehouseError.make(
                    READONLY, f"{user.name}: Cannot execute query in readonly mode"
                )
            return await self.inserts.insert(rp, state, head, text, body, started)
        sql = text.decode("utf-8", errors="replace")
        stmt = analyze(sql)
        guard.check(sql, readonly=readonly)
        if stmt.keyword == "SET":
            parsed = parse_set(stmt)
            if parsed is not None:
                await run_set(pool, state, parsed.settings, parsed.params, session)
                return self.replies.done(rp, started)
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
            await run_use(pool, state, database, session)
            return self.replies.done(rp, started)
        return await self.queries.run(Query(request, rp, pool, state, params, stmt, started))
