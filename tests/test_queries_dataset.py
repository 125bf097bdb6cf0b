"""A small KRA dataset with hand-computed answers, sent through the real collector.

Other test modules import `load_dataset` (each with its own fresh project) and the expected
values below. Every number here is worked out by hand in the comments; the tests in this module
only check that the dataset landed as described.

Range under test: 2026-03-10 (Tue) … 2026-03-16 (Mon), Africa/Nairobi (EAT = UTC+3).
Previous period:  2026-03-03 … 2026-03-09.

Current period sessions (bots excluded):
  S1  web  a1→PIN A001  Tue 03-10 09:00:00 → 09:05:00  300 s  /nil, /nil/otp, app_error, filed
  S2  web  a2           Wed 03-11 10:00:00              0 s  /mri (mobile, Uganda)
  S3  web  a2           Thu 03-12 23:30:00 → 23:31:00   60 s  /tot, app_error
  C1  wa   +254711000001 Fri 03-13 12:00:00 → 12:10:00  600 s  in, out, delivered, in
  (Sb: Googlebot, Sat 03-14 08:00 — excluded; S7: a4, 03-17 01:00 EAT = 03-16 22:00 UTC — outside
  the range in EAT though inside it in UTC.)
Previous period sessions:
  S4  web  a3           Thu 03-05 14:00:00 → 14:02:00  120 s  /nil, return_filed
  S5  web  a1 (P1)      Mon 03-09 23:50:00 → Tue 03-10 00:10:00  1200 s (starts in the previous
      period, so it belongs there even though it ends in the current one)
People: P1 = {anon:a1, user:A001} identified; P2 = {anon:a2} anonymous; P3 = {anon:a3}
anonymous; the WhatsApp number is a person known by phone (identified).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.conftest import Stack

EAT = ZoneInfo("Africa/Nairobi")
FROM, TO = date(2026, 3, 10), date(2026, 3, 16)
PREV_FROM, PREV_TO = date(2026, 3, 3), date(2026, 3, 9)
RANGE = {"from": FROM.isoformat(), "to": TO.isoformat()}

DESKTOP_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0 Safari/537.36")
MOBILE_UA = ("Mozilla/5.0 (Linux; Android 13; SM-A135F) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/120.0 Mobile Safari/537.36")
BOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
KE_IP, UG_IP = "41.90.64.10", "41.75.160.1"
PHONE = "+254711000001"
PIN = "A001"

# Overview KPIs, (current, previous), worked out in the module docstring.
KPIS: dict[str, dict[str, tuple[float, float]]] = {
    "all": {
        "sessions": (4, 2),                     # S1 S2 S3 C1 | S4 S5
        "people": (3, 2),                       # P1 P2 phone | P3 P1
        "identified_people": (2, 1),            # P1 phone    | P1
        "anonymous_people": (1, 1),             # P2          | P3
        "conversion_rate": (1 / 4, 1 / 2),      # S1          | S4
        "avg_duration_s": (240.0, 660.0),       # (300+0+60+600)/4 | (120+1200)/2
    },
    "web": {
        "sessions": (3, 2),
        "people": (2, 2),
        "identified_people": (1, 1),
        "anonymous_people": (1, 1),
        "conversion_rate": (1 / 3, 1 / 2),
        "avg_duration_s": (120.0, 660.0),       # (300+0+60)/3
    },
    "whatsapp": {
        "sessions": (1, 0),
        "people": (1, 0),
        "identified_people": (1, 0),
        "anonymous_people": (0, 0),
        "conversion_rate": (0.0, None),
        "avg_duration_s": (600.0, None),
    },
}
# Daily active people, 03-10 … 03-16 in EAT (S5's 00:10 event makes P1 active on 03-10 too;
# the bot's Saturday and a4's 03-17 EAT event do not count).
DAU = [1, 1, 1, 1, 0, 0, 0]
DAU_WEB = [1, 1, 1, 0, 0, 0, 0]


def eat(day: int, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(2026, 3, day, hh, mm, ss, tzinfo=EAT)


def web(name: str, at: datetime, anon: str, session: str, path: str = "", *,
        ua: str = DESKTOP_UA, ip: str = KE_IP, user_id: str | None = None,
        props: dict[str, Any] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "event_name": name,
        "timestamp": at.isoformat(),
        "anonymous_id": anon,
        "session_id": session,
        "context": {"page": {"path": path, "title": path.strip("/").upper() or "Home"},
                    "userAgent": ua, "ip": ip},
        "properties": props or {},
    }
    if user_id:
        event["user_id"] = user_id
    return event


def crm(event: str, at: datetime, phone: str, message_id: str = "", **data: Any) -> dict[str, Any]:
    return {"id": f"{event}-{message_id or uuid.uuid4().hex}", "event": event,
            "timestamp": at.isoformat(),
            "data": {"whatsapp_number": phone, "chat_id": f"chat-{phone}",
                     "message_id": message_id, **data}}


def post_crm(stack: Stack, project: dict[str, str], envelopes: list[dict[str, Any]]) -> None:
    raw = json.dumps({"events": envelopes}).encode()
    signature = hmac.new(project["webhook_secret"].encode(), raw, hashlib.sha256).hexdigest()
    r = requests.post(f"{stack.collector_url}/v1/webhooks/crm", data=raw, timeout=30,
                      headers={"X-Write-Key": project["write_key"],
                               "X-Signature": f"sha256={signature}",
                               "Content-Type": "application/json"})
    assert r.status_code == 200 and not r.json()["rejected"], r.text


def post_web(stack: Stack, project: dict[str, str], events: list[dict[str, Any]]) -> None:
    r = stack.post("/v1/capture", {"batch": events}, project["write_key"])
    assert r.status_code == 200 and not r.json()["rejected"], r.text


def new_project(stack: Stack) -> dict[str, str]:
    """A fresh project that accepts events from 2026-03 (its maximum event age covers them)."""
    from metadata.projects import update_settings

    project = stack.project()
    update_settings(project["project_id"], max_event_age_seconds=10 * 365 * 86400)
    return project


def web_events() -> list[dict[str, Any]]:
    nil_error = {"error_type": "ValidationError", "message": "PIN mismatch", "path": "/nil/otp"}
    tot_error = {"error_type": "TypeError", "message": "x is undefined", "path": "/tot"}
    return [
        # S5 (previous period, crosses midnight into the current one)
        web("page_view", eat(9, 23, 50), "a1", "s5", "/nil"),
        web("page_view", eat(10, 0, 10), "a1", "s5", "/nil/otp"),
        # S1
        web("page_view", eat(10, 9, 0), "a1", "s1", "/nil"),
        web("page_view", eat(10, 9, 2), "a1", "s1", "/nil/otp"),
        web("app_error", eat(10, 9, 3), "a1", "s1", "/nil/otp", props=nil_error),
        web("return_filed", eat(10, 9, 5), "a1", "s1", "/nil/done", user_id=PIN,
            props={"obligation": "NIL", "receipt_number": "R-1"}),
        # S2 (mobile, Uganda)
        web("page_view", eat(11, 10, 0), "a2", "s2", "/mri", ua=MOBILE_UA, ip=UG_IP),
        # S3
        web("page_view", eat(12, 23, 30), "a2", "s3", "/tot"),
        web("app_error", eat(12, 23, 31), "a2", "s3", "/tot", props=tot_error),
        # S4 (previous period)
        web("page_view", eat(5, 14, 0), "a3", "s4", "/nil"),
        web("return_filed", eat(5, 14, 2), "a3", "s4", "/nil/done"),
        # Bot and out-of-range (EAT) sessions
        web("page_view", eat(14, 8, 0), "bot1", "sb", "/nil", ua=BOT_UA),
        web("page_view", eat(17, 1, 0), "a4", "s7", "/nil"),
    ]


def whatsapp_events() -> list[dict[str, Any]]:
    return [
        crm("message.received", eat(13, 12, 0), PHONE, "m1"),
        crm("message.sent", eat(13, 12, 1), PHONE, "m2", agent_id="bot"),
        crm("message.delivered", eat(13, 12, 1, 30), PHONE, "m2"),
        crm("message.received", eat(13, 12, 10), PHONE, "m3"),
    ]


def other_tenant_events() -> list[dict[str, Any]]:
    """Project B's events in the same range, with markers that must never show up in A."""
    b_error = {"error_type": "BOnlyError", "message": "b only", "path": "/b-only"}
    return [
        web("page_view", eat(11, 9, 0), "b-anon", "b-s1", "/b-only"),
        web("app_error", eat(11, 9, 1), "b-anon", "b-s1", "/b-only", props=b_error),
        web("return_filed", eat(11, 9, 2), "b-anon", "b-s1", "/b-only", user_id="B-PIN"),
    ]


def load_dataset(stack: Stack) -> dict[str, str]:
    """Project A with the dataset above, project B with its own events; both drained."""
    a = new_project(stack)
    b = new_project(stack)
    post_web(stack, a, web_events())
    post_crm(stack, a, whatsapp_events())
    post_web(stack, b, other_tenant_events())
    post_crm(stack, b, [crm("message.received", eat(13, 12, 0), "+254722000002", "b-m1")])
    stack.drain()
    return {"a": a["project_id"], "b": b["project_id"], "a_write_key": a["write_key"]}


@pytest.fixture(scope="module")
def dataset(stack: Stack) -> dict[str, str]:
    return load_dataset(stack)


def test_the_dataset_landed_as_described(stack, dataset):
    a = dataset["a"]
    assert stack.count(a) == 17
    assert stack.count(a, "is_bot") == 1
    assert stack.count(a, "device_type = 'mobile'") == 1
    assert stack.count(a, "country = 'UG'") == 1
    assert stack.count(dataset["b"]) == 4
