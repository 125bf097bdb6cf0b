"""The AI agent's queries on a hand-built set with hand-computed answers, the AI agent page and
the Errors page under the WhatsApp channel (AppTest), and `njia query ai`.

Everything is posted through the real collector (CRM webhooks, one web `app_error`), stored by
the processor and the journey model worker, and read with the named queries.

Range under test: 2026-11-20 in EAT (UTC+3) = 2026-11-19 21:00 … 2026-11-20 21:00 UTC.
Previous period: 2026-11-19 (EAT). `at(m)` is 2026-11-20 09:00 UTC + m minutes (12:00 EAT).

Current period, one WhatsApp number per conversation (A…E, G), threshold 0.6 (the default):
  A  in; cls file_nil_return 0.90 (latency 400 ms, text); gen 1000 ms; bot out; resolved
  B  in; cls payment_status 0.60 (exactly the threshold: not low, 600 ms); cls payment_status
     without a confidence; gen 2000 ms; bot out; agent.handoff; agent out
  C  in; cls other 0.59 (700 ms, text "hmm??"); ai.error timeout (latency 30000 ms: a failed
     call, not an answer); agent.handoff; cls payment_status 0.30 (later, low)
  D  in; cls without intent 0.95; cls file_nil_return 0.80; gen 3000 ms; ai.error rate_limited;
     ai.error timeout; bot out (not resolved, no hand-off)
  E  in only: no AI event (unclassified)
  G  in at 23:59 EAT (in range); cls tcc_application 0.70 at 00:00:30 EAT the next day (outside
     the range as an event, but the conversation started in it); agent.handoff
  + one web app_error at(50).
Previous period (2026-11-19 EAT): F  in; cls pin_registration 0.50 (800 ms); gen 1200 ms; out.

By hand (current):
  classifications 7 (A1 B2 C2 D2; G's is outside); scored 6; mean (0.9+0.6+0.59+0.3+0.95+0.8)/6
  = 0.69; low (< 0.6): 0.59, 0.3 → 2/6 = 33.33 %.
  latencies (answers) 400 600 700 1000 2000 3000 → p50 = (700+1000)/2 = 850; p90: rank 5·0.9 =
  4.5 → 2000 + 0.5·1000 = 2500; p99: rank 4.95 → 2950.
  generations 3, errors 3, error rate 3 / (7+3+3) = 23.08 %.
Previous: classifications 1, mean 0.5, low share 100 %, latencies 800 1200 → p50 1000, p90 1160,
  p99 1196; generations 1, errors 0, error rate 0.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest

from metadata import users
from metadata.access import OPERATOR
from queries.runner import run
from tests.sessions_helpers import at, crm, old_project, post_crm, post_web, web
from tests.test_workbench_auth import PASSWORD, signed_in_app
from workbench import kpis as kpi_cards

DAY = {"from": "2026-11-20", "to": "2026-11-20"}
TWO_DAYS = {"from": "2026-11-19", "to": "2026-11-20"}
PHONES = {c: f"2547001001{i:02d}" for i, c in enumerate("ABCDEFG", 1)}
GEN = "kra-assist-llm-v2"
CLS = "kra-intent-v3"


def secs(minutes: float, seconds: float = 0) -> datetime:
    return at(minutes, seconds)


def ev(kind: str, ts: datetime, who: str, **data: Any) -> dict[str, Any]:
    return crm(kind, ts, PHONES[who], chat_id=f"chat-{who}", **data)


def inbound(ts: datetime, who: str) -> dict[str, Any]:
    return ev("message.received", ts, who, message_id=f"in-{who}-{ts:%H%M%S}",
              direction="inbound")


def outbound(ts: datetime, who: str, agent: str = "bot") -> dict[str, Any]:
    return ev("message.sent", ts, who, message_id=f"out-{who}-{ts:%H%M%S}",
              direction="outbound", agent_id=agent)


def cls(ts: datetime, who: str, intent: str | None, confidence: float | None,
        **data: Any) -> dict[str, Any]:
    return ev("ai.classification", ts, who, intent=intent, confidence=confidence, model=CLS,
              **data)


def gen(ts: datetime, who: str, latency_ms: float) -> dict[str, Any]:
    return ev("ai.generation", ts, who, latency_ms=latency_ms, model=GEN)


def err(ts: datetime, who: str, error_type: str, **data: Any) -> dict[str, Any]:
    return ev("ai.error", ts, who, error_type=error_type, model=GEN, **data)


def handoff(ts: datetime, who: str) -> dict[str, Any]:
    return ev("agent.handoff", ts, who, agent_id="agent-1", previous_agent_id="bot")


def drop_none(envelope: dict[str, Any]) -> dict[str, Any]:
    envelope["data"] = {k: v for k, v in envelope["data"].items() if v is not None}
    return envelope


# G starts at 23:59 EAT on the 20th = 20:59 UTC; at(0) is 09:00 UTC.
G_START = 11 * 60 + 59
PREVIOUS = -24 * 60

CHAT = [drop_none(e) for e in [
    # A: resolved by the bot
    inbound(secs(0), "A"),
    cls(secs(0, 1), "A", "file_nil_return", 0.9, latency_ms=400, text="I want to file a nil"),
    gen(secs(0, 3), "A", 1000), outbound(secs(0, 4), "A"),
    ev("chat.resolved", secs(5), "A", agent_id="bot"),
    # B: the threshold exactly; a classification without a confidence; handed off
    inbound(secs(10), "B"),
    cls(secs(10, 1), "B", "payment_status", 0.6, latency_ms=600),
    cls(secs(10, 30), "B", "payment_status", None),
    gen(secs(10, 40), "B", 2000), outbound(secs(10, 42), "B"),
    handoff(secs(11), "B"), outbound(secs(12), "B", "agent-1"),
    # C: low confidence, an error, handed off, then a second (low) classification
    inbound(secs(20), "C"),
    cls(secs(20, 1), "C", "other", 0.59, latency_ms=700, text="hmm??"),
    err(secs(20, 5), "C", "timeout", latency_ms=30000),
    handoff(secs(21), "C"),
    cls(secs(22), "C", "payment_status", 0.3),
    # D: the first classification names no intent; two errors
    inbound(secs(30), "D"),
    cls(secs(30, 1), "D", None, 0.95),
    cls(secs(31), "D", "file_nil_return", 0.8),
    gen(secs(31, 2), "D", 3000),
    err(secs(32), "D", "rate_limited"), err(secs(33), "D", "timeout"),
    outbound(secs(34), "D"),
    # E: no AI at all
    inbound(secs(40), "E"),
    # G: starts in the range, classified just after it ends, handed off
    inbound(secs(G_START), "G"),
    cls(secs(G_START + 1, 30), "G", "tcc_application", 0.7, latency_ms=5000),
    handoff(secs(G_START + 3), "G"),
    # F: the previous period
    inbound(secs(PREVIOUS), "F"),
    cls(secs(PREVIOUS, 1), "F", "pin_registration", 0.5, latency_ms=800),
    gen(secs(PREVIOUS, 3), "F", 1200), outbound(secs(PREVIOUS, 4), "F"),
]]
WEB = [web("app_error", secs(50), anon="w1", sid="s1", path="/nil",
           properties={"error_type": "TypeError", "message": "x", "path": "/nil"})]

KPIS: dict[str, tuple[float | None, float | None]] = {
    "classifications": (7, 1),
    "mean_confidence": (0.69, 0.5),
    "low_confidence_share": (33.33, 100.0),
    "latency_p50_ms": (850, 1000),
    "latency_p90_ms": (2500, 1160),
    "latency_p99_ms": (2950, 1196),
    "error_rate": (23.08, 0.0),
    "errors": (3, 0),
    "generations": (3, 1),
}


@pytest.fixture(scope="module")
def project(stack) -> str:
    p = old_project(stack)
    post_crm(stack, p, CHAT)
    post_web(stack, p, WEB)
    stack.drain()
    return p["project_id"]


def rows(name: str, project: str, dates: dict[str, str] = DAY, **params: Any) -> list[dict]:
    return run(name, {"project": project, **dates, **params}, OPERATOR).to_dict("records")


def close(a: Any, b: Any) -> bool:
    if a is None or b is None or (isinstance(a, float) and np.isnan(a)):
        return (a is None or np.isnan(a)) and (b is None or np.isnan(b))
    return abs(float(a) - float(b)) < 1e-9


# --- the KPIs --------------------------------------------------------------------------------
def test_the_percentiles_are_numpys_linear_interpolation():
    """The hand-computed percentiles above are numpy's default (linear) ones."""
    now = [400, 600, 700, 1000, 2000, 3000]
    assert list(np.percentile(now, [50, 90, 99])) == pytest.approx([850, 2500, 2950])
    assert list(np.percentile([800, 1200], [50, 90, 99])) == pytest.approx([1000, 1160, 1196])


