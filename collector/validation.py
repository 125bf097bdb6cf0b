"""Edge validation for `/v1/capture`: the SDK's event shape, skew correction and age limits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from contract.identifiers import clean_id, normalize_email, normalize_phone
from contract.record import Channel, EventRecord

# Client times outside these bounds are refused at the edge: a time near year 1 or 9999 overflows
# `datetime` once converted to UTC or corrected for skew (a 500 before), and ClickHouse's
# DateTime64 holds 1900–2299 only. Anything this old is rejected by the maximum age anyway.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def client_time(value: datetime) -> datetime:
    """`value` in UTC, or ValueError when it is outside [EARLIEST, LATEST)."""
    try:
        utc = as_utc(value)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError(f"{value.isoformat()} is out of range (from {EARLIEST.year} to "
                         f"{LATEST.year - 1})")
    return utc


ClientTime = Annotated[datetime, AfterValidator(client_time)]


class PageContext(BaseModel):
    model_config = ConfigDict(extra="allow")
    path: str | None = None
    title: str | None = None
    url: str | None = None
    referrer: str | None = None


class CaptureContext(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    page: PageContext | None = None
    userAgent: str | None = None  # noqa: N815 - the SDK's wire name
    library: dict[str, Any] | None = None
    ip: str | None = None
    locale: str | None = None
    timezone: str | None = None


class CaptureEvent(BaseModel):
    """One event as the SDK (or any HTTP client) sends it to /v1/capture."""

    model_config = ConfigDict(extra="ignore")

    event_id: uuid.UUID
    event_name: str = Field(min_length=1, max_length=200)
    timestamp: ClientTime
    anonymous_id: str | None = Field(None, max_length=200)
    user_id: str | None = Field(None, max_length=200)
    session_id: str | None = Field(None, max_length=200)
    channel: Channel = "web"
    context: CaptureContext = Field(default_factory=CaptureContext)
    properties: dict[str, Any] = Field(default_factory=dict)
    traits: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _needs_an_identity(self) -> CaptureEvent:
        if not (clean_id(self.anonymous_id) or clean_id(self.user_id)):
            raise ValueError("anonymous_id is required unless user_id is given")
        return self


def error_messages(exc: ValidationError) -> list[str]:
    """pydantic errors as 'field.path: message' strings a client can act on."""
    out = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "event"
        out.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
    return out


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time in UTC, or None when it is not one or is out of range."""
    if not isinstance(value, str | datetime):
        return None
    try:
        return client_time(value if isinstance(value, datetime) else datetime.fromisoformat(value))
    except ValueError:
        return None


def correct_skew(timestamp: datetime, sent_at: datetime | None, received_at: datetime) -> datetime:
    """Segment's rule: timestamp = received_at − (sent_at − timestamp)."""
    if sent_at is None:
        return timestamp
    return received_at - (sent_at - timestamp)


def check_age(
    timestamp: datetime, received_at: datetime, max_age_seconds: int, max_future_seconds: int
) -> str | None:
    """Reason to reject an event for its time, or None when it is within the accepted window."""
    # Compared as differences: received_at − max age would overflow for a huge project setting.
    if received_at - timestamp > timedelta(seconds=max_age_seconds):
        return (
            f"timestamp: {timestamp.isoformat()} is older than the project's maximum event age "
            f"({max_age_seconds} s); raise it with `njia project set P max_event_age=30d`"
        )
    if timestamp - received_at > timedelta(seconds=max_future_seconds):
        return (
            f"timestamp: {timestamp.isoformat()} is more than {max_future_seconds} s in the future"
        )
    return None


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_record(
    event: CaptureEvent,
    project_id: str,
    received_at: datetime,
    sent_at: datetime | None,
    client_ip: str,
    phone_region: str,
) -> EventRecord:
    traits = event.traits
    return EventRecord(
        project_id=project_id,
        event_id=event.event_id,
        event_name=event.event_name,
        channel=event.channel,
        timestamp=correct_skew(as_utc(event.timestamp), sent_at, received_at),
        received_at=received_at,
        source="capture",
        anonymous_id=clean_id(event.anonymous_id),
        user_id=clean_id(event.user_id),
        session_id=clean_id(event.session_id),
        ip=event.context.ip or client_ip,
        phone=normalize_phone(traits.get("phone"), phone_region) or "",
        email=normalize_email(traits.get("email")) or "",
        context=event.context.model_dump(exclude_none=True),
        properties=event.properties,
        traits=traits,
    )
