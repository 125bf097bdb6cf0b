"""POST /v1/webhooks/crm[/{write_key}] — the WhatsApp CRM's and AI agent's events.

The seeds define the events, not the envelope; the envelope is ours (README documents it):
`{"id", "event", "timestamp", "data": {...}}` or `{"events": [envelope, …]}`, signed with
`X-Signature: sha256=<hex HMAC-SHA256 of the raw body>` under the project's webhook secret.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from collector.body import parse_json, read_raw
from collector.ingest import Admission, accept, admit, json_error, require_project
from collector.validation import ClientTime, as_utc, error_messages
from contract.identifiers import clean_id, normalize_email, normalize_phone
from contract.record import EventRecord

log = logging.getLogger("njia.collector.webhooks")

# Fixed namespace: event_id = uuid5(NS, "<event>:<CRM id>"), so a CRM retry maps to the same id
# while a message's sent/delivered/read events (one CRM id) stay distinct.
CRM_NAMESPACE = uuid.UUID("6f1c9f1e-2a51-4e0b-9a7c-2b8e0d6f4a10")

KNOWN_EVENTS = frozenset({
    "message.received", "message.sent", "message.delivered", "message.read", "message.failed",
    "chat.assigned", "chat.resolved", "agent.handoff", "contact.created", "campaign.sent",
    "csat.submitted", "ai.classification", "ai.generation", "ai.error",
})


def _alias(snake: str, camel: str) -> Any:
    return Field(None, validation_alias=AliasChoices(snake, camel))


class CrmData(BaseModel):
    """The envelope's `data`: known fields typed (seeds' camelCase accepted), the rest kept."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    chat_id: str | int | None = _alias("chat_id", "chatId")
    whatsapp_number: str | int | None = _alias("whatsapp_number", "whatsappNumber")
    message_id: str | int | None = _alias("message_id", "messageId")
    direction: Literal["inbound", "outbound"] | None = None
    content_type: str | None = _alias("content_type", "contentType")
    has_media: bool | None = _alias("has_media", "hasMedia")
    agent_id: str | int | None = _alias("agent_id", "agentId")
    previous_agent_id: str | int | None = _alias("previous_agent_id", "previousAgentId")
    template_id: str | int | None = _alias("template_id", "templateId")
    campaign_id: str | int | None = _alias("campaign_id", "campaignId")
    recipient_count: int | None = _alias("recipient_count", "recipientCount")
    intent: str | None = None
    confidence: float | None = None
    latency_ms: float | None = _alias("latency_ms", "latencyMs")
    error_type: str | None = _alias("error_type", "errorType")
    rating: float | None = None
    outcome: str | None = None
    service_name: str | None = _alias("service_name", "serviceName")
    resolution_time: float | None = _alias("resolution_time", "resolutionTime")
    duration_minutes: float | None = _alias("duration_minutes", "durationMinutes")
    message_count: int | None = _alias("message_count", "messageCount")
    email: str | None = None
    name: str | None = None
    # A KRA PIN or app user id, only when the CRM knows it.
    user_id: str | None = _alias("user_id", "userId")


class CrmEnvelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | int
    event: str = Field(min_length=1, max_length=200)
    timestamp: ClientTime
    data: CrmData = Field(default_factory=CrmData)


def signature_ok(raw: bytes, header: str | None, secrets: list[str]) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    # Compared as bytes: compare_digest raises on str with non-ASCII characters (a 500 before),
    # and a header that is not UTF-8 arrives with surrogates, which surrogateescape round-trips.
    given = header.removeprefix("sha256=").strip().lower().encode("utf-8", "surrogateescape")
    return any(
        hmac.compare_digest(hmac.new(s.encode(), raw, hashlib.sha256).hexdigest().encode(), given)
        for s in secrets
    )


def to_record(envelope: CrmEnvelope, project_id: str, received_at: datetime,
              region: str) -> EventRecord:
    data = envelope.data
    props: dict[str, Any] = {
        k: v for k, v in data.model_dump(exclude_none=True).items()
        if k not in ("whatsapp_number", "email", "user_id")
    }
    phone = normalize_phone(data.whatsapp_number, region) if data.whatsapp_number else None
    if data.whatsapp_number is not None and phone is None:
        props["whatsapp_number_raw"] = str(data.whatsapp_number)  # kept, not linked
    direction = data.direction or {"message.received": "inbound",
                                   "message.sent": "outbound"}.get(envelope.event, "")
    return EventRecord(
        project_id=project_id,
        event_id=uuid.uuid5(CRM_NAMESPACE, f"{envelope.event}:{envelope.id}"),
        event_name=envelope.event,
        channel="ai" if envelope.event.startswith("ai.") else "whatsapp",
        timestamp=as_utc(envelope.timestamp),
        received_at=received_at,
        source="crm",
        user_id=clean_id(data.user_id),
        phone=phone or "",
        email=normalize_email(data.email) or "",
        message_id=clean_id(data.message_id),
        chat_id=clean_id(data.chat_id),
        direction=direction,
        agent_id=clean_id(data.agent_id),
        properties={**props, "crm_id": str(envelope.id)},
    )


async def crm_webhook(request: web.Request) -> web.Response:
    received_at = datetime.now(UTC)
    raw = await read_raw(request)
    if "write_key" in request.match_info:
        project = await request.app["keys"].project(request.match_info["write_key"])
        if project is None:
            return json_error(401, "unknown or revoked write key in the URL")
    else:
        project = await require_project(request)
    # Verify before parsing: an unsigned body is not even looked at.
    secrets = await request.app["keys"].webhook_secrets(project.project_id)
    if not signature_ok(raw, request.headers.get("X-Signature"), secrets):
        log.warning("CRM webhook for %s: missing or wrong X-Signature", project.project_id)
        return json_error(
            401, "missing or wrong X-Signature: expected sha256=<hex HMAC-SHA256 of the raw "
            "body with the project's webhook secret>",
        )
    body = parse_json(raw)
    if isinstance(body, dict) and isinstance(body.get("events"), list):
        items = body["events"]
    elif isinstance(body, dict):
        items = [body]
    else:
        return json_error(400, 'body: expected an envelope or {"events": [envelope, …]}')
    settings = request.app["settings"]
    if len(items) > settings.max_batch_events:
        return json_error(413, f"events: {len(items)} exceeds the limit of "
                               f"{settings.max_batch_events}")
    outcome = Admission()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            outcome.reject(index, ["envelope: expected a JSON object"], "validation")
            continue
        try:
            envelope = CrmEnvelope.model_validate(item)
        except ValidationError as exc:
            outcome.reject(index, error_messages(exc), "validation")
            continue
        if envelope.event not in KNOWN_EVENTS:
            log.info("CRM event %r is not one of the known events; stored as is", envelope.event)
        record = to_record(envelope, project.project_id, received_at,
                           project.settings.phone_region)
        admit(outcome, index, record, project, settings.max_future_seconds)
    return await accept(request, outcome, "crm")
