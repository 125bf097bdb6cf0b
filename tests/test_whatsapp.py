"""The WhatsApp metrics (queries/definitions/whatsapp.toml) through the real stack, on hand-built
conversations with hand-computed answers; the page under AppTest; `njia query whatsapp`.

One project (Africa/Nairobi, EAT = UTC+3). The range is 2026-11-20 EAT = [11-19 21:00 UTC,
11-20 21:00 UTC); the previous period is 11-19 EAT. Times below are minutes after BASE
(2026-11-20 09:00 UTC = 12:00 EAT) unless marked otherwise.

  P1 +254700001001  bot-resolved, rated the next morning
     in i1 0:00 · ai.classification file_nil_return · out o1 (bot) 0:10 s · in i2 2:00 ·
     out o2 2:30 · chat.resolved 5:00 (service "Returns Filing", messageCount 5, resolutionTime
     300 s, durationMinutes 5.0) · CSAT 5 on 11-21 06:00 UTC (after the range).
     Receipts: o1, o2 delivered and read.
  P2 +254700001002  three inbound in a row, handed off, resolved by an agent
     in i1 0:00, i2 20:00, i3 40:00 · ai.classification payment_status · agent.handoff 41:00 ·
     chat.assigned agent-a 45:00 · out o1 (agent-a) 60:00 · in i4 65:00 · out o2 66:00 ·
     chat.resolved 70:00 (no service name: the intent is its service) · CSAT 2 at 72:00.
     Receipts: o1 delivered.
  P3 +254700001003  dropped: the reply came 30:01 after the message (outbound-only)
     in i1 200:00 · out o1 230:01 (delivered 11-20 21:30 UTC, after the range).
  P4 +254700001004  saved at 29:59: not dropped, not resolved
     in i1 300:00 · out o1 329:59 (delivered, read) · CSAT "7" (not a rating) at 331:00.
  P5 +256700001005  no outbound message at all (Uganda): dropped
     in i1 400:00 · in i2 405:00.
  P7 +254700001007  handed off and reassigned; a failure; read without a delivery receipt
     in i1 500:00 · agent.handoff 500:10 · chat.assigned agent-a 500:20 · chat.assigned
     agent-b 502:00 · out o1 (agent-b) 503:00 (read only) · out o2 (bot) 503:30 (failed) ·
     CSAT 4 at 504:00.
  P8 +254700001008  a campaign message (no conversation): out c1 600:00 (delivered).
  P6 +254700001006  the previous period (11-19 12:00 EAT): in, out (bot) 5 s later (delivered),
     chat.resolved 60 s, CSAT 4.
  Contacts: 2026-10-10, 11-19 12:00 EAT (previous period), P1 and P2 on 11-20.
  Now (real time, outside the range): P9 in −10 min, out −9 min, assigned agent-c −8 min (open,
  held by agent-c); P10 in −40 min (closed by the timeout); P11 in −5 min, resolved −2 min
  (closed); P12 in −3 min (open, unassigned, waiting).

Hand-computed, range 11-20:
  received 11, sent 9 (P1 2, P2 2, P3 1, P4 1, P7 2, P8 1); delivered 7 (P1 o1 o2, P2 o1, P3 o1,
  P4 o1, P7 o1 read, P8 c1), read 4, failed 1 → delivery 77.78 %, read 57.14 %, failure 11.11 %.
  Conversations 6 (P1 P2 P3 P4 P5 P7): resolved 2, bot-resolved 1, dropped 2 (P3, P5), handed
  off 2 → escalation 33.33 %; with an outbound message 4 (P1 P2 P4 P7), replied 2 (P1 P2) →
  reply rate 50.00 %. First responses 10, 3600, 1799, 180 s → median 989.5. Agent first
  response: P2 900 s (P7's first agent, agent-a, never wrote) → 900. Resolution: 300, 4200 →
  2250. Response pairs: 10, 30 (P1), 3600, 2400, 1200, 60 (P2), 1799 (P4), 180 (P7) → median
  690, p90 2760 (6.3rd of 0..7 by linear interpolation), mean 1159.875. CSAT in the range: 2, 4
  → 3.0, 50.00 % of 4–5, 2 responses. Contacts: 2 new; total 4, a month before (10-21 EAT) 1 →
  growth 300.00 %; previous total 2, a month before (10-20 EAT) 1 → 100.00 %. Open now 2.
Previous period (P6): received 1, sent 1, delivered 1, read 0 → 100.00 %, 0.00 %; 1
  conversation, resolved, bot-resolved, reply rate 0.00 %, first response 5 s, response 5 s,
  resolution 60 s, CSAT 4.0 (100.00 %, 1), 1 new contact.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from metadata import users
from metadata.access import OPERATOR
from queries.definitions import area
from queries.runner import run
from tests.sessions_helpers import BASE, at, crm, old_project, post_crm
from tests.test_workbench_auth import PASSWORD, signed_in_app
from workbench.kpis import value_text

DAY = {"from": "2026-11-20", "to": "2026-11-20"}
P1, P2, P3, P4 = "+254700001001", "+254700001002", "+254700001003", "+254700001004"
P5, P6, P7, P8 = "+256700001005", "+254700001006", "+254700001007", "+254700001008"
P9, P10, P11, P12 = "+254700001009", "+254700001010", "+254700001011", "+254700001012"


def m(minutes: float, seconds: float = 0) -> datetime:
    return at(minutes, seconds)


def inbound(ts: datetime, phone: str, mid: str) -> dict:
    return crm("message.received", ts, phone, message_id=mid)


def outbound(ts: datetime, phone: str, mid: str, agent: str = "bot", **kw: Any) -> dict:
    return crm("message.sent", ts, phone, message_id=mid, agent_id=agent, **kw)


def receipt(kind: str, ts: datetime, phone: str, mid: str) -> dict:
    return crm(f"message.{kind}", ts, phone, message_id=mid)


def range_events() -> list[dict]:
    day_after = datetime(2026, 11, 21, 6, 0)
    return [
        # P1
        crm("contact.created", m(0), P1, source="whatsapp_inbound"),
        inbound(m(0), P1, "p1-i1"),
        crm("ai.classification", m(0, 1), P1, intent="file_nil_return", confidence=0.9),
        outbound(m(0, 10), P1, "p1-o1"),
        receipt("delivered", m(0, 12), P1, "p1-o1"), receipt("read", m(0, 40), P1, "p1-o1"),
        inbound(m(2), P1, "p1-i2"),
        outbound(m(2, 30), P1, "p1-o2"),
        receipt("delivered", m(2, 31), P1, "p1-o2"), receipt("read", m(3), P1, "p1-o2"),
        crm("chat.resolved", m(5), P1, agent_id="bot", outcome="resolved_by_bot",
            service_name="Returns Filing", resolutionTime=300, durationMinutes=5.0,
            messageCount=5),
        crm("csat.submitted", day_after, P1, rating=5),
        # P2
        crm("contact.created", m(0), P2, source="whatsapp_inbound"),
        inbound(m(0), P2, "p2-i1"),
        crm("ai.classification", m(0, 1), P2, intent="payment_status", confidence=0.7),
        inbound(m(20), P2, "p2-i2"),
        inbound(m(40), P2, "p2-i3"),
        crm("agent.handoff", m(41), P2, agent_id="agent-a", previous_agent_id="bot"),
        crm("chat.assigned", m(45), P2, agent_id="agent-a", previous_agent_id="bot"),
        outbound(m(60), P2, "p2-o1", "agent-a"),
        receipt("delivered", m(60, 5), P2, "p2-o1"),
        inbound(m(65), P2, "p2-i4"),
        outbound(m(66), P2, "p2-o2", "agent-a"),
        crm("chat.resolved", m(70), P2, agent_id="agent-a", outcome="resolved_by_agent"),
        crm("csat.submitted", m(72), P2, rating=2, agent_id="agent-a"),
        # P3: the reply 30:01 later is outbound-only; its receipt after the range
        inbound(m(200), P3, "p3-i1"),
        outbound(m(230, 1), P3, "p3-o1", "agent-a"),
        receipt("delivered", datetime(2026, 11, 20, 21, 30), P3, "p3-o1"),
        # P4: the reply 29:59 later saves it
        inbound(m(300), P4, "p4-i1"),
        outbound(m(329, 59), P4, "p4-o1"),
        receipt("delivered", m(330), P4, "p4-o1"), receipt("read", m(330, 30), P4, "p4-o1"),
        crm("csat.submitted", m(331), P4, rating=7),
        # P5: no outbound message
        inbound(m(400), P5, "p5-i1"),
        inbound(m(405), P5, "p5-i2"),
        # P7: reassigned; read without delivered; a failure
        inbound(m(500), P7, "p7-i1"),
        crm("agent.handoff", m(500, 10), P7, agent_id="agent-a", previous_agent_id="bot"),
        crm("chat.assigned", m(500, 20), P7, agent_id="agent-a", previous_agent_id="bot"),
        crm("chat.assigned", m(502), P7, agent_id="agent-b", previous_agent_id="agent-a"),
        outbound(m(503), P7, "p7-o1", "agent-b"),
        receipt("read", m(503, 20), P7, "p7-o1"),
        outbound(m(503, 30), P7, "p7-o2"),
        receipt("failed", m(503, 40), P7, "p7-o2"),
        crm("csat.submitted", m(504), P7, rating=4, agent_id="agent-b"),
        # P8: a campaign message
        outbound(m(600), P8, "p8-c1", "", campaign_id="cmp-1", template_id="t1"),
        receipt("delivered", m(600, 1), P8, "p8-c1"),
        # Contacts before the range
        crm("contact.created", datetime(2026, 10, 10, 9, 0), "+254700001090"),
        crm("contact.created", BASE - timedelta(days=1), P6),
        # P6: the previous period
        inbound(BASE - timedelta(days=1), P6, "p6-i1"),
        outbound(BASE - timedelta(days=1) + timedelta(seconds=5), P6, "p6-o1"),
        receipt("delivered", BASE - timedelta(days=1) + timedelta(seconds=6), P6, "p6-o1"),
        crm("chat.resolved", BASE - timedelta(days=1) + timedelta(seconds=60), P6,
            agent_id="bot", outcome="resolved_by_bot"),
        crm("csat.submitted", BASE - timedelta(days=1) + timedelta(seconds=90), P6, rating=4),
    ]


def now_events(now: datetime) -> list[dict]:
    def ago(minutes: float) -> datetime:
        return now - timedelta(minutes=minutes)

    return [
        inbound(ago(10), P9, "p9-i1"), outbound(ago(9), P9, "p9-o1"),
        crm("chat.assigned", ago(8), P9, agent_id="agent-c"),
        inbound(ago(40), P10, "p10-i1"),
        inbound(ago(5), P11, "p11-i1"), crm("chat.resolved", ago(2), P11, outcome="x"),
        inbound(ago(3), P12, "p12-i1"),
    ]


@pytest.fixture(scope="module")
def project(stack) -> str:
    p = old_project(stack)
    now = datetime.now(UTC).replace(tzinfo=None)
    post_crm(stack, p, range_events() + now_events(now), shuffle=True)
    stack.drain()
    return p["project_id"]


def kpis(project: str) -> dict[str, dict[str, Any]]:
    df = run("whatsapp", {"project": project, **DAY}, OPERATOR)
    return {r["metric"]: r for r in df.to_dict("records")}


def same(got: Any, want: Any) -> bool:
    if want is None:
        return got is None or (isinstance(got, float) and math.isnan(got))
    return got is not None and not (isinstance(got, float) and math.isnan(got)) \
        and abs(float(got) - want) < 1e-6


# metric → (value, previous) by hand (module docstring)
EXPECTED: dict[str, tuple[float | None, float | None]] = {
    "messages_received": (11, 1),
    "messages_sent": (9, 1),
    "messages_delivered": (7, 1),
    "messages_read": (4, 0),
    "messages_failed": (1, 0),
    "delivery_rate": (77.78, 100.0),
    "read_rate": (57.14, 0.0),
    "reply_rate": (50.0, 0.0),
    "failure_rate": (11.11, 0.0),
    "median_response_s": (690.0, 5.0),
    "p90_response_s": (2760.0, 5.0),
    "mean_response_s": (1159.875, 5.0),
    "median_first_response_s": (989.5, 5.0),
    "median_agent_first_response_s": (900.0, None),
    "median_resolution_s": (2250.0, 60.0),
    "new_contacts": (2, 1),
    "total_contacts": (4, 2),
    "contact_growth": (300.0, 100.0),
    "conversations": (6, 1),
    "open_now": (2, None),
    "resolved": (2, 1),
    "bot_resolved": (1, 1),
    "dropped": (2, 0),
    "escalation_rate": (33.33, 0.0),
    "csat_mean": (3.0, 4.0),
    "csat_satisfied": (50.0, 100.0),
    "csat_responses": (2, 1),
}


@pytest.mark.parametrize("metric", list(EXPECTED))
def test_kpi(project, metric):
    row = kpis(project)[metric]
    value, previous = EXPECTED[metric]
    assert same(row["value"], value), (metric, row)
    assert same(row["previous"], previous), (metric, row)
    if value is not None and previous is not None:
        assert same(row["change"], value - previous)
        assert same(row["change_ratio"], None if previous == 0 else (value - previous) / previous)



def test_the_overview_under_whatsapp_counts_as_this_page(project):
    """The Overview's WhatsApp cards are this page's numbers (one definition each)."""
    rows = [*run("overview", {"project": project, **DAY, "channel": "whatsapp"},
                 OPERATOR).to_dict("records"),
            *run("overview_conversations", {"project": project, **DAY},
                 OPERATOR).to_dict("records")]
    overview = {r["metric"]: r for r in rows}
    for mine, theirs in [("conversations", "conversations"), ("sessions", "conversations"),
                         ("median_first_response_s", "median_first_response_s"),
                         ("csat", "csat_mean")]:
        value, previous = EXPECTED[theirs]
        assert same(overview[mine]["value"], value), mine
        assert same(overview[mine]["previous"], previous), mine
    resolved, conversations = EXPECTED["resolved"][0], EXPECTED["conversations"][0]
    assert same(overview["resolution_rate"]["value"], resolved / conversations)

def test_every_kpi_is_defined_and_checked(project):
    assert set(kpis(project)) == set(EXPECTED) == set(area("whatsapp").metrics)


def test_percentiles_are_numpys_linear_interpolation():
    pairs = [10, 30, 3600, 2400, 1200, 60, 1799, 180]
    assert np.percentile(pairs, 50) == EXPECTED["median_response_s"][0]
    assert np.percentile(pairs, 90) == EXPECTED["p90_response_s"][0]
    assert np.percentile([10, 3600, 1799, 180], 50) == EXPECTED["median_first_response_s"][0]


def conversations(stack, project: str, start: datetime, end: datetime) -> dict[str, dict]:
    rows = stack.ch().query(
        "SELECT * FROM stored_conversations(project = {p:String}, "
        "start = {s:DateTime64(3, 'UTC')}, end = {e:DateTime64(3, 'UTC')})",
        parameters={"p": project, "s": start, "e": end})
    return {r["phone"]: r for r in
            (dict(zip(rows.column_names, row, strict=True)) for row in rows.result_rows)}


def test_conversation_facts(stack, project):
    day = conversations(stack, project, datetime(2026, 11, 19, 21), datetime(2026, 11, 20, 21))
    assert set(day) == {P1, P2, P3, P4, P5, P7}
    p1, p2, p3, p4, p5, p7 = (day[p] for p in (P1, P2, P3, P4, P5, P7))
    # P1: the CRM's fields beside the events'; the rating of the next morning belongs to it
    assert (p1["inbound"], p1["outbound"], p1["messages"], p1["crm_message_count"]) == (2, 2, 4, 5)
    assert (p1["first_response_s"], p1["resolution_s"], p1["crm_resolution_s"],
            p1["crm_duration_minutes"]) == (10, 300, 300, 5.0)
    assert (p1["resolved"], p1["bot_resolved"], p1["dropped"], p1["replied"]) == (1, 1, 0, 1)
    assert (p1["csat_rating"], p1["service_name"], p1["first_intent"], p1["outcome"]) == (
        5, "Returns Filing", "file_nil_return", "resolved_by_bot")
    # P2: no service name → its first intent; the agent's first response
    assert (p2["service_name"], p2["agent_id"], p2["agent_first_response_s"]) == (
        "payment_status", "agent-a", 900)
    assert (p2["first_response_s"], p2["resolution_s"], p2["csat_rating"]) == (3600, 4200, 2)
    assert [(a[0], a[2]) for a in p2["assignments"]] == [("agent-a", 900)]
    # P3 (30:01) dropped without an outbound message; P4 (29:59) answered, not dropped
    assert (p3["dropped"], p3["outbound"], p3["has_outbound"], p3["first_response_s"]) == (
        1, 0, 0, None)
    assert (p4["dropped"], p4["resolved"], p4["first_response_s"], p4["csat_rating"]) == (
        0, 0, 1799, None)
    assert (p5["dropped"], p5["has_outbound"], p5["service_name"], p5["country"]) == (
        1, 0, "unclassified", "UG")
    # P7: held by agent-b at the end; agent-a never wrote
    assert (p7["agent_id"], p7["agent_first_response_s"]) == ("agent-b", None)
    assert [(a[0], a[2]) for a in p7["assignments"]] == [("agent-a", None), ("agent-b", 60)]


def test_facts_do_not_depend_on_the_range(stack, project):
    day = conversations(stack, project, datetime(2026, 11, 19, 21), datetime(2026, 11, 20, 21))
    wide = conversations(stack, project, datetime(2026, 11, 1), datetime(2026, 12, 1))
    assert {k: v for k, v in wide.items() if k in day} == day
    assert set(wide) - set(day) == {P6}


def test_messages_rollup_equals_the_reference(stack, project):
    """The model's messages rollup (journey_messages) holds what the reference view computes
    over all the project's events; each message sent with its receipts and reply."""
    columns = "journey_key, sent_at, message_id, session_id, sends, delivered, read, failed, " \
              "replied, is_bot"
    stored = stack.ch().query(
        f"SELECT {columns} FROM journey_messages FINAL WHERE project_id = {{p:String}} "
        "ORDER BY sent_at, message_id", parameters={"p": project}).result_rows
    reference = stack.ch().query(
        f"SELECT {columns} FROM messages(project = {{p:String}}, start = '2000-01-01 00:00:00', "
        "end = '2100-01-01 00:00:00', timeout_s = 1800, session_timeout_s = 1800) "
        "ORDER BY sent_at, message_id", parameters={"p": project}).result_rows
    assert stored == reference
    flags = {r[2]: (r[5], r[6], r[7], r[8], r[3] != "") for r in stored}
    # message → (delivered, read, failed, replied, in a conversation)
    assert flags["p1-o1"] == (1, 1, 0, 1, True) and flags["p1-o2"] == (1, 1, 0, 0, True)
    assert flags["p3-o1"] == (1, 0, 0, 0, False)  # 30:01: outbound-only; delivered after the range
    assert flags["p7-o1"] == (1, 1, 0, 0, True)  # read without a delivery receipt
    assert flags["p7-o2"] == (0, 0, 1, 0, True)
    assert flags["p8-c1"] == (1, 0, 0, 0, False)  # the campaign message


