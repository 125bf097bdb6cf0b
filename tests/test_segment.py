"""Segment-compatible API: what Segment's and RudderStack's SDKs send, unchanged."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import requests

from collector.segment import SEGMENT_NAMESPACE


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def test_batch_maps_track_page_identify(stack):
    p = stack.project()
    now = datetime.now(UTC).isoformat()
    batch = {
        "batch": [
            {"type": "page", "messageId": "ajs-next-1", "anonymousId": "a-seg", "name": "Home",
             "properties": {"path": "/home", "url": "https://app/home", "title": "Home"},
             "timestamp": now, "context": {"userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 "
                                           "like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
                                           "ip": "41.90.64.10"}},
            {"type": "identify", "messageId": str(uuid.uuid4()), "anonymousId": "a-seg",
             "userId": "A000111222Z", "traits": {"phone": "0722 000 111",
                                                "email": "X@Y.com"}, "timestamp": now},
            {"type": "track", "messageId": str(uuid.uuid4()), "userId": "A000111222Z",
             "event": "return_filed", "properties": {"obligation": "NIL"}, "timestamp": now},
        ],
        "sentAt": now,
    }
    r = requests.post(f"{stack.collector_url}/v1/batch", json=batch, headers=basic(p["write_key"]),
                      timeout=10)
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 3, "rejected": []}
    stack.drain()
    rows = {r[0]: r[1:] for r in stack.ch().query(
        "SELECT event_name, toString(event_id), page_path, user_id, phone, email, device_type, "
        "country, source FROM events WHERE project_id = {p:String}",
        parameters={"p": p["project_id"]}).result_rows}
    assert rows["page_view"][0] == str(uuid.uuid5(SEGMENT_NAMESPACE, "ajs-next-1"))
    assert rows["page_view"][1] == "/home"
    assert rows["page_view"][5:8] == ("mobile", "KE", "segment")
    assert rows["identify"][2:5] == ("A000111222Z", "+254722000111", "x@y.com")
    assert rows["return_filed"][2] == "A000111222Z"


def test_single_calls_and_write_key_in_body(stack):
    p = stack.project()
    r = requests.post(f"{stack.collector_url}/v1/track",
                      json={"writeKey": p["write_key"], "anonymousId": "a2", "event": "otp_success",
                            "properties": {"method": "sms"}}, timeout=10)
    assert r.json()["accepted"] == 1
    # analytics.js posts text/plain to <apiHost>/t with the key in the body.
    r = requests.post(f"{stack.collector_url}/v1/t",
                      data=f'{{"writeKey": "{p["write_key"]}", "type": "track", '
                           f'"anonymousId": "a3", "event": "validation_success"}}',
                      headers={"Content-Type": "text/plain"}, timeout=10)
    assert r.json()["accepted"] == 1
    stack.drain()
    assert stack.count(p["project_id"]) == 2


def test_bad_messages_are_rejected_by_index(stack):
    p = stack.project()
    r = requests.post(f"{stack.collector_url}/v1/batch", json={"batch": [
        {"type": "track", "anonymousId": "a"},  # no event name
        {"type": "teleport", "anonymousId": "a"},
        {"type": "track", "event": "x"},  # no identity
        {"type": "track", "event": "ok", "anonymousId": "a"},
    ]}, headers=basic(p["write_key"]), timeout=10)
    body = r.json()
    assert body["accepted"] == 1
    assert [x["index"] for x in body["rejected"]] == [0, 1, 2]


def test_settings_document_for_analytics_js(stack):
    p = stack.project()
    r = requests.get(f"{stack.collector_url}/v1/projects/{p['write_key']}/settings", timeout=10)
    assert r.status_code == 200
    seg = r.json()["integrations"]["Segment.io"]
    assert seg["apiKey"] == p["write_key"]
    assert seg["apiHost"].endswith("/v1")
    assert requests.get(f"{stack.collector_url}/v1/projects/nope/settings",
                        timeout=10).status_code == 404


def test_alias_links_the_previous_id(stack):
    from processor.identity import IdentityGraph

    p = stack.project()
    r = requests.post(f"{stack.collector_url}/v1/alias", json={
        "previousId": "anon-before-signup", "userId": "A009988776Z", "writeKey": p["write_key"],
        "messageId": "alias-1"}, timeout=10)
    assert r.json()["accepted"] == 1
    stack.drain()
    graph = IdentityGraph(stack.redis.client())
    assert graph.person_of(p["project_id"], "anon:anon-before-signup") == \
        graph.person_of(p["project_id"], "user:A009988776Z")


def test_settings_document_ignores_forwarded_host_from_untrusted_peers(stack):
    """Anyone could otherwise point analytics.js (apiHost) at their own host through a page
    that loads the settings via a cache or a shared proxy: X-Forwarded-* count only from
    TRUSTED_PROXIES, the same rule as the client IP (the test collector trusts none)."""
    p = stack.project()
    r = requests.get(f"{stack.collector_url}/v1/projects/{p['write_key']}/settings",
                     headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"},
                     timeout=10)
    seg = r.json()["integrations"]["Segment.io"]
    assert seg["apiHost"] == stack.collector_url.removeprefix("http://") + "/v1"
    assert seg["protocol"] == "http"


async def test_settings_document_honours_forwarded_host_from_a_trusted_proxy(stack,
                                                                             aiohttp_client):
    from collector.app import build_app
    from config.settings import get_settings

    p = stack.project()
    trusting = get_settings().model_copy(update={"trusted_proxies": ["127.0.0.1/32"]})
    client = await aiohttp_client(build_app(trusting))
    path = f"/v1/projects/{p['write_key']}/settings"
    r = await client.get(path, headers={"X-Forwarded-Host": "njia.kra.go.ke",
                                        "X-Forwarded-Proto": "https"})
    seg = (await r.json())["integrations"]["Segment.io"]
    assert (seg["apiHost"], seg["protocol"]) == ("njia.kra.go.ke/v1", "https")
    # A chain of proxies: the value the nearest (trusted) proxy added counts.
    r = await client.get(path, headers={"X-Forwarded-Host": "evil.example, njia.kra.go.ke",
                                        "X-Forwarded-Proto": "http, https"})
    seg = (await r.json())["integrations"]["Segment.io"]
    assert (seg["apiHost"], seg["protocol"]) == ("njia.kra.go.ke/v1", "https")
    # Not a host or not a scheme: ignored, even from a trusted proxy.
    r = await client.get(path, headers={"X-Forwarded-Host": "a/b?c", "X-Forwarded-Proto": "ftp"})
    seg = (await r.json())["integrations"]["Segment.io"]
    assert seg["apiHost"] != "a/b?c/v1" and seg["protocol"] == "http"
