"""Ingestion endpoints beyond /v1/capture: CRM webhooks, Segment-compatible API, the JS SDK."""

from __future__ import annotations

from aiohttp import web

from collector.sdk_routes import add_sdk_routes
from collector.segment import add_segment_routes
from collector.webhooks import crm_webhook


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/webhooks/crm", crm_webhook)
    app.router.add_post("/v1/webhooks/crm/{write_key}", crm_webhook)
    add_segment_routes(app)
    add_sdk_routes(app, demo_page_enabled=app["settings"].serve_demo_page)