def rows(name: str, project: str, **extra: Any) -> list[dict]:
    return run(name, {"project": project, **DAY, **extra}, OPERATOR).to_dict("records")


def test_response_histogram(project):
    got = rows("whatsapp_response_histogram", project)
    assert [(r["response_time"], r["responses"]) for r in got] == [
        ("< 1 min", 2), ("1–5 min", 2), ("5–15 min", 0), ("15–60 min", 3), ("> 60 min", 1)]
    assert {r["median_s"] for r in got} == {690.0}


def test_funnel(project):
    got = rows("whatsapp_funnel", project)
    assert [(r["stage"], r["messages"], r["share"]) for r in got] == [
        ("sent", 9, 100.0), ("delivered", 7, 77.78), ("read", 4, 44.44), ("replied", 2, 22.22)]


def test_agents(project):
    got = rows("whatsapp_agents", project)
    assert [(r["agent_id"], r["assigned"], r["resolved"], r["median_first_response_s"])
            for r in got] == [("agent-a", 2, 1, 900), ("agent-b", 1, 0, 60)]
    a, b = got
    assert (a["median_resolution_s"], a["csat_mean"], a["csat_responses"]) == (4200, 2, 1)
    assert (b["held_at_end"], b["csat_mean"], b["csat_responses"]) == (1, 4, 1)
    assert math.isnan(b["median_resolution_s"]) or b["median_resolution_s"] is None


