"""CRM webhooks over HTTP: signatures, mapping of every known event, dedup of CRM retries."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta

import requests

from collector.webhooks import CRM_NAMESPACE, KNOWN_EVENTS


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_crm(stack, project, payload, secret=None, path="/v1/webhooks/crm", key=True):
    raw = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if key:
        headers["X-Write-Key"] = project["write_key"]
    if secret is not False:
        headers["X-Signature"] = sign(raw, secret or project["webhook_secret"])
    return requests.post(f"{stack.collector_url}{path}", data=raw, headers=headers, timeout=10)


def envelope(event, crm_id, **data):
    return {"id": crm_id, "event": event, "timestamp": datetime.now(UTC).isoformat(),
            "data": {"whatsapp_number": "254712345678", "chat_id": "chat-1", **data}}


def test_every_known_event_is_stored_with_phone_in_e164(stack):
    p = stack.project()
    events = [envelope(name, f"crm-{i}", message_id=f"m{i}") for i, name in
              enumerate(sorted(KNOWN_EVENTS))]
    r = post_crm(stack, p, {"events": events})
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": len(KNOWN_EVENTS), "rejected": []}
    stack.drain()
    rows = stack.ch().query(
        "SELECT event_name, channel, phone, user_id, source, country, chat_id "
        "FROM events WHERE project_id = {p:String} ORDER BY event_name",
        parameters={"p": p["project_id"]}).result_rows
    assert [r[0] for r in rows] == sorted(KNOWN_EVENTS)
    for name, channel, phone, user_id, source, country, chat_id in rows:
        assert channel == ("ai" if name.startswith("ai.") else "whatsapp")
        assert phone == "+254712345678"
        assert user_id == ""  # the number is never a user id
        assert (source, country, chat_id) == ("crm", "KE", "chat-1")


def test_seed_camelcase_fields_land_in_columns_and_properties(stack):
    p = stack.project()
    body = envelope("message.sent", "c1", messageId="wamid.1", agentId="agent-7",
                    contentType="text", hasMedia=False, templateId="tpl-9")
    body["data"]["whatsapp_number"] = "0712 345 678"
    assert post_crm(stack, p, body).json()["accepted"] == 1
    body = envelope("chat.resolved", "c2", resolutionTime=320, durationMinutes=12,
                    messageCount=9, outcome="resolved", serviceName="NIL return",
                    previousAgentId="agent-1")
    assert post_crm(stack, p, body).json()["accepted"] == 1
    stack.drain()
    sent = stack.ch().query(
        "SELECT phone, message_id, agent_id, direction, properties.content_type, "
        "properties.template_id, properties.has_media FROM events "
        "WHERE project_id = {p:String} AND event_name = 'message.sent'",
        parameters={"p": p["project_id"]}).result_rows[0]
    assert sent == ("+254712345678", "wamid.1", "agent-7", "outbound", "text", "tpl-9", False)
    resolved = stack.ch().query(
        "SELECT properties.resolution_time, properties.duration_minutes, "
        "properties.message_count, properties.service_name, properties.previous_agent_id "
        "FROM events WHERE project_id = {p:String} AND event_name = 'chat.resolved'",
        parameters={"p": p["project_id"]}).result_rows[0]
    assert resolved == (320, 12, 9, "NIL return", "agent-1")


def test_wrong_or_missing_signature_stores_nothing(stack):
    p = stack.project()
    r = post_crm(stack, p, envelope("message.received", "x1"), secret="whsec_wrong")
    assert r.status_code == 401
    assert "X-Signature" in r.json()["error"]
    r = post_crm(stack, p, envelope("message.received", "x2"), secret=False)
    assert r.status_code == 401
    stack.drain()
    assert stack.count(p["project_id"]) == 0


def test_write_key_in_url_for_crms_without_headers(stack):
    p = stack.project()
    r = post_crm(stack, p, envelope("contact.created", "k1", email="Jane@KRA.go.ke", name="Jane"),
                 path=f"/v1/webhooks/crm/{p['write_key']}", key=False)
    assert r.status_code == 200, r.text
    stack.drain()
    assert stack.count(p["project_id"], "email = 'jane@kra.go.ke'") == 1


def test_crm_retries_dedup_and_receipts_stay_distinct(stack):
    p = stack.project()
    sent = envelope("message.sent", "msg-42", message_id="wamid.42")
    delivered = envelope("message.delivered", "msg-42", message_id="wamid.42")
    read = envelope("message.read", "msg-42", message_id="wamid.42")
    for _ in range(3):  # the CRM retries everything three times
        assert post_crm(stack, p, {"events": [sent, delivered, read]}).json()["accepted"] == 3
    stack.drain()
    assert stack.count(p["project_id"]) == 3
    expected = str(uuid.uuid5(CRM_NAMESPACE, "message.read:msg-42"))
    assert stack.count(p["project_id"], "event_id = {e:UUID}", e=expected) == 1


def test_unparsable_number_is_kept_raw_and_unknown_events_stored(stack):
    p = stack.project()
    bad = envelope("message.received", "u1")
    bad["data"]["whatsapp_number"] = "not-a-number"
    unknown = envelope("flow.completed", "u2", flow="nil-return")
    assert post_crm(stack, p, {"events": [bad, unknown]}).json()["accepted"] == 2
    stack.drain()
    rows = dict(stack.ch().query(
        "SELECT event_name, (phone, properties.whatsapp_number_raw) FROM events "
        "WHERE project_id = {p:String}", parameters={"p": p["project_id"]}).result_rows)
    assert rows["message.received"] == ("", "not-a-number")
    assert rows["flow.completed"][0] == "+254712345678"


def test_invalid_envelopes_are_rejected_with_reasons(stack):
    p = stack.project()
    old = envelope("message.received", "o1")
    old["timestamp"] = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    r = post_crm(stack, p, {"events": [{"event": "message.received"}, old,
                                       envelope("message.read", "ok")]})
    body = r.json()
    assert body["accepted"] == 1
    assert [x["index"] for x in body["rejected"]] == [0, 1]
    assert any("id" in e for e in body["rejected"][0]["errors"])
    assert "older than" in body["rejected"][1]["errors"][0]


def _accepted_with(stack, project, secret, crm_id):
    """Post one signed envelope until the collector's secret cache agrees (KEY_CACHE_SECONDS)."""
    return post_crm(stack, project, envelope("message.read", crm_id), secret=secret).status_code


