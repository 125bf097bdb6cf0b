"""What every ingestion endpoint shares: write keys, client IPs and the accept/enqueue contract.

Contract: 200 → {"accepted": n, "rejected": [{"index": i, "errors": [...]}]} once every accepted
event is on the Redis stream; 503 + Retry-After when Redis cannot take them (never 200 for
events that were not stored); 4xx with a message that says what is wrong and where.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web

from collector.validation import check_age
from contract.record import EventRecord
from contract.stream import enqueue_payloads
from metadata.projects import Project

log = logging.getLogger("njia.collector")

RETRY_AFTER_SECONDS = "5"


def json_error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


def write_key_from(request: web.Request, body: Any = None) -> str | None:
    """X-Write-Key header, Basic username (Segment), `write_key`/`writeKey` in body or query."""
    header = request.headers.get("X-Write-Key")
    if header:
        return header.strip()
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("basic "):
        try:
            user = base64.b64decode(auth[6:].strip()).decode().split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            user = ""
        if user:
            return user
    for source in (body if isinstance(body, dict) else {}, request.query):
        for name in ("write_key", "writeKey"):
            value = source.get(name)
            if isinstance(value, str) and value:
                return value
    return None


async def require_project(request: web.Request, body: Any = None) -> Project:
    key = write_key_from(request, body)
    if not key:
        raise web.HTTPUnauthorized(
            text=json.dumps({"error": "missing write key: send it in the X-Write-Key header"}),
            content_type="application/json",
        )
    project = await request.app["keys"].project(key)
    if project is None:
        raise web.HTTPUnauthorized(
            text=json.dumps({"error": "unknown or revoked write key"}),
            content_type="application/json",
        )
    return project


def from_trusted_proxy(request: web.Request) -> bool:
    """The one rule for every X-Forwarded-* header: honoured only when the connection's peer is
    in TRUSTED_PROXIES; from anyone else they are whatever the client wrote."""
    return _in_networks(request.remote or "", request.app["trusted_proxies"])


def client_ip(request: web.Request) -> str:
    """The connection's peer, or the X-Forwarded-For client when the peer is a trusted proxy."""
    peer = request.remote or ""
    proxies = request.app["trusted_proxies"]
    forwarded = request.headers.get("X-Forwarded-For")
    if not forwarded or not from_trusted_proxy(request):
        return peer
    # Walk from the right: the first address not ours is the client.
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if not _in_networks(hop, proxies):
            return hop
    return peer


_HOST_RE = re.compile(r"^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def public_origin(request: web.Request) -> tuple[str, str]:
    """(scheme, host) the client reached us at: X-Forwarded-Proto/-Host from a trusted proxy
    (the value the nearest proxy added, i.e. the rightmost), else the connection's own."""
    scheme, host = request.scheme, request.host
    if from_trusted_proxy(request):
        proto = _last(request.headers.get("X-Forwarded-Proto")).lower()
        forwarded_host = _last(request.headers.get("X-Forwarded-Host"))
        if proto in ("http", "https"):
            scheme = proto
        if _HOST_RE.match(forwarded_host):
            host = forwarded_host
    return scheme, host


def _last(header: str | None) -> str:
    return (header or "").rsplit(",", 1)[-1].strip()


def _in_networks(address: str, networks: list[ipaddress._BaseNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


@dataclass
class Admission:
    """What a request's events came to: the stream entries to enqueue (each an EventRecord's
    JSON), and each rejected event's index and reasons."""

    entries: list[str | bytes] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    project_id: str = "?"

    def reject(self, index: int, errors: list[str], reason: str) -> None:
        self.rejected.append({"index": index, "errors": errors, "reason": reason})

    def keep(self, entry: str | bytes, project_id: str) -> None:
        self.entries.append(entry)
        self.project_id = project_id


def admit(outcome: Admission, index: int, record: EventRecord, project: Project,
          max_future_seconds: int) -> None:
    """Keep the record unless its time is outside the project's accepted window."""
    reason = check_age(record.timestamp, record.received_at,
                       project.settings.max_event_age_seconds, max_future_seconds)
    if reason:
        outcome.reject(index, [reason], "out_of_time_range")
    else:
        outcome.keep(record.to_stream(), record.project_id)


async def accept(request: web.Request, outcome: Admission, source: str) -> web.Response:
    """Enqueue the valid events and answer with the shared contract."""
    metrics = request.app["metrics"]
    for item in outcome.rejected:
        metrics.rejected.labels(item.pop("reason")).inc()
    try:
        await enqueue_payloads(request.app["redis"], request.app["settings"].stream_key,
                               outcome.project_id, outcome.entries)
    except (aioredis.RedisError, OSError) as exc:
        log.error(
            "cannot enqueue %d events for project %s: %s",
            len(outcome.entries),
            outcome.project_id,
            exc,
        )
        return web.json_response(
            {"error": "event queue unavailable, retry later"},
            status=503,
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    accepted = len(outcome.entries)
    metrics.accepted.labels(source).inc(accepted)
    metrics.enqueued.inc(accepted)
    return web.json_response({"accepted": accepted, "rejected": outcome.rejected})
