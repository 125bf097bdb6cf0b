"""The query API: the workbench's named queries over HTTP, for KRA's other tools.

    GET /api/v1/query/<name>?project=P&from=YYYY-MM-DD&to=YYYY-MM-DD&k=v   → JSON rows
    GET /api/v1/queries                                                   → the named queries
    GET /api/v1/health

Authenticated with a per-project read token (`Authorization: Bearer nr_…`, `njia token create`);
a token reads only its own project (checked by the query layer at each query, so a revoked token
reads nothing more), and write keys are not tokens. One token runs at most
API_MAX_CONCURRENT_QUERIES_PER_TOKEN queries at once (more get 429 + Retry-After), so one client
cannot occupy every warehouse connection. Parameters are validated by
the same pydantic models as the workbench and `njia query`: a bad one is a 400 that names it.
Its own program and port (settings.api_port); the collector stays ingestion-only.

    python -m queries.api [--host 127.0.0.1] [--port 8502]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from aiohttp import web

from config.logs import setup_logging
from config.settings import get_settings
from metadata.access import AccessDenied, Principal, for_token
from queries import catalog
from queries.catalog import QUERIES, UnknownQuery
from queries.runner import QueryFailed, QueryParamError, run
from queries.serialize import records

log = logging.getLogger("njia.api")


def error(status: int, message: str, *, retry_after: int | None = None,
          **extra: Any) -> web.Response:
    headers = {"WWW-Authenticate": 'Bearer realm="njia"'} if status == 401 else {}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return web.json_response({"error": message, **extra}, status=status, headers=headers)


RUNNING = web.AppKey("running", dict)  # token hash -> queries it runs now


async def authorised(request: web.Request) -> Principal | web.Response:
    """The principal of the request's read token, or the error response to send."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return error(401, "missing read token: send 'Authorization: Bearer <token>' "
                          "(create one with `njia token create <project> --name …`)")
    principal = await asyncio.to_thread(for_token, token.strip())
    if principal is None:
        return error(401, "unknown or revoked read token (write keys cannot read)")
    return principal


def query_params(request: web.Request) -> dict[str, str] | web.Response:
    raw: dict[str, str] = {}
    for key, value in request.query.items():
        if key in raw:
            return error(400, f"{key}: given more than once", param=key)
        raw[key] = value
    return raw


async def get_query(request: web.Request) -> web.Response:
    try:
        name = catalog.get_query(request.match_info["name"]).name  # service-report too
    except UnknownQuery as exc:
        return error(404, str(exc))
    principal = await authorised(request)
    if isinstance(principal, web.Response):
        return principal
    project = principal.token_project or ""
    raw = query_params(request)
    if isinstance(raw, web.Response):
        return raw
    raw.setdefault("project", project)
    running: dict[str, int] = request.app[RUNNING]
    key = principal.token_hash or ""
    limit = get_settings().api_max_concurrent_queries
    if running.get(key, 0) >= limit:
        return error(429, f"this token already runs {limit} queries; wait for one to finish",
                     retry_after=1)
    running[key] = running.get(key, 0) + 1
    try:
        df = await asyncio.to_thread(run, name, raw, principal)
    except AccessDenied as exc:
        return error(403, str(exc), param="project")
    except QueryParamError as exc:
        return error(400, str(exc), param=exc.param)
    except QueryFailed:
        # Logged with the query's name and parameters by the runner.
        return error(502, f"the warehouse could not run {name}; see the api log")
    finally:
        running[key] -= 1
        if not running[key]:
            del running[key]
    return web.json_response({"query": name, "project": project, "params": raw,
                              "rows": records(df)})


async def list_queries(request: web.Request) -> web.Response:
    principal = await authorised(request)
    if isinstance(principal, web.Response):
        return principal
    return web.json_response([
        {"name": q.name, "description": q.description,
         "params": q.params.model_json_schema(by_alias=True).get("properties", {})}
        for q in QUERIES.values()
    ])


async def health(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def make_app() -> web.Application:
    app = web.Application()
    app[RUNNING] = {}
    app.router.add_get("/api/v1/query/{name}", get_query)
    app.router.add_get("/api/v1/queries", list_queries)
    app.router.add_get("/api/v1/health", health)
    return app


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m queries.api", description=__doc__)
    # Loopback by default: put a TLS proxy in front to expose it.
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=settings.api_port)
    args = parser.parse_args(argv)
    setup_logging("api")
    log.info("query API on http://%s:%d/api/v1/", args.host, args.port)
    web.run_app(make_app(), host=args.host, port=args.port, print=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
