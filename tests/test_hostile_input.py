"""Hostile input on every ingestion route: never a 5xx, always a 4xx (or a per-event rejection)
that names the problem, and the valid events of a mixed batch are still stored.

Routes: /v1/capture, the Segment API (/v1/batch and every single-call path, long and short) and
the CRM webhook (key in a header or in the URL). Webhook bodies are signed, so they reach the
parser; header attacks (signature, write key) are tried unsigned.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from collector.segment import SHORT
from tests.conftest import make_event


@dataclass(frozen=True)
class Route:
    path: str
    family: str  # capture | segment-batch | segment-single | crm | crm-url

    def __str__(self) -> str:
        return self.path


ROUTES = [
    Route("/v1/capture", "capture"),
    Route("/v1/batch", "segment-batch"),
    Route("/v1/b", "segment-batch"),
    *[Route(f"/v1/{kind}", "segment-single") for kind in SHORT.values()],
    *[Route(f"/v1/{short}", "segment-single") for short in SHORT],
    Route("/v1/webhooks/crm", "crm"),
    Route("/v1/webhooks/crm/{key}", "crm-url"),
]


@pytest.fixture(scope="module")
def project(stack) -> dict[str, str]:  # noqa: ANN001
    return stack.project()


@pytest.fixture(scope="module", autouse=True)
def collector_log_is_clean(stack) -> Iterator[None]:  # noqa: ANN001
    """No hostile request may leave a traceback in the collector's log: that was an
    unauthenticated way to fill it (one RecursionError traceback per 10 KB request)."""
    start = len(stack.collector.output())
    yield
    written = stack.collector.output()[start:]
    assert "Traceback" not in written, written[written.index("Traceback") - 300:][:3000]


def sign(raw: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def post_raw(stack: Any, project: dict[str, str], route: Route, raw: bytes,
             headers: dict[str, Any] | None = None, signed: bool = True,
             key: str | None = None) -> requests.Response:
    """POST raw bytes the way the route's clients do (key, signature), with extra headers."""
    path = route.path.replace("{key}", key or project["write_key"])
    sent: dict[str, Any] = {"Content-Type": "application/json"}
    if route.family != "crm-url":
        sent["X-Write-Key"] = key or project["write_key"]
    if route.family in ("crm", "crm-url") and signed:
        sent["X-Signature"] = sign(raw, project["webhook_secret"])
    sent.update(headers or {})
    return requests.post(f"{stack.collector_url}{path}", data=raw, headers=sent, timeout=30)


def error_of(response: requests.Response) -> str:
    assert response.headers.get("Content-Type", "").startswith("application/json"), response.text
    return response.json()["error"]


# ---- whole bodies that no route can take -------------------------------------------------------
def body_with(raw_value: bytes) -> Callable[[Route], bytes]:
    """A body of one otherwise valid event for the route, with `raw_value` (raw JSON text) as a
    property, so the value reaches everything after the parser."""

    def build(route: Route) -> bytes:
        make_ok = FAMILIES[route.family][0]
        event = make_ok()
        (event.setdefault("data", {}) if route.family.startswith("crm")
         else event.setdefault("properties", {}))["hostile"] = "__HOSTILE__"
        return wrap(route, [event]).replace(b'"__HOSTILE__"', raw_value)

    return build


DEEP = b'{"batch": ' + b"[" * 5000 + b"]" * 5000 + b"}"  # ~10 KB

