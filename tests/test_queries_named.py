"""Every named query on the hand-built dataset: exact results, and tenancy (a query for project A
never returns project B's rows)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from metadata.access import OPERATOR
from queries.catalog import QUERIES
from queries.runner import QueryParamError, prepare, run
from queries.serialize import records
from tests.conftest import make_event
from tests.test_queries_dataset import PHONE, RANGE, dataset  # noqa: F401


def rows(name: str, project: str, **params) -> list[dict]:
    return records(run(name, {"project": project, **RANGE, **params}, OPERATOR))


def test_traffic_by_journey(dataset):  # noqa: F811
    got = rows("traffic_by_journey", dataset["a"])
    assert [(r["journey"], r["sessions"], r["conversions"]) for r in got] == [
        ("mri", 1, 0), ("nil", 1, 1), ("tot", 1, 0)]
    assert rows("traffic_by_journey", dataset["a"], channel="whatsapp") == []


def test_top_pages(dataset):  # noqa: F811
    got = rows("top_pages", dataset["a"])
    assert [(r["page"], r["views"], r["sessions"], r["people"]) for r in got] == [
        ("/nil/otp", 2, 2, 1), ("/mri", 1, 1, 1), ("/nil", 1, 1, 1), ("/tot", 1, 1, 1)]


def test_activity_heatmap_is_in_eat(dataset):  # noqa: F811
    got = rows("activity_heatmap", dataset["a"])
    # Tue 09h (S1), Wed 10h (S2), Thu 23h (S3 — 20h in UTC), Fri 12h (C1)
    assert [(r["weekday"], r["hour"], r["sessions"]) for r in got] == [
        (2, 9, 1), (3, 10, 1), (4, 23, 1), (5, 12, 1)]


def test_duration_histogram(dataset):  # noqa: F811
    got = rows("duration_histogram", dataset["a"])
    assert [r["duration"] for r in got] == ["0 s", "< 10 s", "10-30 s", "30 s-1 min",
                                            "1-3 min", "3-10 min", "10-30 min", "30-60 min",
                                            "1 h+"]
    # S2 0 s · S3 60 s · S1 300 s · C1 600 s
    assert [r["sessions"] for r in got] == [1, 0, 0, 0, 1, 1, 1, 0, 0]


@pytest.mark.parametrize(("by", "expected"), [
    ("device_type", [("desktop", 2), ("mobile", 1)]),
    ("browser", [("Chrome", 3)]),  # user-agents calls Android's Chrome "Chrome" too
    ("country", [("KE", 3), ("UG", 1)]),
    ("entry_page", [("/mri", 1), ("/nil", 1), ("/tot", 1)]),
    ("exit_page", [("/mri", 1), ("/nil/done", 1), ("/tot", 1)]),
    ("channel", [("web", 3), ("whatsapp", 1)]),
])
def test_breakdowns(dataset, by, expected):  # noqa: F811
    got = rows("breakdown", dataset["a"], by=by)
    assert [(r["key"], r["sessions"]) for r in got] == expected


def test_web_breakdowns_count_web_sessions_only(dataset):  # noqa: F811
    assert rows("breakdown", dataset["a"], by="device_type", channel="whatsapp") == []
    assert rows("breakdown", dataset["a"], by="country", channel="whatsapp") == [
        {"key": "KE", "sessions": 1, "people": 1, "conversions": 0, "conversion_rate": 0.0,
         "avg_duration_s": 600.0, "single_event_share": 0.0}]


def test_sessions_list_and_its_filters(dataset):  # noqa: F811
    a = dataset["a"]
    everything = rows("sessions_list", a)
    assert [(r["channel"], r["duration_s"], r["entry_page"]) for r in everything] == [
        ("whatsapp", 600.0, ""), ("web", 60.0, "/tot"), ("web", 0.0, "/mri"),
        ("web", 300.0, "/nil")]
    assert {r["total"] for r in everything} == {4}
    assert [r["entry_page"] for r in rows("sessions_list", a, converted="yes")] == ["/nil"]
    assert len(rows("sessions_list", a, converted="no")) == 3
    assert [r["country"] for r in rows("sessions_list", a, country="UG")] == ["UG"]
    assert [r["device_type"] for r in rows("sessions_list", a, device="mobile")] == ["mobile"]
    assert [r["duration_s"] for r in rows("sessions_list", a, min_duration_s=300)] == [
        600.0, 300.0]
    assert [r["entry_page"] for r in rows("sessions_list", a, entry_page="/tot")] == ["/tot"]
    assert [r["phone"] for r in rows("sessions_list", a, person="711000001")] == [PHONE]
    by_pin = rows("sessions_list", a, person="a001")  # case-insensitive
    assert [r["user_id"] for r in by_pin] == ["A001"]
    person_id = by_pin[0]["person_id"]
    assert [r["entry_page"] for r in rows("sessions_list", a, person=person_id)] == ["/nil"]
    page2 = rows("sessions_list", a, limit=3, offset=3)
    assert [(r["entry_page"], r["total"]) for r in page2] == [("/nil", 4)]


def test_session_timeline_has_relative_times_and_properties(dataset):  # noqa: F811
    a = dataset["a"]
    s1 = rows("sessions_list", a, converted="yes")[0]["session_id"]
    got = rows("session_timeline", a, session=s1)
    assert [(r["event_name"], r["seconds"], r["page_path"]) for r in got] == [
        ("page_view", 0.0, "/nil"), ("page_view", 120.0, "/nil/otp"),
        ("app_error", 180.0, "/nil/otp"), ("return_filed", 300.0, "/nil/done")]
    assert '"receipt_number":"R-1"' in got[3]["properties"]
    assert rows("session_timeline", a, session="no-such-session") == []


def test_conversation_timeline_includes_receipts(dataset):  # noqa: F811
    a = dataset["a"]
    conv = rows("sessions_list", a, channel="whatsapp")[0]
    got = rows("session_timeline", a, session=conv["session_id"])
    assert [(r["event_name"], r["seconds"], r["direction"]) for r in got] == [
        ("message.received", 0.0, "inbound"), ("message.sent", 60.0, "outbound"),
        ("message.delivered", 90.0, ""), ("message.received", 600.0, "inbound")]


def test_errors_queries(dataset):  # noqa: F811
    a = dataset["a"]
    assert rows("errors_summary", a) == [{
        "errors": 2, "error_types": 2, "affected_sessions": 2, "affected_people": 2,
        "sessions": 3, "sessions_with_error": 2, "error_session_share": 2 / 3}]
    assert [r["errors"] for r in rows("errors_by_day", a)] == [1, 0, 1, 0, 0, 0, 0]
    by_type = rows("errors_by_type", a)
    assert [(r["error_type"], r["message"], r["errors"]) for r in by_type] == [
        ("TypeError", "x is undefined", 1), ("ValidationError", "PIN mismatch", 1)]
    assert by_type[0]["last_seen"] == "2026-03-12T20:31:00.000Z"
    assert [(r["page"], r["errors"]) for r in rows("errors_by_page", a)] == [
        ("/nil/otp", 1), ("/tot", 1)]
    sessions = rows("error_sessions", a)
    assert [(r["errors"], r["error_types"], r["person_key"]) for r in sessions] == [
        (1, ["TypeError"], "anon:a2"), (1, ["ValidationError"], "user:A001")]


def test_errors_in_an_empty_range(dataset):  # noqa: F811
    got = rows("errors_summary", dataset["a"], **{"from": "2026-03-13", "to": "2026-03-16"})
    assert got[0]["errors"] == 0 and got[0]["sessions"] == 0
    assert got[0]["error_session_share"] is None


def test_events_by_day_and_name(dataset):  # noqa: F811
    by_day = rows("events_by_day", dataset["a"])
    assert [(r["day"], r["channel"], r["events"]) for r in by_day] == [
        ("2026-03-10", "web", 5), ("2026-03-11", "web", 1), ("2026-03-12", "web", 2),
        ("2026-03-13", "whatsapp", 4)]
    names = {(r["event_name"], r["events"]) for r in rows("events_by_name", dataset["a"],
                                                          channel="whatsapp")}
    assert names == {("message.received", 2), ("message.sent", 1), ("message.delivered", 1)}


def test_live_queries_see_fresh_events(stack, dataset):  # noqa: F811
    from tests.test_queries_dataset import post_web

    now = datetime.now(UTC)
    events = [make_event("page_view", timestamp=(now - timedelta(seconds=s)).isoformat(),
                         anonymous_id="live-1", context={"page": {"path": f"/live{s}"}})
              for s in (5, 70, 130)]
    post_web(stack, {"write_key": dataset["a_write_key"]}, events)
    stack.drain()
    latest = records(run("live_events", {"project": dataset["a"], "minutes": 5}, OPERATOR))
    assert sorted(r["page_path"] for r in latest) == ["/live130", "/live5", "/live70"]
    per_minute = records(run("events_per_minute", {"project": dataset["a"], "minutes": 5},
                             OPERATOR))
    assert len(per_minute) in (6, 7)  # every minute of the window, the current one included
    assert sum(r["events"] for r in per_minute) == 3
    whatsapp = {"project": dataset["a"], "channel": "whatsapp"}
    assert records(run("live_events", whatsapp, OPERATOR)) == []


# --- tenancy ---------------------------------------------------------------------------------
def _params(name: str, project: str, session_of_b: str) -> dict:
    if name in ("live_events", "events_per_minute"):
        return {"project": project, "minutes": 1440}
    if name in ("model_status", "whatsapp_open", "whatsapp_workload"):  # now: no range
        return {"project": project}
    if name in ("journey_profile", "journey_event"):  # a person's history, an event: no range
        return {**QUERIES[name].example, "project": project}
    # What else the query needs, from its catalog example (funnel steps, a person to look up…)
    example = QUERIES[name].example
    extra = {k: v for k, v in example.items() if k not in ("project", "from", "to")}
    if name == "session_timeline":
        extra["session"] = session_of_b
    if name == "breakdown":
        extra = {"by": "entry_page"}
    return {"project": project, **RANGE, **extra}


# Queries whose rows name nobody (counts, buckets, "now"), so B's own result need not show a B
# marker; A's must still never show one.
AGGREGATES = {
    "live_events", "events_per_minute", "events_by_day", "dau", "activity_heatmap",
    "duration_histogram", "overview", "overview_conversations", "errors_summary",
    "errors_by_day", "traffic_by_journey",
    "events_by_name", "model_status", "retention", "funnel", "funnel_dropped", "funnel_next",
    "event_properties",
    # an example event id: tests/test_journey_explorer.py asks for B's events
    "journey_event",
    # issue 12: tests/test_whatsapp.py, test_ai_agent.py, test_campaigns.py,
    # test_service_report.py and test_snapshots.py check their numbers by hand
    "ai", "ai_intents", "ai_latency_histogram", "ai_errors_by_day", "ai_errors_by_type",
    "ai_errors_summary", "ai_low_confidence", "ai_intent_escalation", "errors_trend",
    "whatsapp", "whatsapp_open", "whatsapp_workload", "whatsapp_volume", "whatsapp_heatmap",
    "whatsapp_response_histogram", "whatsapp_funnel", "whatsapp_countries", "whatsapp_agents",
    "whatsapp_lengths", "campaigns", "campaigns_kpis", "service_report", "snapshot_trends",
}


@pytest.mark.parametrize("name", list(QUERIES))
def test_a_query_for_project_a_never_returns_project_bs_rows(stack, dataset, name):  # noqa: F811
    b_session = records(run("sessions_list", {"project": dataset["b"], **RANGE}, OPERATOR))
    b_ids = {r["session_id"] for r in b_session}
    assert b_ids, "project B must have sessions for this test to mean anything"
    b_session_id = next(iter(b_ids))
    # B's own query sees B's markers (so their absence from A's results is meaningful)…
    mine = str(records(run(name, _params(name, dataset["b"], b_session_id), OPERATOR)))
    # …and A's query, even when asked for B's session, never shows them.
    theirs = str(records(run(name, _params(name, dataset["a"], b_session_id), OPERATOR)))
    for marker in ("b-only", "BOnlyError", "B-PIN", "b-anon", "+254722000002", *b_ids):
        assert marker not in theirs, f"{name} for A returned B's {marker}"
    if name not in AGGREGATES:
        assert any(m in mine for m in ("b-only", "BOnlyError", "B-PIN", "+254722000002",
                                       *b_ids)), f"{name} for B shows none of B's markers"


def test_an_unknown_project_is_a_named_parameter_error(stack):
    with pytest.raises(QueryParamError) as info:
        prepare("overview", {"project": f"nope-{uuid.uuid4().hex[:6]}", **RANGE}, OPERATOR)
    assert info.value.param == "project"