def test_kpis_one_row_per_metric_with_the_previous_period(project):
    got = {r["metric"]: r for r in rows("ai", project)}
    assert list(got) == list(KPIS)
    for metric, (value, previous) in KPIS.items():
        row = got[metric]
        assert close(row["value"], value), (metric, row)
        assert close(row["previous"], previous), (metric, row)
        assert close(row["change"], value - previous), (metric, row)
        expected_ratio = None if previous == 0 else (value - previous) / previous
        assert close(row["change_ratio"], expected_ratio), (metric, row)


def test_an_empty_range_has_zero_rates_and_no_means(project):
    got = {r["metric"]: r["value"] for r in rows("ai", project, {"from": "2025-01-01",
                                                                  "to": "2025-01-01"})}
    assert got["classifications"] == 0 and got["errors"] == 0
    assert got["error_rate"] == 0 and got["low_confidence_share"] == 0
    for metric in ("mean_confidence", "latency_p50_ms", "latency_p90_ms", "latency_p99_ms"):
        assert close(got[metric], None), metric


def test_the_threshold_is_the_projects_setting(stack, project):
    """At 0.59 instead of 0.6 only 0.3 is below it (0.59 is exactly at it): 1 of 6."""
    from metadata.projects import update_settings

    update_settings(project, low_confidence_threshold=0.59)
    try:
        got = {r["metric"]: r["value"] for r in rows("ai", project)}
        assert got["low_confidence_share"] == 16.67
        assert [r["confidence"] for r in rows("ai_low_confidence", project)] == [0.3]
    finally:
        update_settings(project, low_confidence_threshold=0.6)