BODIES: list[tuple[str, bytes | Callable[[Route], bytes], dict[str, str], str]] = [
    # (case, raw body or a builder of one, extra headers, what the error must name)
    ("nested 5000 deep", DEEP, {}, "nested"),
    ("nested 5000 deep in an event", body_with(b"[" * 5000 + b"]" * 5000), {}, "nested"),
    ("nested 200 deep in an event", body_with(b'{"a": ' * 200 + b"1" + b"}" * 200), {},
     "nested"),
    ("top-level number", b"5", {}, "body: expected"),
    ("top-level string", b'"event"', {}, "body: expected"),
    ("top-level null", b"null", {}, "body: expected"),
    ("top-level true", b"true", {}, "body: expected"),
    ("empty body", b"", {}, "empty body"),
    ("whitespace body", b"  \n ", {}, "empty body"),
    ("not JSON", b"event=page_view", {}, "invalid JSON at line 1"),
    ("trailing garbage", b'{"batch": []} x', {}, "invalid JSON at line 1"),
    ("invalid UTF-8", body_with(b'"\xff\xfe"'), {}, "UTF-8"),
    ("lone surrogate", body_with(b'"\\ud800"'), {}, "surrogate"),
    ("lone surrogate in a key", body_with(b'{"\\udc00": 1}'), {}, "surrogate"),
    ("UTF-8 encoded surrogate", body_with(b'"\xed\xa0\x80"'), {}, "UTF-8"),
    ("number overflowing a float", body_with(b"1e400"), {}, "out of range"),
    ("integer beyond 64 bits", body_with(b"123456789012345678901234567890"), {}, "out of range"),
    ("integer with 5000 digits", body_with(b"9" * 5000), {}, "out of range"),
    ("NaN", body_with(b"NaN"), {}, "NaN is not valid JSON"),
    ("gzip that is not gzip", b"not gzip at all", {"Content-Encoding": "gzip"}, "gzip"),
    ("deflate that is not deflate", b"not deflate", {"Content-Encoding": "deflate"}, "deflate"),
    ("gzip bomb (2 MiB of zeros in 2 KB)", gzip.compress(b"0" * (2 * 1024 * 1024)),
     {"Content-Encoding": "gzip"}, "too large"),
]


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize(("case", "raw", "headers", "names"), BODIES, ids=[b[0] for b in BODIES])
def test_hostile_body_is_a_4xx_naming_the_problem(stack, project, route, case, raw, headers,
                                                  names):  # noqa: ANN001
    body = raw(route) if callable(raw) else raw
    r = post_raw(stack, project, route, body, headers)
    assert 400 <= r.status_code < 500, f"{case} on {route}: HTTP {r.status_code} {r.text[:300]}"
    assert names in error_of(r), f"{case} on {route}: {r.text[:300]}"


# ---- headers ------------------------------------------------------------------------------------
HEADERS: list[tuple[str, dict[str, Any], str]] = [
    ("X-Write-Key not UTF-8", {"X-Write-Key": b"nk_\xff\xfe"}, "write key"),
    ("X-Write-Key non-ASCII", {"X-Write-Key": "nk_é".encode()}, "write key"),
    ("X-Write-Key 8 KB", {"X-Write-Key": "k" * 8000}, "write key"),
    ("Basic auth not base64", {"X-Write-Key": "", "Authorization": "Basic %%%"}, "write key"),
    ("Basic auth not UTF-8", {"X-Write-Key": "", "Authorization": b"Basic /w=="}, "write key"),
]


@pytest.mark.parametrize("route", [r for r in ROUTES if r.family != "crm-url"], ids=str)
@pytest.mark.parametrize(("case", "headers", "names"), HEADERS, ids=[h[0] for h in HEADERS])
def test_hostile_write_key_is_a_401(stack, project, route, case, headers, names):  # noqa: ANN001
    raw = json.dumps(make_event()).encode()
    r = post_raw(stack, project, route, raw, headers)
    assert r.status_code == 401, f"{case} on {route}: HTTP {r.status_code} {r.text[:300]}"
    assert names in error_of(r)


@pytest.mark.parametrize("key", ["%FF%FE", "%C3%A9", "%00", "k" * 4000])
def test_hostile_write_key_in_the_url_is_a_401(stack, project, key):  # noqa: ANN001
    raw = json.dumps({"id": "1", "event": "message.read",
                      "timestamp": datetime.now(UTC).isoformat()}).encode()
    r = post_raw(stack, project, Route("/v1/webhooks/crm/{key}", "crm-url"), raw, key=key)
    assert r.status_code == 401, r.text[:300]
    assert "write key" in error_of(r)
    r = requests.get(f"{stack.collector_url}/v1/projects/{key}/settings", timeout=10)
    assert r.status_code == 404, r.text[:300]


SIGNATURES: list[tuple[str, Any]] = [
    ("non-ASCII", ("sha256=" + "é" * 64).encode()),
    ("not UTF-8", b"sha256=\xff\xfe\xfd"),
    ("too short", "sha256=ab"),
    ("no scheme", "deadbeef"),
    ("empty", ""),
    ("huge", "sha256=" + "a" * 8000),
]


