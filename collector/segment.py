"""Segment-compatible endpoints, so Segment's and RudderStack's SDKs send to Njia unchanged.

- `POST /v1/batch` (`/v1/b`), `/v1/track` (`/v1/t`), `/v1/page` (`/v1/p`), `/v1/identify`
  (`/v1/i`), `/v1/screen` (`/v1/s`), `/v1/group` (`/v1/g`), `/v1/alias` (`/v1/a`): the short
  paths are what analytics.js posts to when its `apiHost` is `<njia>/v1`.
- `GET /v1/projects/{write_key}/settings`: the settings document analytics.js fetches from its
  `cdnURL`; Njia's own SDK (`/v1/sdk.js`) reads its `njia` part (the project's web session
  timeout), so the browser and the warehouse end a session on the same, per-project timeout.
Write key: HTTP Basic username, or `writeKey` in the body.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from collector.body import read_json
from collector.ingest import (
    Admission,
    accept,
    admit,
    client_ip,
    json_error,
    public_origin,
    require_project,
)
from collector.validation import ClientTime, as_utc, correct_skew, error_messages, parse_time
from contract.identifiers import clean_id, normalize_email, normalize_phone
from contract.record import EventRecord

# messageIds that are not UUIDs become uuid5(SEGMENT_NAMESPACE, messageId): stable for retries.
SEGMENT_NAMESPACE = uuid.UUID("0b8f6d3c-7a7e-4f5e-8d5e-3c1b6f2a9e47")

TYPES = {"track", "page", "identify", "screen", "group", "alias"}
SHORT = {"t": "track", "p": "page", "i": "identify", "s": "screen", "g": "group", "a": "alias"}


Id = Annotated[str, Field(max_length=200)] | int  # the same bound as /v1/capture's ids


class SegmentContext(BaseModel):
    """The context fields Njia reads, typed: `context.traits = "x"` or `context.page = 5` failed
    the whole batch with a TypeError (a 500, so SDKs retried it forever); now the message alone
    is rejected. Everything else an SDK sends is kept as is."""

    model_config = ConfigDict(extra="allow")

    page: dict[str, Any] | None = None
    traits: dict[str, Any] | None = None
    ip: str | None = Field(None, max_length=100)
    sessionId: Id | None = None  # noqa: N815 - Segment's names
    userAgent: str | None = None  # noqa: N815
    library: dict[str, Any] | None = None


class SegmentMessage(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    type: str
    messageId: str | None = Field(None, max_length=200)  # noqa: N815 - Segment's names
    anonymousId: Id | None = None  # noqa: N815
    userId: Id | None = None  # noqa: N815
    timestamp: ClientTime | None = None
    originalTimestamp: ClientTime | None = None  # noqa: N815
    sentAt: ClientTime | None = None  # noqa: N815
    event: str | None = Field(None, max_length=200)
    name: str | None = None
    context: SegmentContext = Field(default_factory=SegmentContext)
    properties: dict[str, Any] = Field(default_factory=dict)
    traits: dict[str, Any] = Field(default_factory=dict)
    previousId: Id | None = None  # noqa: N815
    groupId: Id | None = None  # noqa: N815


def event_uuid(message_id: str | None) -> uuid.UUID:
    if not message_id:
        return uuid.uuid4()
    try:
        return uuid.UUID(message_id)
    except ValueError:
        return uuid.uuid5(SEGMENT_NAMESPACE, message_id)


def event_name(msg: SegmentMessage) -> str:
    if msg.type == "track":
        if not msg.event:
            raise ValueError("event: a track call needs an event name")
        return msg.event
    return {"page": "page_view", "screen": "screen_view"}.get(msg.type, msg.type)


def to_record(msg: SegmentMessage, project_id: str, received_at: datetime,
              batch_sent_at: datetime | None, ip: str, region: str) -> EventRecord:
    ctx = msg.context.model_dump(exclude_none=True)
    traits = {**(msg.context.traits or {}), **msg.traits}
    props = dict(msg.properties)
    if msg.type == "page":
        # Segment puts page fields in properties; Njia's context.page holds them for every page.
        page = dict(msg.context.page or {})
        for key in ("path", "url", "title", "referrer"):
            if key in props and key not in page:
                page[key] = props[key]
        ctx["page"] = page
        if msg.name:
            props.setdefault("name", msg.name)
    if msg.previousId:
        props["previous_id"] = str(msg.previousId)
    if msg.groupId:
        props["group_id"] = str(msg.groupId)
    ts = msg.timestamp or msg.originalTimestamp or received_at
    sent_at = msg.sentAt or batch_sent_at
    return EventRecord(
        project_id=project_id,
        event_id=event_uuid(msg.messageId),
        event_name=event_name(msg),
        channel="web",
        timestamp=correct_skew(as_utc(ts), as_utc(sent_at) if sent_at else None, received_at),
        received_at=received_at,
        source="segment",
        # alias: previousId (the old id, usually anonymous) becomes linked to userId.
        anonymous_id=clean_id(msg.anonymousId) or (clean_id(msg.previousId)
                                                   if msg.type == "alias" else ""),
        user_id=clean_id(msg.userId),
        session_id=clean_id(msg.context.sessionId),
        ip=msg.context.ip or ip,
        phone=normalize_phone(traits.get("phone"), region) or "",
        email=normalize_email(traits.get("email")) or "",
        context=ctx,
        properties=props,
        traits=traits,
    )


def _handler(forced_type: str | None):  # noqa: ANN202
    async def handle(request: web.Request) -> web.Response:
        received_at = datetime.now(UTC)
        body = await read_json(request)
        if not isinstance(body, dict):
            return json_error(400, "body: expected a JSON object")
        project = await require_project(request, body)
        settings = request.app["settings"]
        if forced_type is None:
            batch = body.get("batch")
            if not isinstance(batch, list):
                return json_error(400, 'batch: expected {"batch": [message, …]}')
        else:
            batch = [{**body, "type": body.get("type") or forced_type}]
        if len(batch) > settings.max_batch_events:
            return json_error(413, f"batch: {len(batch)} messages exceeds the limit of "
                                   f"{settings.max_batch_events}")
        batch_sent_at = parse_time(body.get("sentAt")) if body.get("sentAt") else None
        ip = client_ip(request)
        outcome = Admission()
        for index, raw in enumerate(batch):
            try:
                if not isinstance(raw, dict):
                    raise ValueError("message: expected a JSON object")
                msg = SegmentMessage.model_validate(raw)
                if msg.type not in TYPES:
                    raise ValueError(f"type: {msg.type!r} is not one of {sorted(TYPES)}")
                if not (clean_id(msg.anonymousId) or clean_id(msg.userId)):
                    raise ValueError("anonymousId or userId is required")
                record = to_record(msg, project.project_id, received_at, batch_sent_at, ip,
                                   project.settings.phone_region)
            except ValidationError as exc:
                outcome.reject(index, error_messages(exc), "validation")
                continue
            except ValueError as exc:
                outcome.reject(index, [str(exc)], "validation")
                continue
            admit(outcome, index, record, project, settings.max_future_seconds)
        response = await accept(request, outcome, "segment")
        return response

    return handle


async def settings_document(request: web.Request) -> web.Response:
    """The minimal settings analytics.js asks its CDN for, pointing delivery back at Njia, and
    under `njia` what Njia's SDK takes from the project (analytics.js ignores the key)."""
    key = request.match_info["write_key"]
    project = await request.app["keys"].project(key)
    if project is None:
        return json_error(404, "unknown write key")
    proto, host = public_origin(request)
    return web.json_response({
        "integrations": {"Segment.io": {"apiKey": key, "apiHost": f"{host}/v1",
                                        "protocol": proto, "unbundledIntegrations": []}},
        "plan": {"track": {"__default": {"enabled": True, "integrations": {}}},
                 "identify": {"__default": {"enabled": True}},
                 "group": {"__default": {"enabled": True}}},
        "edgeFunction": {},
        "analyticsNextEnabled": True,
        "middlewareSettings": {},
        "enabledMiddleware": {},
        "metrics": {"sampleRate": 0},
        "legacyVideoPluginsEnabled": False,
        "remotePlugins": [],
        "njia": {"sessionTimeoutSeconds": project.settings.session_timeout_seconds},
    })


def add_segment_routes(app: web.Application) -> None:
    app.router.add_post("/v1/batch", _handler(None))
    app.router.add_post("/v1/b", _handler(None))
    for short, kind in SHORT.items():
        handler = _handler(kind)
        app.router.add_post(f"/v1/{kind}", handler)
        app.router.add_post(f"/v1/{short}", handler)
    app.router.add_get("/v1/projects/{write_key}/settings", settings_document)