# --- the panels ------------------------------------------------------------------------------
def test_top_intents(project):
    got = [(r["intent"], r["classifications"], r["share"], round(r["mean_confidence"], 6),
            r["low_confidence"], r["low_confidence_share"])
           for r in rows("ai_intents", project)]
    assert got == [
        ("payment_status", 3, 42.86, 0.45, 1, 50.0),  # 0.6, none, 0.3
        ("file_nil_return", 2, 28.57, 0.85, 0, 0.0),  # 0.9, 0.8
        ("(none)", 1, 14.29, 0.95, 0, 0.0),
        ("other", 1, 14.29, 0.59, 1, 100.0),
    ]
    assert [r["intent"] for r in rows("ai_intents", project, limit=2)] == [
        "payment_status", "file_nil_return"]


def test_latency_histogram(project):
    got = [(r["latency"], r["lower_ms"], r["answers"], r["share"])
           for r in rows("ai_latency_histogram", project)]
    assert got == [("< 0.5 s", 0, 1, 16.67), ("0.5–1 s", 500, 2, 33.33), ("1–2 s", 1000, 1, 16.67),
                   ("2–3 s", 2000, 1, 16.67), ("3–5 s", 3000, 1, 16.67), ("5–10 s", 5000, 0, 0.0),
                   ("≥ 10 s", 10000, 0, 0.0)]
    empty = rows("ai_latency_histogram", project, {"from": "2025-01-01", "to": "2025-01-01"})
    assert len(empty) == 7 and all(r["answers"] == 0 and r["share"] == 0 for r in empty)