@pytest.mark.parametrize("route", [r for r in ROUTES if r.family.startswith("crm")], ids=str)
@pytest.mark.parametrize(("case", "signature"), SIGNATURES, ids=[s[0] for s in SIGNATURES])
def test_hostile_signature_is_a_401(stack, project, route, case, signature):  # noqa: ANN001
    raw = json.dumps({"id": "1", "event": "message.read",
                      "timestamp": datetime.now(UTC).isoformat()}).encode()
    r = post_raw(stack, project, route, raw, {"X-Signature": signature}, signed=False)
    assert r.status_code == 401, f"{case} on {route}: HTTP {r.status_code} {r.text[:300]}"
    assert "X-Signature" in error_of(r)


# ---- single events that must be rejected alone, by index, with a reason -------------------------
def now() -> str:
    return datetime.now(UTC).isoformat()


def capture_ok() -> dict[str, Any]:
    return make_event("page_view")


def with_null_bytes(route: Route, event: dict[str, Any]) -> dict[str, Any]:
    """A valid event with NUL characters in its name, an id and a property key: valid JSON that
    ClickHouse and Redis store as sent, so it is accepted, not refused."""
    if route.family == "capture":
        return {**event, "event_name": "page\x00view", "anonymous_id": "a\x00b",
                "properties": {"k\x00": "v\x00"}}
    if route.family.startswith("segment"):
        return {**event, "event": "otp\x00", "anonymousId": "a\x00b",
                "properties": {"k\x00": "v\x00"}}
    return {**event, "event": "message.read\x00", "data": {"chat_id": "c\x00", "k\x00": "v"}}


def segment_ok() -> dict[str, Any]:
    return {"type": "track", "event": "otp_success", "anonymousId": "a-" + uuid.uuid4().hex[:6],
            "messageId": str(uuid.uuid4()), "timestamp": now()}


def crm_ok() -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "event": "message.received", "timestamp": now(),
            "data": {"whatsapp_number": "254712345678", "chat_id": "c-1"}}


FAR_PAST = "0001-01-01T00:00:00+05:00"  # UTC would be year 0
FAR_FUTURE = "9999-12-31T23:59:59-05:00"  # UTC would be year 10000

# (case, a bad event made from a good one, what the rejection must name)
EventCase = tuple[str, Callable[[dict[str, Any]], Any], str]

CAPTURE_EVENTS: list[EventCase] = [
    ("number", lambda e: 5, "expected a JSON object"),
    ("string", lambda e: "event", "expected a JSON object"),
    ("null", lambda e: None, "expected a JSON object"),
    ("list", lambda e: [e], "expected a JSON object"),
    ("context a string", lambda e: {**e, "context": "x"}, "context"),
    ("context.page a number", lambda e: {**e, "context": {"page": 5}}, "context.page"),
    ("timestamp year 0 in UTC", lambda e: {**e, "timestamp": FAR_PAST}, "timestamp"),
    ("timestamp year 10000 in UTC", lambda e: {**e, "timestamp": FAR_FUTURE}, "timestamp"),
    ("timestamp a huge number", lambda e: {**e, "timestamp": 1e300}, "timestamp"),
    ("properties a list", lambda e: {**e, "properties": [1]}, "properties"),
    ("traits a string", lambda e: {**e, "traits": "x"}, "traits"),
    ("event_name a number", lambda e: {**e, "event_name": 5}, "event_name"),
    ("user_id an object", lambda e: {**e, "user_id": {"a": 1}}, "user_id"),
]

SEGMENT_EVENTS: list[EventCase] = [
    ("number", lambda m: 5, "expected a JSON object"),
    ("null", lambda m: None, "expected a JSON object"),
    ("context.traits a string", lambda m: {**m, "context": {"traits": "x"}}, "context.traits"),
    ("context.traits a list", lambda m: {**m, "context": {"traits": [1, 2]}}, "context.traits"),
    ("context.page a number", lambda m: {**m, "type": "page", "context": {"page": 5}},
     "context.page"),
    ("context.page a string", lambda m: {**m, "type": "page", "context": {"page": "abc"}},
     "context.page"),
    ("context a list", lambda m: {**m, "context": [1]}, "context"),
    ("context.ip an object", lambda m: {**m, "context": {"ip": {"a": 1}}}, "context.ip"),
    ("traits a number", lambda m: {**m, "traits": 5}, "traits"),
    ("type a number", lambda m: {**m, "type": 5}, "type"),
    ("timestamp year 0 in UTC", lambda m: {**m, "timestamp": FAR_PAST}, "timestamp"),
    ("timestamp year 10000 in UTC", lambda m: {**m, "timestamp": FAR_FUTURE}, "timestamp"),
    ("sentAt year 10000 in UTC", lambda m: {**m, "sentAt": FAR_FUTURE}, "sentAt"),
    ("originalTimestamp year 0", lambda m: {**m, "timestamp": None,
                                            "originalTimestamp": FAR_PAST}, "originalTimestamp"),
    ("anonymousId 5000 chars", lambda m: {**m, "anonymousId": "a" * 5000}, "anonymousId"),
]

