"""GET /v1/health: 503 only when Redis is down (no event can be accepted then).

The endpoint is public, so it says "up" or "down" and nothing else: exception text names hosts,
ports and paths. The reason goes to the collector's log.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import ClientSession, ClientTimeout, web

log = logging.getLogger("njia.collector")


async def _redis_up(request: web.Request) -> bool:
    try:
        await asyncio.wait_for(request.app["redis"].ping(), timeout=2)
        return True
    except Exception as exc:  # any failure means "down"; the log says which
        log.warning("health: redis is down: %s: %s", exc.__class__.__name__, exc)
        return False


async def _warehouse_up(request: web.Request) -> bool:
    url = request.app["warehouse_ping_url"]  # host and port only: no credentials to log
    try:
        async with ClientSession(timeout=ClientTimeout(total=2)) as session:
            async with session.get(url) as resp:
                if resp.status == 200:
                    return True
                log.warning("health: warehouse is down: %s answered HTTP %d", url, resp.status)
                return False
    except Exception as exc:
        log.warning("health: warehouse is down: %s: %s", exc.__class__.__name__, exc)
        return False


async def health(request: web.Request) -> web.Response:
    redis_up, warehouse_up = await asyncio.gather(_redis_up(request), _warehouse_up(request))
    # The collector keeps accepting into Redis while the warehouse is out, so it stays in service.
    status = "ok" if redis_up and warehouse_up else ("degraded" if redis_up else "down")
    return web.json_response(
        {"status": status, "redis": "up" if redis_up else "down",
         "warehouse": "up" if warehouse_up else "down"},
        status=200 if redis_up else 503,
    )