def test_errors_by_type_over_time(project):
    got = [(str(r["day"])[:10], r["error_type"], r["errors"])
           for r in rows("ai_errors_by_day", project, TWO_DAYS)]
    assert got == [("2026-11-19", "rate_limited", 0), ("2026-11-19", "timeout", 0),
                   ("2026-11-20", "rate_limited", 1), ("2026-11-20", "timeout", 2)]


def test_errors_by_type(project):
    got = [(r["error_type"], r["errors"], r["share"], r["models"], r["conversations"],
            r["people"]) for r in rows("ai_errors_by_type", project)]
    assert got == [("timeout", 2, 66.67, GEN, 2, 2), ("rate_limited", 1, 33.33, GEN, 1, 1)]
    last = rows("ai_errors_by_type", project)[0]["last_seen"]
    assert pd.Timestamp(last) == pd.Timestamp(secs(33))


def test_errors_summary(project):
    (got,) = rows("ai_errors_summary", project)
    assert {k: got[k] for k in ("errors", "error_types", "affected_conversations",
                                "affected_people", "ai_events", "error_rate")} == {
        "errors": 3, "error_types": 2, "affected_conversations": 2, "affected_people": 2,
        "ai_events": 13, "error_rate": 23.08}


def test_errors_trend_has_both_kinds_every_day(project):
    got = [(str(r["day"])[:10], r["kind"], r["errors"])
           for r in rows("errors_trend", project, TWO_DAYS)]
    assert got == [("2026-11-19", "app_error", 0), ("2026-11-19", "ai.error", 0),
                   ("2026-11-20", "app_error", 1), ("2026-11-20", "ai.error", 3)]


def test_low_confidence_examples(project):
    got = rows("ai_low_confidence", project)
    assert [(r["intent"], r["confidence"], r["text"]) for r in got] == [
        ("payment_status", 0.3, ""), ("other", 0.59, "hmm??")]  # newest first; 0.6 is not low
    assert [pd.Timestamp(r["timestamp"]) for r in got] == [pd.Timestamp(secs(22)),
                                                            pd.Timestamp(secs(20, 1))]
    # Both in C's conversation, C's person: the journey explorer opens on them.
    assert got[0]["conversation"] and got[0]["conversation"] == got[1]["conversation"]
    assert {r["person_key"] for r in got} == {f"phone:+{PHONES['C']}"}
    assert len(rows("ai_low_confidence", project, limit=1)) == 1


def test_intent_escalation(project):
    """A conversation's intent is its first classification's that names one: D's is
    file_nil_return (its first names none), C's other (not its later payment_status), G's
    tcc_application (classified after the range's end, in a conversation that began in it)."""
    got = [(r["intent"], r["conversations"], r["escalated"], r["escalation_rate"],
            r["bot_resolved"]) for r in rows("ai_intent_escalation", project)]
    assert got == [
        ("file_nil_return", 2, 0, 0.0, 1),  # A (bot-resolved), D
        ("(unclassified)", 1, 0, 0.0, 0),  # E
        ("other", 1, 1, 100.0, 0),  # C
        ("payment_status", 1, 1, 100.0, 0),  # B
        ("tcc_application", 1, 1, 100.0, 0),  # G
    ]


# --- njia query ai ---------------------------------------------------------------------------
def test_njia_query_ai_prints_one_row_per_metric(stack, project):
    cli = subprocess.run(
        [sys.executable, "-m", "cli", "query", "ai", "--project", project,
         "--from", DAY["from"], "--to", DAY["to"]],
        capture_output=True, text=True, env=stack.env, timeout=120, check=True)
    printed = json.loads(cli.stdout)
    assert [r["metric"] for r in printed] == list(KPIS)
    for r in printed:
        assert set(r) == {"metric", "value", "previous", "change", "change_ratio"}
        assert close(r["value"], KPIS[r["metric"]][0])


