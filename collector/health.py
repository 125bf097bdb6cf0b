"""GET /v1/health: 503 only when Redis is down (no event can be accepted then)."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import ClientSession, ClientTimeout, web

log = logging.getLogger("njia.collector")


async def _redis_ok(request: web.Request) -> tuple[bool, str]:
    try:
        await asyncio.wait_for(request.app["redis"].ping(), timeout=2)
        return True, "up"
    except Exception as exc:  # any failure means "down"; say which
        return False, f"down: {exc}"


async def _warehouse_ok(request: web.Request) -> tuple[bool, str]:
    url = request.app["warehouse_ping_url"]
    try:
        async with ClientSession(timeout=ClientTimeout(total=2)) as session:
            async with session.get(url) as resp:
                return (
                    resp.status == 200,
                    "up" if resp.status == 200 else f"down: HTTP {resp.status}",
                )
    except Exception as exc:
        return False, f"down: {exc.__class__.__name__} {exc}"


async def health(request: web.Request) -> web.Response:
    (redis_up, redis_msg), (wh_up, wh_msg) = await asyncio.gather(
        _redis_ok(request), _warehouse_ok(request)
    )
    # The collector keeps accepting into Redis while the warehouse is out, so it stays in service.
    status = "ok" if redis_up and wh_up else ("degraded" if redis_up else "down")
    return web.json_response(
        {"status": status, "redis": redis_msg, "warehouse": wh_msg},
        status=200 if redis_up else 503,
    )
