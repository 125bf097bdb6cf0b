"""What a request runs with, and the statements that change it.

A request's connection state is its HTTP session's settings, query parameters and database
(warehouse/server/session.py), overridden by the request's own. `SET` and `USE` are checked on a
connection and kept in the session (if any), never left on the connection: outside a session
they last for their own request only, as in ClickHouse.
"""

from __future__ import annotations

from warehouse.server.connection import ConnState
from warehouse.server.pool import ConnectionPool
from warehouse.server.protocol import RequestParams
from warehouse.server.session import Session
from warehouse.server.sql import quote_string


def request_state(rp: RequestParams, session: Session | None) -> tuple[ConnState, dict[str, str]]:
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


async def run_set(
    pool: ConnectionPool,
    state: ConnState,
    settings: dict[str, str],
    params: dict[str, str],
    session: Session | None,
) -> None:
    if settings:
        # Check the values on a connection (unknown setting, bad value, readonly...), then
        # reset them: outside a session a SET lasts for its own request only, as in ClickHouse.
        check = ConnState(state.database, {**state.settings, **settings}, state.recycle)
        async with pool.acquire() as pc:
            await pc.call(pc.run, check, None, "TabSeparated", {})
    if session is not None:
        session.settings.update(settings)
        session.params.update(params)


async def run_use(
    pool: ConnectionPool, state: ConnState, database: str | None, session: Session | None
) -> None:
    check = ConnState(database, state.settings, state.recycle)
    async with pool.acquire() as pc:
        await pc.call(pc.run, check, None, "TabSeparated", {})
    if session is not None:
        session.database = database
