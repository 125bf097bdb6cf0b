"""EventRecord (+ enrichment) → a row of the `events` table."""

from __future__ import annotations

from typing import Any

from contract.record import EventRecord
from processor.enrich.base import Enricher

COLUMNS: tuple[str, ...] = (
    "project_id",
    "event_id",
    "event_name",
    "channel",
    "source",
    "timestamp",
    "received_at",
    "anonymous_id",
    "user_id",
    "phone",
    "email",
    "session_id",
    "page_path",
    "page_title",
    "page_url",
    "page_referrer",
    "user_agent",
    "ip",
    "locale",
    "client_timezone",
    "library_name",
    "library_version",
    "device_type",
    "browser",
    "browser_version",
    "os",
    "os_version",
    "is_bot",
    "country",
    "city",
    "geo_timezone",
    "message_id",
    "chat_id",
    "direction",
    "agent_id",
    "properties",
    "context",
    "traits",
)


def _text(value: Any, limit: int = 2000) -> str:
    return "" if value is None else str(value)[:limit]


def base_row(record: EventRecord) -> dict[str, Any]:
    page = record.page
    library = record.context.get("library")
    library = library if isinstance(library, dict) else {}
    return {
        "project_id": record.project_id,
        "event_id": record.event_id,
        "event_name": record.event_name,
        "channel": record.channel,
        "source": record.source,
        "timestamp": record.timestamp,
        "received_at": record.received_at,
        "anonymous_id": record.anonymous_id,
        "user_id": record.user_id,
        "phone": record.phone,
        "email": record.email,
        "session_id": record.session_id,
        "page_path": _text(page.get("path")),
        "page_title": _text(page.get("title")),
        "page_url": _text(page.get("url")),
        "page_referrer": _text(page.get("referrer")),
        "user_agent": _text(record.user_agent, 1000),
        "ip": record.ip,
        "locale": _text(record.context.get("locale"), 50),
        "client_timezone": _text(record.context.get("timezone"), 64),
        "library_name": _text(library.get("name"), 100),
        "library_version": _text(library.get("version"), 50),
        "device_type": "",
        "browser": "",
        "browser_version": "",
        "os": "",
        "os_version": "",
        "is_bot": False,
        "country": "",
        "city": "",
        "geo_timezone": "",
        "message_id": record.message_id,
        "chat_id": record.chat_id,
        "direction": record.direction,
        "agent_id": record.agent_id,
        "properties": record.properties,
        "context": record.context,
        "traits": record.traits,
    }


def to_row(record: EventRecord, enrichers: list[Enricher]) -> list[Any]:
    row = base_row(record)
    for enricher in enrichers:
        enricher.enrich(record, row)
    return [row[c] for c in COLUMNS]