def test_lengths(project):
    got = {r["length"]: r["conversations"] for r in rows("whatsapp_lengths", project)}
    assert {k: v for k, v in got.items() if v} == {"1": 1, "2": 2, "3": 1, "5": 1, "6": 1}
    assert list(got)[:3] == ["1", "2", "3"] and list(got)[-1] == "51+"


def test_countries_and_dropped(project):
    got = rows("whatsapp_countries", project)
    assert [(r["country"], r["conversations"], r["dropped"]) for r in got] == [
        ("KE", 5, 1), ("UG", 1, 1)]
    dropped = rows("whatsapp_dropped", project)
    assert [r["phone"] for r in dropped] == [P5, P3]
    assert dropped[0]["person_key"] == f"phone:{P5}"


def test_volume_and_heatmap(project):
    volume = rows("whatsapp_volume", project)
    assert len(volume) == 24  # every hour of the day, EAT
    by_hour = {r["bucket"].hour: (r["inbound"], r["outbound"]) for r in volume}
    assert by_hour[12] == (5, 2) and by_hour[13] == (1, 2)  # P1 + P2 i1–i3; P2 i4, o1, o2
    assert sum(r["inbound"] for r in volume) == 11 and sum(r["outbound"] for r in volume) == 9
    heat = {(r["weekday"], r["hour"]): r for r in rows("whatsapp_heatmap", project)}
    assert (heat[(5, 12)]["inbound"], heat[(5, 12)]["outbound"]) == (5, 2)  # a Friday


