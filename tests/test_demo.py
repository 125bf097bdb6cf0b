"""`njia demo`: a small seeded demo through the real collector, processed and queried.

One module-scoped load (3 days, 60 people) into a fresh project; the tests read what the
processor stored through the same views the workbench uses.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from demo import demo_is_empty, generate, load_demo

SEED, DAYS, PEOPLE = 7, 3, 60

# Every event the seed documents name (web, tax-app journeys, WhatsApp, AI, CRM).
SEED_EVENTS = {
    "page_view", "session.start", "session.converted", "identify", "validation_success",
    "otp_success", "return_filed", "payment_initiated", "app_error",
    "message.received", "message.sent", "message.delivered", "message.read", "message.failed",
    "chat.assigned", "chat.resolved", "agent.handoff", "csat.submitted", "contact.created",
    "campaign.sent", "ai.classification", "ai.generation", "ai.error",
}


@pytest.fixture(scope="module")
def demo(stack) -> dict[str, Any]:
    project = f"demo{uuid.uuid4().hex[:8]}"
    assert demo_is_empty(project)
    summary = load_demo(stack.collector_url, project, DAYS, PEOPLE, SEED, progress=False)
    stack.drain(timeout=60)
    return summary


def _rows(stack, sql: str, **params: Any) -> list[dict[str, Any]]:
    result = stack.ch().query(sql, parameters=params)
    return [dict(zip(result.column_names, r, strict=True)) for r in result.result_rows]


def _window() -> dict[str, datetime]:
    now = datetime.now(UTC)
    return {"s": now - timedelta(days=DAYS + 1), "e": now + timedelta(days=1)}


def test_everything_sent_is_accepted_and_stored(stack, demo):
    assert demo["rejected"] == {} and demo["rejections"] == []
    assert demo["accepted"] == demo["sent"]
    assert demo["events"] == sum(demo["sent"].values()) > 500
    assert stack.count(demo["project"]) == demo["events"]
    assert not demo_is_empty(demo["project"])
    # Nothing secret in what load_demo returns (it may be printed or logged).
    text = json.dumps(demo)
    assert "nk_" not in text and "whsec_" not in text


def test_every_seed_event_type_and_channel_is_present(stack, demo):
    rows = _rows(stack, "SELECT event_name, channel, count() AS n FROM events "
                 "WHERE project_id = {p:String} GROUP BY ALL", p=demo["project"])
    assert SEED_EVENTS <= {r["event_name"] for r in rows}
    assert {"web", "whatsapp", "ai"} <= {r["channel"] for r in rows}
    web = _rows(stack, "SELECT uniqExact(country) AS countries, groupUniqArray(device_type) AS "
                "devices, countIf(country = 'KE') / count() AS ke FROM events "
                "WHERE project_id = {p:String} AND channel = 'web'", p=demo["project"])[0]
    assert web["countries"] >= 2 and web["ke"] > 0.6  # geolocated from context.ip
    assert {"mobile", "desktop"} <= set(web["devices"])


def test_sessions_and_conversations_cover_every_course(stack, demo):
    rows = _rows(
        stack,
        "SELECT channel, count() AS n, sum(converted) AS converted, sum(resolved) AS resolved, "
        "sum(handed_off) AS handed_off, sum(dropped) AS dropped, sum(inbound) AS inbound "
        "FROM sessions(project = {p:String}, start = {s:DateTime64(3, 'UTC')}, "
        "end = {e:DateTime64(3, 'UTC')}, timeout_s = 1800, session_timeout_s = 1800, "
        "conversion_events = ['return_filed']) GROUP BY channel",
        p=demo["project"], **_window())
    by = {r["channel"]: r for r in rows}
    assert by["web"]["n"] > 20 and 0 < by["web"]["converted"] < by["web"]["n"]
    chats = by["whatsapp"]
    assert chats["n"] > 10 and chats["inbound"] >= chats["n"]
    assert chats["resolved"] > 0 and chats["handed_off"] > 0 and chats["dropped"] > 0
    assert chats["resolved"] + chats["dropped"] < chats["n"]  # some just stop replying


def test_cross_channel_people_are_joined_only_by_phone_or_email(stack, demo):
    from queries.persons import show_person

    # People whose events span web and WhatsApp, found through the person mapping.
    rows = _rows(
        stack,
        "SELECT person_id, anyIf(phone, session_channel = 'whatsapp') AS phone "
        "FROM session_events(project = {p:String}, start = {s:DateTime64(3, 'UTC')}, "
        "end = {e:DateTime64(3, 'UTC')}, timeout_s = 1800, session_timeout_s = 1800) "
        "GROUP BY person_id HAVING countIf(channel = 'web') > 0 "
        "AND countIf(channel = 'whatsapp') > 0 ORDER BY person_id",
        p=demo["project"], **_window())
    assert len(rows) >= 5, rows
    # The web never sends the WhatsApp number as a user id: only the CRM's number/email and
    # the web's identify traits can have joined them.
    assert stack.count(demo["project"], "user_id != '' AND source = 'crm'") == 0
    person = show_person(demo["project"], f"phone:{rows[0]['phone']}")
    kinds = person["identifiers"]
    assert "phone" in kinds and ("user" in kinds or "email" in kinds), person
    assert {"web", "whatsapp"} <= set(person["events_by_channel"]), person
    assert all(pin.startswith("A") and len(pin) == 11 for pin in kinds.get("user", []))


def test_same_seed_same_payloads_other_seed_other_ids():
    now = int(datetime(2026, 11, 20, 12, tzinfo=UTC).timestamp() * 1000)
    a, b = generate(DAYS, PEOPLE, SEED, now), generate(DAYS, PEOPLE, SEED, now)
    assert a.capture == b.capture and a.crm == b.crm and a.counts() == b.counts()
    other = generate(DAYS, PEOPLE, SEED + 1, now)
    ids = {e["event_id"] for _, e in a.capture} | {e["id"] for _, e in a.crm}
    assert ids.isdisjoint({e["event_id"] for _, e in other.capture})
    # Payloads as the SDK sends them: a session id, the library, a public client IP.
    event = next(e for _, e in a.capture if e["event_name"] == "identify")
    assert event["user_id"] and event["session_id"] and event["traits"]["name"]
    assert event["context"]["library"] == {"name": "njia-js", "version": "1.0.0"}
    assert all(t <= now for t, _ in a.capture + a.crm)


def test_existing_project_keeps_its_credentials(stack):
    from metadata.projects import get_project, write_key_prefixes

    p = stack.project()
    summary = load_demo(stack.collector_url, p["project_id"], 10, 6, 3, progress=False)
    assert summary["project_created"] is False
    assert summary["accepted"] == summary["sent"]
    # Raised to cover the 10 days (+1), never lowered.
    assert get_project(p["project_id"]).settings.max_event_age_seconds == 11 * 86400
    # The demo's own key is revoked; the project's key was not rotated and still works.
    keys = write_key_prefixes(p["project_id"])
    assert len(keys) == 2 and sum(k["revoked_at"] is None for k in keys) == 1
    time.sleep(1.1)  # KEY_CACHE_SECONDS in the test stack
    r = requests.post(f"{stack.collector_url}/v1/capture", timeout=10,
                      headers={"X-Write-Key": p["write_key"]},
                      json={"event_id": str(uuid.uuid4()), "event_name": "page_view",
                            "timestamp": datetime.now(UTC).isoformat(), "anonymous_id": "a"})
    assert r.status_code == 200 and r.json()["accepted"] == 1


def test_first_start_loads_an_empty_demo_project_once(stack, capsys):
    from config.settings import get_settings
    from stack.first_start import load_on_first_start

    project = f"first{uuid.uuid4().hex[:8]}"
    summary = load_on_first_start(get_settings(), project, days=1, people=5)
    assert summary is not None and summary["project_created"] is True
    assert load_on_first_start(get_settings(), project, days=1, people=5) is None  # marker
    err = capsys.readouterr().err
    assert "Demo data:" in err and "nk_" not in err and "whsec_" not in err
