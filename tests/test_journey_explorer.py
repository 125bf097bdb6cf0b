"""Journey explorer: a hand-built person across web, WhatsApp and the AI agent (merged by PIN,
phone and email), found by every identifier format; their exact card and timeline (labels,
groups, order, pagination, date range); the page under AppTest; and the page, `njia query` and
the HTTP API giving the same numbers. Sessions and Errors link to the explorer by person.

Person P (EAT = UTC+3; every time below is EAT):
  X   Mon 03-09 08:00:00  campaign message.sent (outbound-only: no conversation), and its
      08:00:05 delivery receipt — two events outside any session
  W1  Tue 03-10 09:00–09:03  web, anon jx-anon-1, SDK session jx-s1, desktop, Kenya:
      page_view /nil-return, identify (PIN + phone 0722 111 222 + email: P is merged),
      page_view /nil-return/confirm, return_filed NIL (a conversion)
  C1  Wed 03-11 10:00–10:06  WhatsApp 254722111222 (the CRM's format), chat chat-jx: inbound,
      AI classification (file_nil_return, 0.934), AI reply (without the number: it joins the
      conversation by chat id), bot reply + receipt, hand-off, assignment, agent reply,
      inbound, resolved, CSAT 4 (10:07, after the end)
  W2  Thu 03-12 14:00–14:00:30  web, anon jx-anon-2 with the PIN, mobile, Uganda:
      page_view /payment, app_error ValidationError
19 events. Q (jx-other) views /nil-return during W1; project B has P's number too; H
(jx-heavy) has 60 page views in 3 sessions, for the page's pager.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import requests

from metadata import tokens, users
from metadata.access import OPERATOR
from queries.journey.person import candidates
from queries.runner import QueryParamError, run
from queries.serialize import records
from tests.test_api import api  # noqa: F401 - the API program, started once for this module
from tests.test_queries_dataset import (
    DESKTOP_UA,
    KE_IP,
    MOBILE_UA,
    UG_IP,
    new_project,
    post_crm,
    post_web,
)
from tests.test_workbench_auth import PASSWORD, signed_in_app
from workbench import journey_view

EAT = ZoneInfo("Africa/Nairobi")
PIN, PHONE, EMAIL = "A009876543Z", "+254722111222", "wanjiku@example.com"
CRM_NUMBER, CHAT = "254722111222", "chat-jx"


def eat(day: int, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(2026, 3, day, hh, mm, ss, tzinfo=EAT)


def utc(day: int, hh: int, mm: int, ss: int = 0) -> pd.Timestamp:
    """An EAT time as the naive UTC instant the warehouse returns."""
    return pd.Timestamp(eat(day, hh, mm, ss).astimezone(UTC).replace(tzinfo=None))


def web(name: str, at: datetime, anon: str, session: str, path: str, *, ua: str = DESKTOP_UA,
        ip: str = KE_IP, **extra: Any) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "event_name": name, "timestamp": at.isoformat(),
            "anonymous_id": anon, "session_id": session,
            "context": {"page": {"path": path}, "userAgent": ua, "ip": ip}, **extra}


def crm(event: str, at: datetime, message_id: str = "", number: str | None = CRM_NUMBER,
        **data: Any) -> dict[str, Any]:
    body = {"chat_id": CHAT, "message_id": message_id, **data}
    if number:
        body["whatsapp_number"] = number
    return {"id": f"{event}-{message_id or uuid.uuid4().hex}", "event": event,
            "timestamp": at.isoformat(), "data": body}


def person_events() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    pin = {"user_id": PIN}
    web_events = [
        # W1
        web("page_view", eat(10, 9, 0), "jx-anon-1", "jx-s1", "/nil-return"),
        web("identify", eat(10, 9, 1), "jx-anon-1", "jx-s1", "/login", user_id=PIN,
            traits={"phone": "0722 111 222", "email": "Wanjiku@Example.com"}),
        web("page_view", eat(10, 9, 2), "jx-anon-1", "jx-s1", "/nil-return/confirm", **pin),
        web("return_filed", eat(10, 9, 3), "jx-anon-1", "jx-s1", "/nil-return/confirm",
            properties={"obligation": "NIL", "receipt_number": "R-9"}, **pin),
        # W2
        web("page_view", eat(12, 14, 0), "jx-anon-2", "jx-s2", "/payment", ua=MOBILE_UA,
            ip=UG_IP, **pin),
        web("app_error", eat(12, 14, 0, 30), "jx-anon-2", "jx-s2", "/payment", ua=MOBILE_UA,
            ip=UG_IP, properties={"error_type": "ValidationError", "message": "PRN expired"},
            **pin),
        # Q, during W1
        web("page_view", eat(10, 9, 0, 30), "jx-other", "jx-s9", "/nil-return"),
    ]
    whatsapp = [
        # X: a campaign send and its receipt, no conversation
        crm("message.sent", eat(9, 8, 0), "jm0", campaign_id="cmp-nil",
            template_id="nil_reminder", agent_id="bot"),
        crm("message.delivered", eat(9, 8, 0, 5), "jm0"),
        # C1
        crm("message.received", eat(11, 10, 0), "jm1", content_type="text"),
        crm("ai.classification", eat(11, 10, 0, 2), intent="file_nil_return", confidence=0.934),
        crm("ai.generation", eat(11, 10, 0, 4), number=None, intent="file_nil_return"),
        crm("message.sent", eat(11, 10, 0, 5), "jm2", agent_id="bot"),
        crm("message.delivered", eat(11, 10, 0, 6), "jm2"),
        crm("agent.handoff", eat(11, 10, 1), agent_id="agent-amina", reason="complex_case"),
        crm("chat.assigned", eat(11, 10, 2), agent_id="agent-amina"),
        crm("message.sent", eat(11, 10, 3), "jm3", agent_id="agent-amina"),
        crm("message.received", eat(11, 10, 5), "jm4"),
        crm("chat.resolved", eat(11, 10, 6), outcome="resolved_by_agent",
            agent_id="agent-amina"),
        crm("csat.submitted", eat(11, 10, 7), rating=4, agent_id="agent-amina"),
    ]
    return web_events, whatsapp


def heavy_events() -> list[dict[str, Any]]:
    """H: 60 page views, 20 in each of 3 sessions on 03-13, 03-14 and 03-15."""
    return [web("page_view", eat(13 + s, 8, i), "jx-heavy", f"jx-h{s}", f"/h/{s}/{i}")
            for s in range(3) for i in range(20)]


@pytest.fixture(scope="module")
def jx(stack) -> dict[str, Any]:
    a, b = new_project(stack), new_project(stack)
    web_events, whatsapp = person_events()
    post_web(stack, a, web_events + heavy_events())
    post_crm(stack, a, whatsapp)
    post_crm(stack, b, [crm("message.received", eat(11, 10, 0), "b-jm1")])
    stack.drain()
    project = a["project_id"]
    sessions = run("sessions_list", {"project": project, "from": "2026-03-10",
                                     "to": "2026-03-12"}, OPERATOR)
    ids = {(r.channel, r.anonymous_id or r.phone): r.session_id for r in sessions.itertuples()}
    users.add_user("journey-analyst", PASSWORD, role="analyst", projects=[project])
    return {"project": project, "b": b["project_id"], "user": "journey-analyst",
            "w1": ids[("web", "jx-anon-1")], "w2": ids[("web", "jx-anon-2")],
            "c1": ids[("whatsapp", PHONE)]}


def profile(jx: dict[str, Any], person: str) -> dict[str, Any] | None:
    rows = records(run("journey_profile", {"project": jx["project"], "person": person},
                       OPERATOR))
    assert len(rows) <= 1
    return rows[0] if rows else None


def timeline(jx: dict[str, Any], person: str = PIN, **params: Any) -> pd.DataFrame:
    return run("journey", {"project": jx["project"], "person": person, **params}, OPERATOR)


# Groups newest first; each group's events in time order.
W2_LABELS = ["Viewed /payment", "Error: ValidationError"]
C1_LABELS = ["WhatsApp ← message", "AI: intent file_nil_return (0.93)", "AI: reply",
             "WhatsApp → message", "Delivered", "Agent took over", "Assigned to agent-amina",
             "WhatsApp → message", "WhatsApp ← message", "Resolved", "CSAT 4"]
W1_LABELS = ["Viewed /nil-return", "Identified", "Viewed /nil-return/confirm",
             "Filed NIL return"]
X_LABELS = ["Delivered", "WhatsApp → campaign cmp-nil"]  # two groups: receipt, then send
LABELS = W2_LABELS + C1_LABELS + W1_LABELS + X_LABELS


def expected_profile(jx: dict[str, Any], searched: str) -> dict[str, Any]:
    return {
        "searched": searched,
        "person_id": profile(jx, f"user:{PIN}")["person_id"],
        "identifiers": [f"user:{PIN}", f"phone:{PHONE}", f"email:{EMAIL}", "anon:jx-anon-1",
                        "anon:jx-anon-2"],
        "first_seen": "2026-03-09T05:00:00.000Z",
        "last_seen": "2026-03-12T11:00:30.000Z",
        "events": 19,
        "channels": ["ai", "web", "whatsapp"],
        "web_sessions": 2,
        "conversations": 1,
        "conversions": 1,
        "page_views": 3,
        "messages_received": 2,
        "messages_sent": 3,
        "ai_events": 2,
        "errors": 1,
        "devices": ["desktop · Linux · Chrome", "mobile · Android · Chrome"],
        "countries": ["KE", "UG"],
        "country": "UG",
        "last_conversation": jx["c1"],
        "last_conversation_start": "2026-03-11T07:00:00.000Z",
        "last_conversation_end": "2026-03-11T07:06:00.000Z",
        "last_conversation_status": "resolved",
        "csat_given": 1,
        "last_csat": 4,
        "avg_csat": 4.0,
    }


# --- finding the person ------------------------------------------------------------------
def test_candidates_of_a_search_text():
    assert candidates("0722 111 222") == [f"phone:{PHONE}", "user:0722 111 222",
                                          "anon:0722 111 222"]
    assert candidates(" Wanjiku@Example.com ") == [
        f"email:{EMAIL}", "user:Wanjiku@Example.com", "anon:Wanjiku@Example.com"]
    assert candidates("phone:0722-111-222") == [f"phone:{PHONE}"]
    assert candidates("user:A1") == ["user:A1"]
    assert candidates("jx-anon-1") == ["user:jx-anon-1", "anon:jx-anon-1"]
    assert candidates("") == [] and candidates("anon:") == []


SEARCHES = ["+254 722 111 222", "0722111222", "254722111222", "0722-111-222",
            "(0722) 111 222", f"phone:{PHONE}", "Wanjiku@Example.com", f"email:{EMAIL}", PIN,
            f"user:{PIN}", "jx-anon-2", "anon:jx-anon-1", "jx-s1", CHAT]


@pytest.mark.parametrize("search", SEARCHES)
def test_every_identifier_format_finds_the_person(jx, search):
    assert profile(jx, search) == expected_profile(jx, search)


def test_session_conversation_and_person_ids_find_the_person(jx):
    for search in (jx["w1"], jx["w2"], jx["c1"], profile(jx, PIN)["person_id"]):
        assert profile(jx, search) == expected_profile(jx, search), search


def test_nobody_and_other_people(jx):
    assert profile(jx, "nobody-here") is None
    assert profile(jx, "anon:jx-anon-1-nope") is None
    assert timeline(jx, "nobody-here").empty
    # Q viewed the same page during W1: their journey is theirs alone, and P's excludes it.
    other = profile(jx, "jx-other")
    assert (other["events"], other["identifiers"], other["web_sessions"]) == (
        1, ["anon:jx-other"], 1)
    assert list(timeline(jx, "jx-other")["label"]) == ["Viewed /nil-return"]
    # Never linked, Q's person id is their key's hash: found through the model (funnel links).
    assert profile(jx, other["person_id"])["identifiers"] == ["anon:jx-other"]
    # Project B has P's number: only its own event, and none of A's.
    b = records(run("journey_profile", {"project": jx["b"], "person": "0722111222"},
                    OPERATOR))
    assert [(r["events"], r["conversations"]) for r in b] == [(1, 1)]


# --- the timeline ------------------------------------------------------------------------
def test_the_timeline_is_grouped_labelled_and_ordered(jx):
    df = timeline(jx, "0722 111 222")
    assert list(df["label"]) == LABELS
    assert set(df["total"]) == {19}
    groups = list(dict.fromkeys(df["group_id"]))
    assert groups[:3] == [jx["w2"], jx["c1"], jx["w1"]]
    assert all(g.startswith("event:") for g in groups[3:]) and len(groups) == 5
    assert list(df.groupby("group_id", sort=False)["session_channel"].first()) == [
        "web", "whatsapp", "web", "", ""]
    assert list(df["group_start"].drop_duplicates()) == [
        utc(12, 14, 0), utc(11, 10, 0), utc(10, 9, 0), utc(9, 8, 0, 5), utc(9, 8, 0)]
    c1 = df[df["group_id"] == jx["c1"]]
    assert list(c1["seconds_in_group"]) == [0, 2, 4, 5, 6, 60, 120, 180, 300, 360, 420]
    assert list(c1["channel"]) == ["whatsapp", "ai", "ai"] + ["whatsapp"] * 8
    first = c1.iloc[0]
    assert (first["resolved"], first["handed_off"], first["dropped"], first["session_events"],
            first["session_duration_s"]) == (1, 1, 0, 11, 360)
    w1 = df[df["group_id"] == jx["w1"]].iloc[0]
    assert (w1["converted"], w1["session_events"], w1["session_duration_s"]) == (1, 4, 180)
    # The AI reply carried no number: in the conversation, though not keyed by P.
    reply = c1[c1["label"] == "AI: reply"].iloc[0]
    assert reply["event_key"].startswith("event:")
    oldest = timeline(jx, PIN, order="oldest")
    assert list(oldest["label"]) == X_LABELS[::-1] + W1_LABELS + C1_LABELS + W2_LABELS


def test_one_event_for_the_inspector(jx):
    events = timeline(jx).set_index("event_name")["event_id"]
    got = records(run("journey_event", {"project": jx["project"],
                                        "event": events["csat.submitted"]}, OPERATOR))
    assert [(r["event_name"], json.loads(r["properties"])["rating"]) for r in got] == [
        ("csat.submitted", 4)]
    identify = records(run("journey_event", {"project": jx["project"],
                                             "event": events["identify"]}, OPERATOR))[0]
    assert json.loads(identify["traits"]) == {"phone": "0722 111 222",
                                              "email": "Wanjiku@Example.com"}
    # Another project's event is not found from project B, and a bad id is named.
    assert run("journey_event", {"project": jx["b"], "event": events["identify"]},
               OPERATOR).empty
    with pytest.raises(QueryParamError) as info:
        run("journey_event", {"project": jx["project"], "event": "x'; DROP"}, OPERATOR)
    assert info.value.param == "event"


def test_pages_of_the_timeline(jx):
    full = timeline(jx)
    pages = [timeline(jx, limit=5, offset=o) for o in (0, 5, 10, 15)]
    assert [len(p) for p in pages] == [5, 5, 5, 4]
    assert all(set(p["total"]) == {19} for p in pages)
    assert pd.concat(pages)["event_id"].tolist() == full["event_id"].tolist()
    assert timeline(jx, offset=19).empty


def test_a_date_range_keeps_the_groups_that_started_in_it(jx):
    one_day = timeline(jx, **{"from": "2026-03-11", "to": "2026-03-11"})
    assert list(one_day["label"]) == C1_LABELS and set(one_day["total"]) == {11}
    two_days = timeline(jx, **{"from": "2026-03-10", "to": "2026-03-11"})
    assert list(two_days["label"]) == C1_LABELS + W1_LABELS
    # W1 starts 09:00 EAT on 03-10 (06:00 UTC): in a range of 03-10, never cut.
    assert timeline(jx, **{"from": "2026-03-08", "to": "2026-03-09"})["label"].tolist() == \
        X_LABELS


def test_range_parameters_are_both_or_neither(jx):
    with pytest.raises(QueryParamError) as info:
        timeline(jx, **{"from": "2026-03-10"})
    assert info.value.param == "to"
    with pytest.raises(QueryParamError) as info:
        timeline(jx, **{"from": "2026-03-10", "to": "2026-03-09"})
    assert info.value.param == "to"


LABEL_CASES = [  # (event, properties, page) → label: every label rule of a web event
    ("page_view", {}, "/tot", "Viewed /tot"),
    ("app_error", {"error_type": "TypeError"}, "/", "Error: TypeError"),
    ("app_error", {}, "/", "Error: unknown"),
    ("return_filed", {"obligation": "TOT"}, "/", "Filed TOT return"),
    ("return_filed", {}, "/", "Filed a return"),
    ("payment_initiated", {}, "/", "Payment started"),
    ("identify", {}, "/", "Identified"),
    ("session.start", {}, "/", "Session started"),
    ("session.converted", {}, "/", "Converted"),
    ("otp_success", {}, "/", "OTP verified"),
    ("validation_success", {}, "/", "Details validated"),
    ("button_click", {"label": "download_receipt"}, "/", "Clicked download_receipt"),
    ("button_click", {}, "/", "Clicked a button"),
    ("some_custom_event", {}, "/", "some_custom_event"),
]
CRM_LABEL_CASES = [
    ("message.received", {"content_type": "image"}, "WhatsApp ← image"),
    ("message.received", {}, "WhatsApp ← message"),
    ("message.sent", {"template_id": "csat_survey"}, "WhatsApp → template csat_survey"),
    ("message.read", {}, "Read"),
    ("message.failed", {"error_type": "undeliverable"}, "Not delivered: undeliverable"),
    ("message.failed", {}, "Not delivered"),
    ("contact.created", {}, "Contact created"),
    ("campaign.sent", {"campaign_id": "cmp-1"}, "Campaign cmp-1 sent"),
    ("chat.assigned", {}, "Assigned to an agent"),
    ("ai.classification", {"intent": "tcc", "confidence": 0.9}, "AI: intent tcc (0.90)"),
    ("ai.classification", {"intent": "tcc"}, "AI: intent tcc"),
    ("ai.error", {"error_type": "timeout"}, "AI error: timeout"),
    ("ai.summary_written", {}, "AI: summary written"),
    ("csat.submitted", {"rating": "5"}, "CSAT 5"),
]


def test_every_label_rule(stack):
    """One person per case (its own anonymous id / number), each label as the rule says."""
    project = new_project(stack)
    web_cases = [web(name, eat(16, 9, i), f"lbl-{i}", f"lbl-s{i}", path, properties=props)
                 for i, (name, props, path, _) in enumerate(LABEL_CASES)]
    crm_cases = [crm(name, eat(16, 10, i), f"lbl-m{i}", number=f"2547330000{i:02d}", **props)
                 for i, (name, props, _) in enumerate(CRM_LABEL_CASES)]
    post_web(stack, project, web_cases)
    post_crm(stack, project, crm_cases)
    stack.drain()
    pid = project["project_id"]
    got = [run("journey", {"project": pid, "person": f"anon:lbl-{i}"}, OPERATOR)["label"].tolist()
           for i in range(len(LABEL_CASES))]
    assert got == [[label] for *_, label in LABEL_CASES]
    got = [run("journey", {"project": pid, "person": f"+2547330000{i:02d}"},
               OPERATOR)["label"].tolist() for i in range(len(CRM_LABEL_CASES))]
    assert got == [[label] for *_, label in CRM_LABEL_CASES]


def test_view_helpers():
    now = datetime(2026, 3, 12, 12, 0, tzinfo=UTC)
    assert [journey_view.ago(pd.Timestamp(t), now) for t in (
        "2026-03-09 11:00", "2026-03-12 07:00", "2026-03-12 11:58", "2026-03-12 11:59:59",
        "2026-03-13 00:00")] == ["3 d ago", "5 h ago", "2 min ago", "just now", "in the future"]
    assert journey_view.ago(None) == ""
    assert journey_view.identifiers(["anon:x", f"phone:{PHONE}", "user:A1", "email:a@b.co"]) == [
        "PIN A1", "+254 722 111222", "Email a@b.co", "anonymous x"]
    assert journey_view.link_params({"project": "p"}, "user:A1") == {"project": "p",
                                                                     "person": "user:A1"}


# --- the page, the CLI and the API -------------------------------------------------------
def url_params(jx: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"project": jx["project"], "range": "custom", "dates": ["2026-03-10", "2026-03-11"],
            **extra}


def page(jx: dict[str, Any], **extra: Any):
    at = signed_in_app(jx["user"], url_params(jx, **extra))
    at.switch_page("app_pages/journey.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def page_labels(at) -> list[str]:
    return [label for d in at.dataframe if "after" in d.value.columns
            for label in d.value["event"]]


def test_the_page_shows_the_card_and_the_timeline(jx):
    at = page(jx, person="0722 111 222")
    assert [s.value for s in at.subheader] == [f"PIN {PIN}", "Timeline"]
    card = next(c.value for c in at.caption if "person id" in c.value)
    assert card.startswith(f"+254 722 111222 · Email {EMAIL} · anonymous jx-anon-1 · ")
    shown = {m.label: m.value for m in at.metric}
    assert shown == {"Events": "19", "Web sessions": "2", "Conversations": "1",
                     "Conversions": "1", "Messages in / out": "2 / 3", "CSAT given": "1"}
    assert "Their whole history · page views 3 · AI agent events 2 · app errors 1" in [
        c.value for c in at.caption]
    assert page_labels(at) == LABELS
    headers = [m.value for m in at.markdown if m.value.startswith(":")]
    assert [h.split("**")[1] for h in headers] == [
        "Web session", "WhatsApp conversation", "Web session", "Outside any session",
        "Outside any session"]
    assert "Wed 11 Mar 2026 10:00" in headers[1] and "11 events" in headers[1]
    assert ":green-badge[resolved]" in headers[1] and ":orange-badge[handed off]" in headers[1]
    assert ":green-badge[converted]" in headers[2]
    assert "**19** events in their whole history · page 1 of 1" in [m.value for m in
                                                                     at.markdown]
    last = next(m.value for m in at.markdown if m.value.startswith("**Last WhatsApp"))
    assert "Wed 11 Mar 2026 10:00" in last and "resolved" in last and "last CSAT 4" in last
    # The inspector: the CSAT event's properties.
    at.selectbox(key="journey_event").set_value(LABELS.index("CSAT 4")).run()
    assert json.loads(at.json[0].value)["rating"] == 4
    # Only the sidebar's dates (03-10 … 03-11): W1 and C1.
    at.checkbox(key="journey_in_range").check().run()
    assert page_labels(at) == C1_LABELS + W1_LABELS
    at.segmented_control(key="journey_order").set_value("oldest").run()
    assert page_labels(at) == W1_LABELS + C1_LABELS


def test_the_page_without_a_search_and_for_nobody(jx):
    at = page(jx)
    assert any(i.value.startswith("Search for a person") for i in at.info)
    at.text_input(key="person").input("nobody-here").run()
    assert not at.exception
    assert any(i.value.startswith("Nobody found for “nobody-here”") for i in at.info)
    assert not at.metric


def test_the_page_pages_through_a_long_journey(jx):
    at = page(jx, person="jx-heavy")
    assert {m.label: m.value for m in at.metric}["Events"] == "60"
    labels = page_labels(at)
    assert len(labels) == 50 and labels[0] == "Viewed /h/2/0"  # newest session first
    at.number_input(key="journey_page").set_value(2).run()
    assert page_labels(at) == [f"Viewed /h/0/{i}" for i in range(10, 20)]
    assert "**60** events in their whole history · page 2 of 2" in [m.value for m in
                                                                    at.markdown]


def test_page_cli_and_api_give_the_same_numbers(stack, jx, api):  # noqa: F811
    search = "0722 111 222"
    at = page(jx, person=search)

    def cli(name: str) -> list[dict[str, Any]]:
        out = subprocess.run(
            [sys.executable, "-m", "cli", "query", name, "--project", jx["project"],
             "--param", f"person={search}"],
            capture_output=True, text=True, env=stack.env, timeout=120, check=True)
        return json.loads(out.stdout)

    token = tokens.create_token(jx["project"], "journey")["token"]

    def http(name: str) -> list[dict[str, Any]]:
        r = requests.get(f"{api}/api/v1/query/{name}", params={"person": search}, timeout=60,
                         headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        return r.json()["rows"]

    card, rows = cli("journey_profile"), cli("journey")
    assert card == http("journey_profile") == [expected_profile(jx, search)]
    assert rows == http("journey")
    assert [r["label"] for r in rows] == page_labels(at) == LABELS
    shown = {m.label: m.value for m in at.metric}
    assert shown["Events"] == str(card[0]["events"]) == str(rows[0]["total"])
    assert shown["Conversations"] == str(card[0]["conversations"])
    assert shown["CSAT given"] == str(card[0]["csat_given"])


# --- links from other pages --------------------------------------------------------------
def link_params(link) -> dict[str, list[str]]:
    return parse_qs(link.proto.query_string)


def test_sessions_and_errors_link_to_the_explorer_by_person(jx):
    at = signed_in_app(jx["user"], url_params(jx, session=jx["w1"],
                                               dates=["2026-03-10", "2026-03-10"]))
    at.switch_page("app_pages/sessions.py").run()
    assert not at.exception
    link = next(x for x in at.get("page_link") if x.proto.label.startswith("Journey of"))
    assert link.proto.label == f"Journey of PIN {PIN}"
    assert link_params(link)["person"] == [f"user:{PIN}"]
    assert link_params(link)["project"] == [jx["project"]]
    at = signed_in_app(jx["user"], url_params(jx, dates=["2026-03-12", "2026-03-12"]))
    at.switch_page("app_pages/errors.py").run()
    assert not at.exception
    labels = [x.proto.label for x in at.get("page_link")]
    assert labels == [f"Timeline of PIN {PIN} · {jx['w2']}", f"Journey of PIN {PIN}"]
    assert link_params(at.get("page_link")[1])["person"] == [f"user:{PIN}"]
