"""GET /v1/sdk.js (the browser SDK) and GET /demo/ (a page for trying it by hand).

The SDK is served from the repository file as is (no build step). It is read once when the
routes are added and answered with an ETag, so browsers revalidate cheaply after the short
max-age; a short max-age (not a long one) because the URL is not versioned and a fix must reach
every page of the tax app within minutes.

The demo page looks like the tax app and asks for a PIN, a phone and an email, on the
collector's origin: a link to it with a foreign script (`?sdk=`, `?api=`) would be a phishing
page under KRA's name. So it is served with a Content-Security-Policy that lets it run only its
own inline script and scripts of this origin (the collector serves no script but /v1/sdk.js),
and send only to this origin; the page itself also refuses an SDK URL that is not an http(s)
`…/v1/sdk.js`. Production does not serve it unless DEMO_PAGE_ENABLED is set.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).resolve().parent / "static"
SDK_FILE = STATIC_DIR / "sdk.js"
DEMO_INDEX = STATIC_DIR / "demo" / "index.html"

SDK_CACHE_CONTROL = "public, max-age=300"
# The demo is a single page whose views are history.pushState paths under /demo/; each of them
# answers with the same HTML so a reload on /demo/confirm works.
DEMO_VIEW_PATTERN = "/demo/{view:[a-z0-9-]+}"


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _sdk_handler(body: bytes):  # noqa: ANN202 - aiohttp handler factory
    etag = _etag(body)
    headers = {"Cache-Control": SDK_CACHE_CONTROL, "ETag": etag}

    async def sdk_js(request: web.Request) -> web.Response:
        if etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=headers)
        return web.Response(
            body=body,
            content_type="application/javascript",
            charset="utf-8",
            headers=headers,
        )

    return sdk_js


def demo_policy(html: str) -> str:
    """The page's CSP: its own inline script (by hash) and this origin, nothing else."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    )
    return ("default-src 'none'; "
            f"script-src 'self' {hashes}; "
            "connect-src 'self'; "
            "style-src 'unsafe-inline'; "
            "img-src 'self' data:; "
            "form-action 'none'; base-uri 'none'; frame-ancestors 'none'")


async def demo_page(request: web.Request) -> web.Response:
    # Read per request: it is a developer page, and edits show up without a restart.
    html = DEMO_INDEX.read_text(encoding="utf-8")
    return web.Response(
        text=html,
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": "no-cache", "Content-Security-Policy": demo_policy(html),
                 "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"},
    )


async def demo_redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound(f"/demo/{('?' + request.query_string) if request.query_string else ''}")


def add_sdk_routes(app: web.Application, demo_page_enabled: bool = True) -> None:
    app.router.add_get("/v1/sdk.js", _sdk_handler(SDK_FILE.read_bytes()))
    if not demo_page_enabled:
        return  # no route at all: /demo/ is a 404 like any unknown path
    app.router.add_get("/demo", demo_redirect)
    app.router.add_get("/demo/", demo_page)
    app.router.add_get(DEMO_VIEW_PATTERN, demo_page)
