"""Campaign metrics (docs/metrics.md "Campaigns") on hand-built campaigns posted through the
real collector and stored by the real processor, with every number worked out by hand; the
Campaigns page under AppTest, with and without a (fake) CRM naming the campaigns.

Times are UTC; the project is in Africa/Nairobi (EAT = UTC+3), so 20 Nov 2026 (EAT) is
[19 Nov 21:00, 20 Nov 21:00) UTC.

Campaign A "cmp-a" (campaign.sent "NIL reminder", 6 announced), sent 20 Nov 07:00 to six numbers:
  P1  delivered 07:00:05, read 07:10; writes 23 h 59 m after delivery (21 Nov 06:59:05, from
      the same number in national format)                          → replied
  P2  delivered 07:00:06; wrote at 06:00 (before), then 24 h 1 m after delivery → not replied
  P3  failed 07:00:10; writes at 08:00 (the message never reached them) → not replied
  P4  delivered 23 Nov 10:00 (receipts after the range), read 10:01; writes 10:30 → replied
  P5  read 07:30 with no delivered receipt (delivered by the read); writes 07:31 → replied
  P6  delivered 07:00:09; wrote at 06:50 (before); writes 21:05 (14 h after) → replied
  → recipients 6, sent 6, delivered 5, read 3, replied 4, failed 1; delivery 5/6 = 83.33 %,
    read 3/5 = 60.00 %, reply 4/6 = 66.67 %, failure 1/6 = 16.67 %;
    score 0.3·83.33 + 0.3·60 + 0.4·66.67 − 0.2·16.67 = 66.33
Campaign B "cmp-b" (no campaign.sent event: no name), across the day's edge in EAT:
  P6  sent 20 Nov 20:59:59 (23:59:59 EAT), delivered 21:00:02; writes 21:05 (counts for B too)
  P7  sent 20 Nov 21:00:01 (21 Nov 00:00:01 EAT), no receipt
  → 20 Nov: 1 recipient, sent 1, delivered 1, read 0, replied 1: 100 / 0 / 100 / 0 %, score 70
  → 21 Nov: 1 recipient, sent 1, nothing else: all rates 0 (empty denominators), score 0
Campaign C, an integer id 4242 (campaign.sent "TCC drive"), 19 Nov 10:00 to P8: delivered,
  read, and P8 writes 6 minutes later → 1/1/1/1/1/0: 100 / 100 / 100 / 0 %, score 100
An agent's message to P1 (no campaign_id) and an inbound message from a stranger count nowhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crm import summary
from metadata import integrations, users
from metadata.access import OPERATOR
from metadata.projects import update_settings
from queries.campaigns import score
from queries.definitions import area
from queries.runner import run
from queries.serialize import records
from tests.fake_crm import FakeCrm, campaign
from tests.test_queries_dataset import new_project, post_crm
from tests.test_workbench_auth import PASSWORD, signed_in_app

ROOT = Path(__file__).resolve().parents[1]
DAY = {"from": "2026-11-20", "to": "2026-11-20"}
NEXT_DAY = {"from": "2026-11-21", "to": "2026-11-21"}
P = {i: f"+2547110000{i:02d}" for i in range(1, 10)}


def utc(day: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(2026, 11, day, hh, mm, ss, tzinfo=UTC)


def ev(event: str, at: datetime, phone: str | None = None, **data: Any) -> dict[str, Any]:
    body = {"whatsapp_number": phone, "chat_id": f"chat-{phone}"} if phone else {}
    return {"id": f"{event}-{uuid.uuid4().hex}", "event": event, "timestamp": at.isoformat(),
            "data": {**body, **data}}


def send(at: datetime, phone: str, msg: str, campaign_id: str | int | None) -> dict[str, Any]:
    extra = {"campaign_id": campaign_id, "template_id": "tpl"} if campaign_id is not None \
        else {"agent_id": "agent-x"}
    return ev("message.sent", at, phone, message_id=msg, direction="outbound", **extra)


def receipt(kind: str, at: datetime, phone: str, msg: str) -> dict[str, Any]:
    return ev(f"message.{kind}", at, phone, message_id=msg)


def inbound(at: datetime, phone: str) -> dict[str, Any]:
    return ev("message.received", at, phone, message_id=f"in-{uuid.uuid4().hex[:12]}",
              direction="inbound")


def national(phone: str) -> str:
    return "0" + phone.removeprefix("+254")


def events() -> list[dict[str, Any]]:
    delivered = {1: utc(20, 7, 0, 5), 2: utc(20, 7, 0, 6), 6: utc(20, 7, 0, 9)}
    return [
        ev("campaign.sent", utc(20, 6, 59, 58), campaign_id="cmp-a", name="NIL reminder",
           recipient_count=6),
        *[send(utc(20, 7, 0, i - 1), P[i], f"a{i}", "cmp-a") for i in range(1, 7)],
        # P1: replies 23:59 after delivery, from the same number written nationally
        receipt("delivered", delivered[1], P[1], "a1"), receipt("read", utc(20, 7, 10), P[1], "a1"),
        inbound(delivered[1] + timedelta(hours=23, minutes=59), national(P[1])),
        # P2: wrote before the campaign, and 24:01 after delivery
        receipt("delivered", delivered[2], P[2], "a2"), inbound(utc(20, 6), P[2]),
        inbound(delivered[2] + timedelta(hours=24, minutes=1), P[2]),
        # P3: failed; writes anyway
        receipt("failed", utc(20, 7, 0, 10), P[3], "a3"), inbound(utc(20, 8), P[3]),
        # P4: receipts three days later, reply half an hour after delivery
        receipt("delivered", utc(23, 10), P[4], "a4"), receipt("read", utc(23, 10, 1), P[4], "a4"),
        inbound(utc(23, 10, 30), P[4]),
        # P5: read without a delivered receipt
        receipt("read", utc(20, 7, 30), P[5], "a5"), inbound(utc(20, 7, 31), P[5]),
        # P6: wrote before delivery; later gets B too, and writes once for both
        receipt("delivered", delivered[6], P[6], "a6"), inbound(utc(20, 6, 50), P[6]),
        send(utc(20, 20, 59, 59), P[6], "b1", "cmp-b"),
        receipt("delivered", utc(20, 21, 0, 2), P[6], "b1"), inbound(utc(20, 21, 5), P[6]),
        send(utc(20, 21, 0, 1), P[7], "b2", "cmp-b"),
        # C, with an integer campaign_id, the day before
        ev("campaign.sent", utc(19, 9, 59), campaign_id=4242, name="TCC drive",
           recipient_count=1),
        send(utc(19, 10), P[8], "c1", 4242), receipt("delivered", utc(19, 10, 0, 3), P[8], "c1"),
        receipt("read", utc(19, 10, 5), P[8], "c1"), inbound(utc(19, 10, 6), P[8]),
        # Not campaign traffic: an agent's message to P1, a stranger's message
        send(utc(20, 9), P[1], "x1", None), receipt("delivered", utc(20, 9, 0, 3), P[1], "x1"),
        inbound(utc(20, 9, 30), P[9]),
    ]


@pytest.fixture(scope="module")
def project(stack) -> str:
    created = new_project(stack)
    post_crm(stack, created, events())
    stack.drain()
    return created["project_id"]


def campaigns(project_id: str, dates: dict[str, str] = DAY) -> dict[str, dict[str, Any]]:
    rows = records(run("campaigns", {"project": project_id, **dates}, OPERATOR))
    return {r["campaign_id"]: r for r in rows}


COUNTS = ("recipients", "sent", "delivered", "read", "replied", "failed")
RATES = ("delivery_rate", "read_rate", "reply_rate", "failure_rate", "score")


def numbers(row: dict[str, Any]) -> tuple[tuple[int, ...], tuple[float, ...]]:
    return tuple(row[k] for k in COUNTS), tuple(row[k] for k in RATES)


# --- the metrics -----------------------------------------------------------------------------
def test_per_campaign_by_hand(project):
    found = campaigns(project)
    assert list(found) == ["cmp-b", "cmp-a"]  # latest first sent first
    a, b = found["cmp-a"], found["cmp-b"]
    assert numbers(a) == ((6, 6, 5, 3, 4, 1), (83.33, 60.0, 66.67, 16.67, 66.33))
    assert (a["name"], a["announced_recipients"]) == ("NIL reminder", 6)
    assert (a["first_sent"], a["last_sent"]) == ("2026-11-20T07:00:00.000Z",
                                                "2026-11-20T07:00:05.000Z")
    # B: only the message sent before midnight EAT; no campaign.sent, so no name
    assert numbers(b) == ((1, 1, 1, 0, 1, 0), (100.0, 0.0, 100.0, 0.0, 70.0))
    assert (b["name"], b["announced_recipients"]) == (None, None)


def test_the_next_day_holds_the_rest_of_b_with_empty_denominators(project):
    found = campaigns(project, NEXT_DAY)
    assert list(found) == ["cmp-b"]
    assert numbers(found["cmp-b"]) == ((1, 1, 0, 0, 0, 0), (0.0, 0.0, 0.0, 0.0, 0.0))


def test_an_integer_campaign_id(project):
    found = campaigns(project, {"from": "2026-11-19", "to": "2026-11-19"})
    assert list(found) == ["4242"]
    assert numbers(found["4242"]) == ((1, 1, 1, 1, 1, 0), (100.0, 100.0, 100.0, 0.0, 100.0))
    assert found["4242"]["name"] == "TCC drive"
    # Both days: the campaigns of both, each whole.
    both = campaigns(project, {"from": "2026-11-19", "to": "2026-11-21"})
    assert sorted(both) == ["4242", "cmp-a", "cmp-b"]
    assert numbers(both["cmp-b"])[0] == (2, 2, 1, 0, 1, 0)


def test_the_attribution_window_is_the_projects_setting(project):
    update_settings(project, campaign_attribution_seconds=3600)
    try:
        found = campaigns(project)
        # 1 h: P4 (30 min) and P5 (1 min) still replied; P1 (23:59) and P6 (14 h) no longer;
        # B's P6 wrote 5 minutes after delivery.
        assert found["cmp-a"]["replied"] == 2 and found["cmp-a"]["reply_rate"] == 33.33
        assert found["cmp-b"]["replied"] == 1
    finally:
        update_settings(project, campaign_attribution_seconds=24 * 3600)
    assert campaigns(project)["cmp-a"]["replied"] == 4


def kpis(project_id: str, dates: dict[str, str]) -> dict[str, tuple[float, float]]:
    rows = records(run("campaigns_kpis", {"project": project_id, **dates}, OPERATOR))
    return {r["metric"]: (r["value"], r["previous"]) for r in rows}


def test_kpis_are_the_tables_sums_with_the_previous_period(project):
    # 20 Nov: A + B's first message; the previous day: C.
    assert kpis(project, DAY) == {
        "campaigns": (2, 1), "recipients": (7, 1), "sent": (7, 1), "delivered": (6, 1),
        "read": (3, 1), "replied": (5, 1), "failed": (1, 0),
        "delivery_rate": (85.71, 100.0), "read_rate": (50.0, 100.0),
        "reply_rate": (71.43, 100.0), "failure_rate": (14.29, 0.0)}
    table = campaigns(project)
    for key in COUNTS:
        assert kpis(project, DAY)[key][0] == sum(r[key] for r in table.values())
    nxt = kpis(project, NEXT_DAY)
    assert nxt["campaigns"] == (1, 2) and nxt["sent"] == (1, 7)
    assert nxt["delivery_rate"] == (0.0, 85.71) and nxt["read_rate"] == (0.0, 50.0)


def test_an_empty_range(project):
    assert campaigns(project, {"from": "2026-10-01", "to": "2026-10-07"}) == {}
    empty = kpis(project, {"from": "2026-10-01", "to": "2026-10-07"})
    assert all(v == (0, 0) for v in empty.values()) and len(empty) == 11


def test_the_score_formula():
    assert score(83.3333, 60, 66.6667, 16.6667) == 66.33
    assert score(100, 100, 100, 0) == 100.0
    assert score(0, 0, 0, 100) == 0.0  # clamped
    assert "0.3 × delivery rate + 0.3 × read rate + 0.4 × reply rate − 0.2 × failure rate" in \
        area("campaigns").metrics["score"].help


# --- the page --------------------------------------------------------------------------------
CRM_KEY = "crm-key-for-campaigns"


@pytest.fixture(scope="module")
def analyst(project) -> str:
    users.add_user("campaigns-analyst", PASSWORD, role="analyst", projects=[project])
    return "campaigns-analyst"


@pytest.fixture(scope="module")
def fake_crm() -> Iterator[FakeCrm]:
    with FakeCrm(api_key=CRM_KEY, campaigns=[
            campaign("cmp-a", "NIL deadline reminder (CRM)", "completed"),
            campaign("cmp-b", "Weekend PIN drive", "active"),
            campaign("cmp-other", "Not in the range", "scheduled")]) as server:
        yield server


def open_page(user: str, project_id: str, dates: dict[str, str] = DAY):
    at = signed_in_app(user, {"project": project_id, "range": "custom",
                              "dates": [dates["from"], dates["to"]]})
    at.switch_page("app_pages/campaigns.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def table(at) -> list[dict[str, Any]]:
    frame = next(d.value for d in at.dataframe if "campaign_id" in d.value.columns)
    return frame.to_dict("records")


def test_the_page_without_a_crm(stack, project, analyst):
    summary.clear_cache()
    at = open_page(analyst, project)
    assert [t.value for t in at.title] == ["Campaigns"]
    shown = {m.label: m.value for m in at.metric}
    assert shown["Campaigns"] == "2" and shown["Recipients"] == "7"
    assert shown["Delivery rate"] == "85.71 %" and shown["Reply rate"] == "71.43 %"
    rows = table(at)
    assert [(r["campaign_id"], r["name"], r["status"]) for r in rows] == [
        ("cmp-b", "cmp-b", "—"), ("cmp-a", "NIL reminder", "—")]
    expected = campaigns(project)
    for row in rows:
        for key in COUNTS + RATES:
            assert row[key] == expected[row["campaign_id"]][key], key
    assert len(at.get("vega_lite_chart")) == 3  # rates, funnel, score
    assert sum(e.label == "SQL" for e in at.expander) == 5
    assert len(at.get("download_button")) == 5
    assert any("Names from the campaigns' `campaign.sent` events" in c.value for c in at.caption)


def test_the_page_with_the_crm_names_and_statuses(stack, project, analyst, fake_crm):
    summary.clear_cache()
    integrations.save_crm(OPERATOR, project, base_url=fake_crm.base_url, api_key=CRM_KEY,
                          campaigns_path="/crm/campaign",
                          campaign_report_path="/crm/campaign/{campaign_id}/report")
    fake_crm.reports["cmp-a"] = {
        "success": True, "campaign_id": "cmp-a", "delivery_rate": "83%",
        "metrics": {"total_recipients": 6, "delivered": 5, "read": 3, "replied": 2,
                    "failed": 1}}
    try:
        fake_crm.reset()
        at = open_page(analyst, project)
        assert [(r["campaign_id"], r["name"], r["status"]) for r in table(at)] == [
            ("cmp-b", "Weekend PIN drive", "active"),
            ("cmp-a", "NIL deadline reminder (CRM)", "completed")]
        assert any("Names and statuses from the CRM (3 campaigns there)" in c.value
                   for c in at.caption)
        # The CRM's report of the campaign picked (B has none there: said so).
        assert any("No report from the CRM for cmp-b" in w.value for w in at.warning)
        at.selectbox(key="campaigns_crm_report").set_value("cmp-a").run()
        side = next(d.value for d in at.dataframe if "crm" in d.value.columns)
        assert side.set_index("metric").loc["Replied"].tolist() == ["4", "2"]
        assert side.set_index("metric").loc["Delivery rate"].tolist() == ["83.33 %", "83%"]
        asked = fake_crm.paths()
        # Reruns do not call the CRM again: the campaign list once, each report once.
        at.run()
        at.run()
        assert fake_crm.paths() == asked
        assert asked.count("/crm/campaign") == 1
    finally:
        integrations.remove_crm(OPERATOR, project)
        summary.clear_cache()


def test_the_page_when_the_crm_is_down(stack, project, analyst, fake_crm):
    summary.clear_cache()
    integrations.save_crm(OPERATOR, project, base_url=fake_crm.base_url, api_key="wrong-key",
                          campaigns_path="/crm/campaign",
                          campaign_report_path="/crm/campaign/{campaign_id}/report")
    try:
        at = open_page(analyst, project)
        assert any("The CRM did not answer" in w.value and "API key was refused" in w.value
                   for w in at.warning)
        # The numbers are the events' regardless; names from campaign.sent.
        assert [(r["campaign_id"], r["name"], r["replied"]) for r in table(at)] == [
            ("cmp-b", "cmp-b", 1), ("cmp-a", "NIL reminder", 4)]
    finally:
        integrations.remove_crm(OPERATOR, project)
        summary.clear_cache()


def test_the_page_says_why_it_is_empty(stack, project, analyst):
    at = open_page(analyst, project, {"from": "2026-10-01", "to": "2026-10-07"})
    assert any("No campaign messages sent" in i.value for i in at.info)
    assert not at.metric and not at.get("vega_lite_chart")
