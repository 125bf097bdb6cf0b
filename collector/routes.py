"""Further ingestion endpoints (Segment, CRM webhooks, SDK) register here."""

from __future__ import annotations

from aiohttp import web


def add_routes(app: web.Application) -> None:
    return None
