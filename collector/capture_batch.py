"""The fast path of `/v1/capture`: a batch validated in one call, each event's stream entry built
once, as JSON, without the `CaptureEvent` and `EventRecord` models.

It decides only what it can decide exactly as the models do: the batch is validated with one
`TypeAdapter` over TypedDicts whose fields have the models' types and limits (the same pydantic
validators), and the context is normalised as `CaptureContext(...).model_dump(exclude_none=True)`
does. An event it cannot decide (any validation error, a context it does not recognise) goes to
the models (`collector.capture.capture_one`), which say what is wrong as they always have; so the
answer, the rejections (index and reasons) and the entries are the same either way —
tests/test_capture_fast_unit.py compares the two paths. The entry's JSON is what
`EventRecord.to_stream()` writes (the same fields in the same order, times as `…Z`).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal, NotRequired

import orjson
from pydantic import Field, TypeAdapter, ValidationError
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from collector.validation import check_age, client_time, correct_skew
from contract.identifiers import clean_id, normalize_email, normalize_phone

_Id = Annotated[str | None, Field(max_length=200)]


class _Event(TypedDict):
    """CaptureEvent's fields and limits (extra keys ignored, as there); the context is checked
    by `_context`, the time range and the identity rule after validation."""

    event_id: uuid.UUID
    event_name: Annotated[str, Field(min_length=1, max_length=200)]
    timestamp: datetime
    anonymous_id: NotRequired[_Id]
    user_id: NotRequired[_Id]
    session_id: NotRequired[_Id]
    channel: NotRequired[Literal["web", "whatsapp", "ai", "server"]]
    context: NotRequired[dict[str, Any]]
    properties: NotRequired[dict[str, Any]]
    traits: NotRequired[dict[str, Any]]


_BATCH = TypeAdapter(list[_Event])
_ONE = TypeAdapter(_Event)

# CaptureContext's and PageContext's declared fields, in their order: model_dump writes them
# first (those not None), then the extra keys in the order they came (those not None).
_CONTEXT_FIELDS = ("page", "userAgent", "library", "ip", "locale", "timezone")
_CONTEXT_STRINGS = ("ip", "locale", "timezone")
_PAGE_FIELDS = ("path", "title", "url", "referrer")


def _page(page: dict[str, Any]) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for name in _PAGE_FIELDS:
        value = page.get(name)
        if value is not None:
            if type(value) is not str:
                return None
            out[name] = value
    if len(out) != len(page):  # extra keys, or fields that are None
        for key, value in page.items():
            if value is not None and key not in _PAGE_FIELDS:
                out[key] = value
    return out


def _context(context: dict[str, Any]) -> dict[str, Any] | None:
    """`CaptureContext.model_validate(context).model_dump(exclude_none=True)`, or None when the
    models must decide (a known field of another type)."""
    out: dict[str, Any] = {}
    value = context.get("page")
    if value is not None:
        if type(value) is not dict:
            return None
        value = _page(value)
        if value is None:
            return None
        out["page"] = value
    value = context.get("userAgent")
    if value is not None:
        if type(value) is not str:
            return None
        out["userAgent"] = value
    value = context.get("library")
    if value is not None:
        if type(value) is not dict:
            return None
        out["library"] = value
    for name in _CONTEXT_STRINGS:
        value = context.get(name)
        if value is not None:
            if type(value) is not str:
                return None
            out[name] = value
    if len(out) != len(context):  # extra keys, or fields that are None
        for key, value in context.items():
            if value is not None and key not in _CONTEXT_FIELDS:
                out[key] = value
    return out


@lru_cache(maxsize=4096)
def _phone(value: str, region: str) -> str:
    return normalize_phone(value, region) or ""


class Batch:
    """What one request's events share: the project, times and the connection's IP."""

    __slots__ = ("project_id", "received_at", "sent_at", "ip", "phone_region", "max_age",
                 "max_future", "_window")

    def __init__(self, project_id: str, received_at: datetime, sent_at: datetime | None,
                 ip: str, phone_region: str, max_age: int, max_future: int) -> None:
        self.project_id = project_id
        self.received_at = received_at
        self.sent_at = sent_at
        self.ip = ip
        self.phone_region = phone_region
        self.max_age = max_age
        self.max_future = max_future
        try:
            self._window: tuple[timedelta, timedelta] | None = (
                timedelta(seconds=max_age), timedelta(seconds=max_future))
        except OverflowError:  # check_age itself says what happens then
            self._window = None

    def out_of_range(self, timestamp: datetime) -> str | None:
        """check_age(timestamp, …) for this batch, its bounds computed once."""
        window = self._window
        if (window is not None and self.received_at - timestamp <= window[0]
                and timestamp - self.received_at <= window[1]):
            return None
        return check_age(timestamp, self.received_at, self.max_age, self.max_future)


def entry(event: _Event, batch: Batch) -> bytes | str | None:
    """The stream entry of a validated event (bytes), the reason it is out of the accepted time
    range (str), or None when the models must decide."""
    anonymous_id = clean_id(event.get("anonymous_id"))
    user_id = clean_id(event.get("user_id"))
    if not (anonymous_id or user_id):
        return None
    try:
        timestamp = client_time(event["timestamp"])
    except ValueError:
        return None
    raw_context = event.get("context")
    context = _context(raw_context) if raw_context is not None else {}
    if context is None:
        return None
    timestamp = correct_skew(timestamp, batch.sent_at, batch.received_at)
    reason = batch.out_of_range(timestamp)
    if reason:
        return reason
    traits = event.get("traits", {})
    properties = event.get("properties", {})
    if traits:
        phone = traits.get("phone")
        phone = (_phone(phone, batch.phone_region) if type(phone) is str
                 else normalize_phone(phone, batch.phone_region) or "")
        email = normalize_email(traits.get("email")) or ""
    else:
        phone = email = ""
    # EventRecord's fields in its order (its JSON is what the processor reads back).
    return orjson.dumps({
        "project_id": batch.project_id,
        "event_id": event["event_id"],
        "event_name": event["event_name"],
        "channel": event.get("channel", "web"),
        "timestamp": timestamp,
        "received_at": batch.received_at,
        "source": "capture",
        "anonymous_id": anonymous_id,
        "user_id": user_id,
        "phone": phone,
        "email": email,
        "session_id": clean_id(event.get("session_id")),
        "ip": context.get("ip") or batch.ip,
        "message_id": "",
        "chat_id": "",
        "direction": "",
        "agent_id": "",
        "context": context,
        "properties": properties,
        "traits": traits,
    }, option=orjson.OPT_UTC_Z)


def validate_batch(events: list[Any]) -> list[_Event | None]:
    """Each event validated (None where the models must say what is wrong): one call for the
    whole batch, or one per event when some event is invalid."""
    try:
        return _BATCH.validate_python(events)
    except ValidationError:
        pass
    out: list[_Event | None] = []
    for raw in events:
        try:
            out.append(_ONE.validate_python(raw))
        except ValidationError:
            out.append(None)
    return out