CRM_EVENTS: list[EventCase] = [
    ("number", lambda e: 5, "envelope"),
    ("null", lambda e: None, "envelope"),
    ("data a string", lambda e: {**e, "data": "x"}, "data"),
    ("data.whatsapp_number an object", lambda e: {**e, "data": {"whatsapp_number": {"a": 1}}},
     "whatsapp_number"),
    ("id a list", lambda e: {**e, "id": [1]}, "id"),
    ("timestamp year 0 in UTC", lambda e: {**e, "timestamp": FAR_PAST}, "timestamp"),
    ("timestamp year 10000 in UTC", lambda e: {**e, "timestamp": FAR_FUTURE}, "timestamp"),
]

FAMILIES: dict[str, tuple[Callable[[], dict[str, Any]], list[EventCase]]] = {
    "capture": (capture_ok, CAPTURE_EVENTS),
    "segment-batch": (segment_ok, SEGMENT_EVENTS),
    "segment-single": (segment_ok, [c for c in SEGMENT_EVENTS if c[0] not in ("number", "null")]),
    "crm": (crm_ok, CRM_EVENTS),
    "crm-url": (crm_ok, CRM_EVENTS),
}


def wrap(route: Route, events: list[Any]) -> bytes:
    if route.family == "capture":
        return json.dumps({"batch": events}).encode()
    if route.family == "segment-batch":
        return json.dumps({"batch": events}).encode()
    if route.family in ("crm", "crm-url"):
        return json.dumps({"events": events}).encode()
    assert len(events) == 1
    return json.dumps(events[0]).encode()


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_mixed_batch_rejects_each_bad_event_alone_and_stores_the_good(stack, route):  # noqa: ANN001
    project = stack.project()  # its own, so the count below is this route's
    make_ok, cases = FAMILIES[route.family]
    if route.family == "segment-single":
        kind = route.path.rsplit("/", 1)[1]
        kind = SHORT.get(kind, kind)

        def make_ok() -> dict[str, Any]:  # noqa: F811 - this path forces its own type
            msg = segment_ok()
            msg["type"] = kind
            msg["userId"] = "P-1" if kind == "alias" else None
            return msg

    expected_good = 0
    if route.family == "segment-single":
        # One message per request: the bad one is answered alone, the good one stored.
        for case, spoil, names in cases:
            r = post_raw(stack, project, route, wrap(route, [spoil(make_ok())]))
            assert r.status_code == 200, f"{case} on {route}: HTTP {r.status_code} {r.text[:300]}"
            body = r.json()
            assert body["accepted"] == 0, f"{case} on {route}: {body}"
            assert [x["index"] for x in body["rejected"]] == [0], f"{case}: {body}"
            assert any(names in e for e in body["rejected"][0]["errors"]), f"{case}: {body}"
            r = post_raw(stack, project, route, wrap(route, [make_ok()]))
            assert r.json() == {"accepted": 1, "rejected": []}, f"{case} on {route}: {r.text}"
            expected_good += 1
        r = post_raw(stack, project, route, wrap(route, [with_null_bytes(route, make_ok())]))
        assert r.json() == {"accepted": 1, "rejected": []}, f"NUL on {route}: {r.text}"
        expected_good += 1
    else:
        events: list[Any] = []
        names_at: dict[int, tuple[str, str]] = {}
        for case, spoil, names in cases:
            events.append(make_ok())
            names_at[len(events)] = (case, names)
            events.append(spoil(make_ok()))
        events.append(with_null_bytes(route, make_ok()))
        events.append(make_ok())
        expected_good = len(events) - len(names_at)
        r = post_raw(stack, project, route, wrap(route, events))
        assert r.status_code == 200, f"{route}: HTTP {r.status_code} {r.text[:500]}"
        body = r.json()
        assert [x["index"] for x in body["rejected"]] == sorted(names_at), body
        for item in body["rejected"]:
            case, names = names_at[item["index"]]
            assert any(names in e for e in item["errors"]), f"{case} on {route}: {item}"
        assert body["accepted"] == expected_good
    stack.drain()
    assert stack.count(project["project_id"]) == expected_good