def test_open_now_and_workload(project):
    live = {"project": project}
    open_rows = run("whatsapp_open", live, OPERATOR).to_dict("records")
    assert sorted((r["phone"], r["agent_id"], r["waiting"]) for r in open_rows) == [
        (P9, "agent-c", 0), (P12, "", 1)]
    work = run("whatsapp_workload", live, OPERATOR).to_dict("records")
    assert [(r["agent"], r["open"], r["waiting"]) for r in work] == [
        ("agent-c", 1, 0), ("unassigned", 1, 1)]


# --- the page and the CLI ----------------------------------------------------------------------
CARDS = ["messages_received", "messages_sent", "delivery_rate", "read_rate",
         "median_first_response_s", "new_contacts", "total_contacts", "open_now", "resolved",
         "dropped", "escalation_rate", "csat_mean"]


@pytest.fixture(scope="module")
def analyst(project) -> str:
    users.add_user("whatsapp-analyst", PASSWORD, role="analyst", projects=[project])
    return "whatsapp-analyst"


def test_the_page_shows_the_kpis_of_the_query(stack, project, analyst):
    at = signed_in_app(analyst, {"project": project, "range": "custom",
                                 "dates": [DAY["from"], DAY["to"]], "channel": "whatsapp"})
    at.switch_page("app_pages/whatsapp.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == ["WhatsApp"]
    shown = {m.label: m.value for m in at.metric}
    defs = area("whatsapp").metrics
    got = kpis(project)
    for metric in CARDS:
        label = defs[metric].label
        if metric == "total_contacts":
            label += " (events)"
        assert shown[label] == value_text(defs[metric].format, got[metric]["value"]), metric
    assert at.get("vega_lite_chart")  # the charts drew
    tables = [d.value for d in at.dataframe]
    assert any("agent_id" in t.columns or "Agent" in t.columns for t in tables)


def test_njia_query_whatsapp_prints_the_kpis(stack, project):
    out = subprocess.run([sys.executable, "-m", "cli", "query", "whatsapp", "--project", project,
                          "--from", DAY["from"], "--to", DAY["to"]],
                         capture_output=True, text=True, timeout=120, env=stack.env)
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout)
    expected = kpis(project)
    assert [r["metric"] for r in printed] == list(expected)
    for r in printed:
        want = expected[r["metric"]]
        assert set(r) >= {"metric", "value", "previous", "change"}
        assert same(r["value"], None if pd.isna(want["value"]) else want["value"]), r
