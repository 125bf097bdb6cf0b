"""The normalised event: what the collector puts on the stream and the processor stores.

Every source (SDK capture, Segment batch, CRM webhook) is mapped to an `EventRecord` at the
edge; the stream carries its JSON; the processor turns it into an `events` row.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

# The channels an event comes on, and their sets. Python uses these (validation, the query
# filters); the sessions view (warehouse/views/session_events.sql) and `dau` apply the same sets
# — tests/test_rules_agree.py checks the view on an event of every channel.
Channel = Literal["web", "whatsapp", "ai", "server"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)
# Web journeys: the browser's events and the backend SDKs' (server-side events are part of web
# journeys); they form web sessions.
WEB_CHANNELS: tuple[Channel, ...] = ("web", "server")
# The WhatsApp side: the messages, and the AI agent that answers on WhatsApp.
WHATSAPP_CHANNELS: tuple[Channel, ...] = ("whatsapp", "ai")
# The AI agent's events belong to the number's latest conversation, whatever their name (other
# WhatsApp events join conversations by name: messages, receipts, hand-offs, resolutions).
AGENT_CHANNELS: tuple[Channel, ...] = ("ai",)
# A session is a web session or a WhatsApp conversation (the `channel` of the sessions view).
SessionKind = Literal["web", "whatsapp"]
SESSION_KINDS: tuple[SessionKind, ...] = get_args(SessionKind)
Source = Literal["capture", "segment", "crm", "demo"]


class EventRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: str
    event_id: uuid.UUID
    event_name: str = Field(min_length=1, max_length=200)
    channel: Channel = "web"
    timestamp: datetime
    received_at: datetime
    source: Source = "capture"
    anonymous_id: str = ""
    user_id: str = ""
    phone: str = ""
    email: str = ""
    session_id: str = ""
    # End user's IP: context.ip when given, else the connection's client IP; never a webhook's.
    ip: str = ""
    # WhatsApp fields that conversations and receipts are built on.
    message_id: str = ""
    chat_id: str = ""
    direction: str = ""
    agent_id: str = ""
    context: dict[str, Any] = Field(default_factory=dict)
    properties: dict[str, Any] = Field(default_factory=dict)
    traits: dict[str, Any] = Field(default_factory=dict)

    @field_validator("timestamp", "received_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def to_stream(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_stream(cls, payload: str | bytes) -> EventRecord:
        return cls.model_validate_json(payload)

    @property
    def page(self) -> dict[str, Any]:
        page = self.context.get("page")
        return page if isinstance(page, dict) else {}

    @property
    def user_agent(self) -> str:
        ua = self.context.get("userAgent") or self.context.get("user_agent") or ""
        return ua if isinstance(ua, str) else ""

