"""Sessions and conversations on hand-built data with known answers."""

from __future__ import annotations

import pytest

from metadata.access import OPERATOR
from tests.sessions_helpers import (
    at,
    crm,
    old_project,
    post_crm,
    post_web,
    session_events,
    sessions,
    web,
)


@pytest.mark.parametrize("shuffle", [False, True])
def test_web_sessions_split_exactly_after_30_minutes(stack, shuffle):
    p = old_project(stack)
    events = [
        web("page_view", at(0), path="/home"),
        web("page_view", at(29, 59), path="/nil"),          # 29:59 later: same session
        web("validation_success", at(59, 59), path="/nil"),  # exactly 30:00 later: same
        web("return_filed", at(90, 0), path="/done"),        # 30:01 later: new session
        web("page_view", at(95), anon="a2", sid=None, path="/home"),  # server-side session
        web("page_view", at(130), anon="a2", sid=None, path="/tot"),  # > 30 min: new one
    ]
    post_web(stack, p, events, shuffle=shuffle)
    stack.drain()
    rows = sessions(stack, p["project_id"])
    summary = [(r["channel"], r["event_count"], r["duration_s"], r["entry_page"], r["exit_page"],
                r["converted"]) for r in rows]
    assert summary == [
        ("web", 3, 3599.0, "/home", "/nil", 0),
        ("web", 1, 0.0, "/done", "/done", 1),
        ("web", 1, 0.0, "/home", "/home", 0),
        ("web", 1, 0.0, "/tot", "/tot", 0),
    ]


def test_conversation_membership_and_flags(stack):
    p = old_project(stack)
    phone = "254700000001"
    post_crm(stack, p, [
        # Conversation 1: inbound, AI, bot reply, receipts, hand-off, agent reply, resolved
        # 50 min after the last message (still attached), CSAT after that.
        crm("message.received", at(0), phone, message_id="in1"),
        crm("ai.classification", at(0, 5), phone, intent="file_nil_return", confidence=0.93),
        crm("message.sent", at(1), phone, message_id="out1", agent_id="bot"),
        crm("message.delivered", at(1, 5), phone, message_id="out1"),
        crm("message.read", at(200), phone, message_id="out1"),  # read hours later
        crm("agent.handoff", at(2), phone, agent_id="agent-7"),
        crm("chat.assigned", at(2, 30), phone, agent_id="agent-7"),
        crm("message.sent", at(10), phone, message_id="out2", agent_id="agent-7"),
        crm("chat.resolved", at(60), phone, outcome="resolved"),
        crm("csat.submitted", at(61), phone, rating=5),
        # Reply after the timeout: outbound-only, so conversation 2 is dropped.
        crm("message.received", at(300), phone, message_id="in2"),
        crm("message.sent", at(331), phone, message_id="out3"),
        crm("message.delivered", at(331, 5), phone, message_id="out3"),
        # Conversation 3: inbound only, no outbound at all: dropped.
        crm("message.received", at(500), phone, message_id="in3"),
        crm("message.received", at(510), phone, message_id="in4"),
        # Campaign send with no conversation open: outbound-only.
        crm("campaign.sent", at(700), phone, campaign_id="cmp-1", recipient_count=1),
        crm("message.sent", at(700), phone, message_id="cmp-msg", template_id="tpl"),
        # Another number: inbound answered within the timeout, not resolved.
        crm("message.received", at(0), "254700000002", message_id="b-in"),
        crm("message.sent", at(29), "254700000002", message_id="b-out"),
    ], shuffle=True)
    stack.drain()
    rows = sessions(stack, p["project_id"])
    convs = [(r["phone"], r["start"].strftime("%H:%M"), r["event_count"], r["inbound"],
              r["outbound"], r["resolved"], r["handed_off"], r["dropped"]) for r in rows]
    assert convs == [
        ("+254700000001", "09:00", 10, 1, 2, 1, 1, 0),
        ("+254700000002", "09:00", 2, 1, 1, 0, 0, 0),
        ("+254700000001", "14:00", 1, 1, 0, 0, 0, 1),
        ("+254700000001", "17:20", 2, 2, 0, 0, 0, 1),
    ]
    first = rows[0]
    assert first["duration_s"] == 60 * 60  # to chat.resolved: receipts and CSAT do not extend it
    assert first["channel"] == "whatsapp"
    by_msg = {(e["event_name"], e["message_id"]): e["session_id"]
              for e in session_events(stack, p["project_id"])}
    assert by_msg[("message.read", "out1")] == first["session_id"]
    assert by_msg[("message.sent", "out3")] == ""       # reply after the timeout
    assert by_msg[("message.delivered", "out3")] == ""  # follows its message
    assert by_msg[("message.sent", "cmp-msg")] == ""    # campaign, outbound-only
    events = session_events(stack, p["project_id"])
    attached = {e["event_name"] for e in events if e["session_id"] == first["session_id"]}
    assert {"ai.classification", "agent.handoff", "chat.assigned", "chat.resolved",
            "csat.submitted", "message.delivered", "message.read"} <= attached


def test_conversation_timeout_is_per_project_parameter(stack):
    p = old_project(stack)
    post_crm(stack, p, [crm("message.received", at(0), message_id="i1"),
                        crm("message.sent", at(40), message_id="o1")])
    stack.drain()
    assert [r["dropped"] for r in sessions(stack, p["project_id"], timeout_s=1800)] == [1]
    assert [r["dropped"] for r in sessions(stack, p["project_id"], timeout_s=3600)] == [0]
    # The stored model follows a change of the setting: the worker recomputes the project.
    from metadata.projects import update_settings

    update_settings(p["project_id"], conversation_timeout_seconds=3600)
    stack.update_model()
    assert [r["dropped"] for r in sessions(stack, p["project_id"], timeout_s=3600)] == [0]


def test_event_before_any_conversation_belongs_to_none(stack):
    p = old_project(stack)
    post_crm(stack, p, [crm("chat.resolved", at(0)), crm("message.received", at(5),
                                                        message_id="x")])
    stack.drain()
    events = {e["event_name"]: e["session_id"] for e in session_events(stack, p["project_id"])}
    assert events["chat.resolved"] == ""
    assert events["message.received"] != ""


def test_person_is_attached_at_query_time(stack):
    """A web session and a conversation of one person (linked by identify traits)."""
    p = old_project(stack)
    post_web(stack, p, [web("identify", at(0), anon="wa-web", user_id="PIN-1",
                            traits={"phone": "0700 000 009"})])
    post_crm(stack, p, [crm("message.received", at(60), "254700000009", message_id="m")])
    stack.drain()
    rows = sessions(stack, p["project_id"])
    assert len(rows) == 2
    assert len({r["person_id"] for r in rows}) == 1


def test_campaign_recipients_are_not_daily_active(stack):
    """Receiving a campaign message is not activity; replying (a conversation) is."""
    from queries.runner import run

    p = old_project(stack)
    post_crm(stack, p, [
        crm("message.sent", at(0), "254700000011", message_id="c1", template_id="t"),
        crm("message.read", at(5), "254700000011", message_id="c1"),
        crm("message.sent", at(0), "254700000012", message_id="c2", template_id="t"),
        crm("message.received", at(10), "254700000012", message_id="r2"),
    ])
    post_web(stack, p, [web("page_view", at(20), anon="visitor")])
    stack.drain()
    day = at(0).date().isoformat()
    frame = run("dau", {"project": p["project_id"], "from": day, "to": day}, OPERATOR)
    assert frame["people"].tolist() == [2]  # the replier and the web visitor
