"""The collector: aiohttp app that validates events and puts them on the Redis stream."""

from __future__ import annotations

import argparse
import gc
import ipaddress
import logging
import traceback
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from aiohttp import web

from collector.capture import capture
from collector.health import health
from collector.keys import KeyCache
from collector.metrics import CollectorMetrics
from config.logs import setup_logging
from config.settings import Settings, get_settings
from contract.masking import mask_text

log = logging.getLogger("njia.collector")

ALLOWED_HEADERS = "Content-Type, X-Write-Key, Authorization"


def warehouse_ping_url(clickhouse_url: str) -> str:
    parts = urlsplit(clickhouse_url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (8443 if parts.scheme == "https" else 8123)
    return f"{parts.scheme or 'http'}://{host}:{port}/ping"


def _cors_origin(request: web.Request) -> str | None:
    origin = request.headers.get("Origin")
    allowed = request.app["settings"].allowed_origins
    if not origin:
        return None
    return origin if ("*" in allowed or origin in allowed) else None


@web.middleware
async def cors_and_errors(request: web.Request, handler):  # noqa: ANN001, ANN201
    """CORS for the tax app's origin (preflight included) and JSON bodies for HTTP errors."""
    origin = _cors_origin(request)
    if request.method == "OPTIONS" and origin:
        response: web.StreamResponse = web.Response(status=204)
    else:
        try:
            response = await handler(request)
        except web.HTTPRequestEntityTooLarge:
            limit = request.app["settings"].max_body_bytes
            response = web.json_response(
                {"error": f"body too large: the limit is {limit} bytes"}, status=413
            )
        except web.HTTPException as exc:
            if exc.content_type != "application/json" and exc.status >= 400:
                exc = web.json_response({"error": exc.reason}, status=exc.status)
            response = exc
        except Exception as exc:
            # Logged with context; the browser still gets CORS headers, so it sees a 500.
            # The route, not the path (/v1/webhooks/crm/<write key>); the traceback's frames and
            # the message masked, not exc_info, whose message may quote a phone or a PIN.
            log.error("unhandled error on %s %s: %s: %s\n%s", request.method,
                      _route_name(request), exc.__class__.__name__, mask_text(exc),
                      "".join(traceback.format_tb(exc.__traceback__)).rstrip())
            response = web.json_response({"error": "internal error"}, status=500)
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "86400"
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"
    # Label by route, never by raw path: unknown paths must not grow the metric's cardinality.
    request.app["metrics"].requests.labels(_route_name(request), str(response.status)).inc()
    return response


def _route_name(request: web.Request) -> str:
    resource = request.match_info.route.resource
    if resource:
        return resource.canonical
    return "preflight" if request.method == "OPTIONS" else "unmatched"


async def metrics_handler(request: web.Request) -> web.Response:
    settings = request.app["settings"]
    body = await request.app["metrics"].render(
        request.app["redis"],
        settings.stream_key,
        settings.consumer_group,
        settings.dead_letter_stream_key,
    )
    return web.Response(body=body, content_type="text/plain", charset="utf-8")


def build_app(settings: Settings | None = None) -> web.Application:
    settings = settings or get_settings()
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[cors_and_errors])
    app["settings"] = settings
    app["keys"] = KeyCache(settings.key_cache_seconds)
    app["metrics"] = CollectorMetrics()
    app["trusted_proxies"] = [
        ipaddress.ip_network(p, strict=False) for p in settings.trusted_proxies
    ]
    app["warehouse_ping_url"] = warehouse_ping_url(settings.effective_clickhouse_url)

    async def _redis_ctx(app: web.Application):  # noqa: ANN202
        app["redis"] = aioredis.Redis.from_url(
            settings.effective_redis_url,
            socket_timeout=5,
            socket_connect_timeout=2,
            health_check_interval=10,
        )
        yield
        await app["redis"].aclose()

    app.cleanup_ctx.append(_redis_ctx)
    app.router.add_post("/v1/capture", capture)
    app.router.add_get("/v1/health", health)
    app.router.add_get("/metrics", metrics_handler)
    from collector.routes import add_routes  # ingestion endpoints added by later modules

    add_routes(app)
    return app


def tune_gc() -> None:
    """Fewer collections: a request allocates thousands of short-lived containers (the parsed
    body), which the default threshold (700) turns into a young collection every few events;
    the objects alive at start-up (modules, settings) are frozen out of every collection."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Njia collector")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    settings = get_settings()
    setup_logging("collector")
    tune_gc()
    log.info(
        "collector listening on %s:%s",
        args.host or settings.collector_host,
        args.port or settings.collector_port,
    )
    web.run_app(
        build_app(settings),
        host=args.host or settings.collector_host,
        port=args.port or settings.collector_port,
        print=None,
        access_log=None,
    )


if __name__ == "__main__":
    main()