def _eventually(check, expected, timeout=5.0):
    import time

    deadline = time.monotonic() + timeout
    while (value := check()) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return value


def test_rotated_webhook_secret_overlaps_for_the_default_window(stack, monkeypatch):
    """A CRM switches over during the window (WEBHOOK_SECRET_OVERLAP_SECONDS, default 24 h):
    both secrets verify in it, only the new one after it."""
    from metadata import projects

    p = stack.project()
    old = p["webhook_secret"]
    new = projects.rotate_webhook_secret(p["project_id"])
    assert new != old
    assert projects.webhook_secrets_for(p["project_id"]) == [new, old]  # newest first
    assert _eventually(lambda: _accepted_with(stack, p, new, "r-new"), 200) == 200
    assert _accepted_with(stack, p, old, "r-old") == 200

    real_now = projects._now
    monkeypatch.setattr(projects, "_now", lambda: real_now() + timedelta(hours=23, minutes=59))
    assert projects.webhook_secrets_for(p["project_id"]) == [new, old]
    monkeypatch.setattr(projects, "_now", lambda: real_now() + timedelta(hours=24, minutes=1))
    assert projects.webhook_secrets_for(p["project_id"]) == [new]


def test_old_webhook_secret_fails_after_the_window(stack):
    from metadata import projects

    p = stack.project()
    old = p["webhook_secret"]
    new = projects.rotate_webhook_secret(p["project_id"], overlap_seconds=3)
    assert _eventually(lambda: _accepted_with(stack, p, new, "w-new"), 200) == 200
    assert _accepted_with(stack, p, old, "w-old") == 200  # still in the window
    assert _eventually(lambda: _accepted_with(stack, p, old, "w-old-2"), 401, 10) == 401
    assert _accepted_with(stack, p, old, "w-old-3") == 401
    assert _accepted_with(stack, p, new, "w-new-2") == 200


def test_a_second_rotation_does_not_extend_an_older_secret(stack, monkeypatch):
    """Rotating twice in the window keeps the first secret's deadline: an old (perhaps leaked)
    secret never lives longer than one window after it was replaced."""
    from metadata import projects

    p = stack.project()
    first = p["webhook_secret"]
    second = projects.rotate_webhook_secret(p["project_id"])
    real_now = projects._now
    monkeypatch.setattr(projects, "_now", lambda: real_now() + timedelta(hours=12))
    third = projects.rotate_webhook_secret(p["project_id"])
    assert projects.webhook_secrets_for(p["project_id"]) == [third, second, first]
    monkeypatch.setattr(projects, "_now", lambda: real_now() + timedelta(hours=25))
    assert projects.webhook_secrets_for(p["project_id"]) == [third, second]
    monkeypatch.setattr(projects, "_now", lambda: real_now() + timedelta(hours=37))
    assert projects.webhook_secrets_for(p["project_id"]) == [third]


def test_rotation_without_overlap_revokes_at_once(stack):
    """For a leaked secret: overlap 0 revokes the old one now."""
    from metadata import projects

    p = stack.project()
    new = projects.rotate_webhook_secret(p["project_id"], overlap_seconds=0)
    assert projects.webhook_secrets_for(p["project_id"]) == [new]