# --- the pages -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def analyst(project) -> str:
    users.add_user("ai-analyst", PASSWORD, role="analyst", projects=[project])
    return "ai-analyst"


def open_page(analyst: str, project: str, page: str, dates: dict[str, str] = DAY,
              channel: str | None = None):
    params: dict[str, Any] = {"project": project, "range": "custom",
                              "dates": [dates["from"], dates["to"]]}
    if channel:
        params["channel"] = channel
    at_ = signed_in_app(analyst, params)
    at_.switch_page(page).run()
    assert not at_.exception, [e.message for e in at_.exception]
    return at_


def test_the_ai_page_cards_are_the_query(project, analyst):
    page = open_page(analyst, project, "app_pages/ai_agent.py")
    shown = {m.label: (m.value, m.delta) for m in page.metric}
    from queries.definitions import area

    defs = area("ai").metrics
    for r in rows("ai", project):
        found = defs[r["metric"]]
        if found.label not in shown:
            continue  # a KPI row not on a card (generations)
        value, delta = shown[found.label]
        assert value == kpi_cards.value_text(found.format, r["value"]), r["metric"]
        # No previous value to compare with: no delta (AppTest shows it as '').
        assert delta == (kpi_cards.change_text(found.format, r["change_ratio"], r["change"])
                         or ""), r["metric"]
    assert shown[defs["classifications"].label] == ("7", "+600.0 %")
    assert shown[defs["error_rate"].label][0] == "23.08 %"
    assert shown[defs["latency_p50_ms"].label][0] == "850"
    assert len(shown) == 8
    # The panels: each with its SQL and CSV (the KPIs + 6 panels).
    assert sum(e.label == "SQL" for e in page.expander) == 7
    assert len(page.get("download_button")) == 7
    assert len(page.get("vega_lite_chart")) == 4  # intents, latency, errors, escalation
    examples = next(d.value for d in page.dataframe if "confidence" in d.value.columns)
    assert list(examples["intent"]) == ["payment_status", "other"]
    links = [link.label for link in page.get("page_link")]
    assert links and all(label.startswith("Journey of") for label in links)


def test_the_ai_page_says_why_it_is_empty(project, analyst):
    page = open_page(analyst, project, "app_pages/ai_agent.py",
                     {"from": "2025-01-01", "to": "2025-01-07"})
    assert any("No AI agent events" in i.value for i in page.info)
    assert not page.get("vega_lite_chart")


def test_the_errors_page_shows_ai_errors_under_whatsapp(project, analyst):
    web_only = open_page(analyst, project, "app_pages/errors.py")
    assert "AI errors" not in {m.label for m in web_only.metric}
    page = open_page(analyst, project, "app_pages/errors.py", channel="whatsapp")
    shown = {m.label: m.value for m in page.metric}
    assert shown["Errors"] == "1"  # the web app's app_error, still there
    assert shown["AI errors"] == "3" and shown["AI error rate"] == "23.08 %"
    assert shown["Conversations with an AI error"] == "2"
    trend = next(c for c in page.get("vega_lite_chart"))
    assert trend is not None
    by_type = next(d.value for d in page.dataframe if "models" in d.value.columns)
    assert list(by_type["error_type"]) == ["timeout", "rate_limited"]


def test_previous_period_dates_shift_with_the_range(project):
    """Two days: the previous period is 11-17 … 11-18, where nothing happened."""
    got = {r["metric"]: r for r in rows("ai", project, TWO_DAYS)}
    assert got["classifications"]["value"] == 8 and got["classifications"]["previous"] == 0
    assert close(got["classifications"]["change_ratio"], None)
    assert got["errors"]["value"] == 3

