"""Retention (docs/metrics.md "Retention") through the real stack, on hand-built journeys with
hand-computed cohorts; the page under AppTest; the page, `njia query retention` and the API give
the same numbers.

The same events go to two projects, one in Africa/Nairobi (EAT = UTC+3), one in UTC. Weeks of
2026 (Mondays): W0 = 03-30, W1 = 04-06, W2 = 04-13, W3 = 04-20, W4 = 04-27, W5 = 05-04. Times are
EAT unless marked UTC.

  A  web "ra" → PIN RA-PIN, phone +254711000101 (identify): 04-06 10:00 page view (first event
     ever); 04-14 09:00 page view + return_filed; WhatsApp 04-22 12:00 inbound message (the same
     person across channels).                                          W1, W2, W3; filed W2
  B  web "rb": 03-31 page view (first event ever, before the range); 04-08 page view +
     return_filed.                                                     W0, W1; filed W1
  C  web "rc": 04-12 22:30 UTC = 04-13 01:30 EAT page view + return_filed — Monday in EAT (W2),
     Sunday in UTC (W1); 04-27 10:00 page view + return_filed.        W2 (UTC: W1), W4; filed
                                                                       W2 (UTC W1), W4
  D  WhatsApp +254711000104: 04-08 campaign send + its receipt (outside any conversation: not
     active); 04-16 12:00 inbound message + reply (first activity); 04-21 campaign send (not
     active).                                                          W2
  E  web "re": 04-01 page view (before the range); 04-15 page view + return_filed (first
     filing); 04-23 page view.                                         W0, W2, W3; filed W2
  F  web "rf": 04-12 20:00 (Sunday both ways); 04-13 08:00; 05-05 08:00.  W1, W2, W5
  G  web "rg": 03-30 page view + return_filed; 04-14 page view + return_filed.  W0, W2
  Bot "rbot" (Googlebot) 04-07: never counted.

Range 04-06 … 04-19 (W1, W2), periods = 3, EAT, mode "on":
  first event ever: W1 = {A, F}: offsets A {0,1,2}, F {0,1,4} → 2, 2, 1, 0
                    W2 = {C, D}: C {0,2}, D {0} (its W1 and W3 campaign sends do not count)
                                                                        → 2, 0, 1, 0
  (B, E, G: first event before the range; the bot never.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import requests

from metadata import tokens, users
from metadata.access import OPERATOR
from metadata.projects import update_settings
from queries.builders.retention import MAX_COHORTS, cohort_starts
from queries.catalog import QUERIES
from queries.runner import QueryParamError, run, validate
from queries.serialize import records
from queries.timerange import today_in
from tests.test_api import api  # noqa: F401 - the API program, started once for this module
from tests.test_queries_dataset import BOT_UA, crm, new_project, post_crm, post_web, web
from tests.test_workbench_auth import PASSWORD, signed_in_app
from workbench import retention_charts

EAT = ZoneInfo("Africa/Nairobi")
RANGE = {"from": "2026-04-06", "to": "2026-04-19"}
W1, W2 = "2026-04-06", "2026-04-13"
PHONE_A, PHONE_D = "+254711000101", "+254711000104"


def eat(month: int, day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, month, day, hh, mm, tzinfo=EAT)


def utc(month: int, day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, month, day, hh, mm, tzinfo=UTC)


def web_events() -> list[dict[str, Any]]:
    identify = web("identify", eat(4, 6, 10, 1), "ra", "ra-1", "/nil", user_id="RA-PIN")
    identify["traits"] = {"phone": PHONE_A}
    return [
        # A
        web("page_view", eat(4, 6, 10), "ra", "ra-1", "/nil"),
        identify,
        web("page_view", eat(4, 14, 9), "ra", "ra-2", "/nil", user_id="RA-PIN"),
        web("return_filed", eat(4, 14, 9, 5), "ra", "ra-2", "/nil/done", user_id="RA-PIN"),
        # B
        web("page_view", eat(3, 31, 11), "rb", "rb-1", "/mri"),
        web("page_view", eat(4, 8, 11), "rb", "rb-2", "/mri"),
        web("return_filed", eat(4, 8, 11, 5), "rb", "rb-2", "/mri/done"),
        # C: Monday 01:30 in EAT is Sunday 22:30 in UTC
        web("page_view", utc(4, 12, 22, 30), "rc", "rc-1", "/tot"),
        web("return_filed", utc(4, 12, 22, 32), "rc", "rc-1", "/tot/done"),
        web("page_view", eat(4, 27, 10), "rc", "rc-2", "/tot"),
        web("return_filed", eat(4, 27, 10, 5), "rc", "rc-2", "/tot/done"),
        # E
        web("page_view", eat(4, 1, 10), "re", "re-1", "/nil"),
        web("page_view", eat(4, 15, 10), "re", "re-2", "/nil"),
        web("return_filed", eat(4, 15, 10, 5), "re", "re-2", "/nil/done"),
        web("page_view", eat(4, 23, 10), "re", "re-3", "/nil"),
        # F
        web("page_view", eat(4, 12, 20), "rf", "rf-1", "/"),
        web("page_view", eat(4, 13, 8), "rf", "rf-2", "/"),
        web("page_view", eat(5, 5, 8), "rf", "rf-3", "/"),
        # G
        web("page_view", eat(3, 30, 10), "rg", "rg-1", "/nil"),
        web("return_filed", eat(3, 30, 10, 5), "rg", "rg-1", "/nil/done"),
        web("page_view", eat(4, 14, 11), "rg", "rg-2", "/nil"),
        web("return_filed", eat(4, 14, 11, 5), "rg", "rg-2", "/nil/done"),
        # A crawler
        web("page_view", eat(4, 7, 10), "rbot", "rbot-1", "/nil", ua=BOT_UA),
    ]


def whatsapp_events() -> list[dict[str, Any]]:
    return [
        # A, on WhatsApp: a conversation
        crm("message.received", eat(4, 22, 12), PHONE_A, "ra-m1"),
        # D: campaign (outbound-only), a conversation, another campaign send
        crm("message.sent", eat(4, 8, 9), PHONE_D, "rd-c1", agent_id="campaign"),
        crm("message.delivered", eat(4, 8, 9, 1), PHONE_D, "rd-c1"),
        crm("message.received", eat(4, 16, 12), PHONE_D, "rd-m1"),
        crm("message.sent", eat(4, 16, 12, 1), PHONE_D, "rd-m2", agent_id="bot"),
        crm("message.sent", eat(4, 21, 9), PHONE_D, "rd-c2", agent_id="campaign"),
    ]


@pytest.fixture(scope="module")
def projects(stack) -> dict[str, str]:
    eat_project, utc_project = new_project(stack), new_project(stack)
    update_settings(utc_project["project_id"], timezone="UTC")
    for project in (eat_project, utc_project):
        post_web(stack, project, web_events())
        post_crm(stack, project, whatsapp_events())
    stack.drain()
    return {"eat": eat_project["project_id"], "utc": utc_project["project_id"]}


def retention(project: str, dates: dict[str, str] = RANGE, **params: Any) -> list[dict]:
    return records(run("retention", {"project": project, **dates, "periods": 3, **params},
                       OPERATOR))


def cells(rows: list[dict]) -> dict[str, tuple[int, list[int]]]:
    """{cohort: (cohort_size, [returning at offset 0, 1, …])}."""
    out: dict[str, tuple[int, list[int]]] = {}
    for row in rows:
        size, returning = out.setdefault(row["cohort"], (row["cohort_size"], []))
        assert row["period_offset"] == len(returning) and row["cohort_size"] == size
        returning.append(row["returning"])
    return out


# --- the engine on hand-computed cohorts -------------------------------------------------------
def test_first_event_ever_weekly(stack, projects):
    rows = retention(projects["eat"])
    assert cells(rows) == {W1: (2, [2, 2, 1, 0]), W2: (2, [2, 0, 1, 0])}
    assert [r["period_start"] for r in rows[:4]] == [
        "2026-04-06", "2026-04-13", "2026-04-20", "2026-04-27"]
    assert [r["share"] for r in rows] == [1.0, 1.0, 0.5, 0.0, 1.0, 0.0, 0.5, 0.0]


def test_a_first_event_on_a_period_boundary_in_eat_but_not_in_utc(stack, projects):
    # C's first event is Monday 04-13 01:30 in EAT, Sunday 04-12 22:30 in UTC.
    assert cells(retention(projects["eat"], {"from": "2026-04-12", "to": "2026-04-13"},
                           period="day", periods=1)) == {
        "2026-04-12": (1, [1, 1]),   # F (20:00 EAT), back on 04-13
        "2026-04-13": (1, [1, 0]),   # C, not back on 04-14
    }
    utc_rows = retention(projects["utc"], {"from": "2026-04-12", "to": "2026-04-13"},
                         period="day", periods=1)
    assert cells(utc_rows) == {
        "2026-04-12": (2, [2, 1]),   # F (17:00 UTC) and C (22:30 UTC); F back on 04-13
        "2026-04-13": (0, [0, 0]),   # nobody: an empty cohort is listed, its share empty
    }
    assert [r["share"] for r in utc_rows[2:]] == [None, None]
    # Weeks: in UTC, C joins W1 and its 04-27 visit is 3 weeks later, not 2.
    assert cells(retention(projects["utc"])) == {W1: (3, [3, 2, 1, 1]), W2: (1, [1, 0, 0, 0])}


def test_on_or_after(stack, projects):
    # W1: A last active at offset 2, F at offset 4 (counted up to 3); W2: C at 2, D at 0.
    assert cells(retention(projects["eat"], mode="on_or_after")) == {
        W1: (2, [2, 2, 2, 1]), W2: (2, [2, 1, 1, 0])}


def test_first_time_doing_a_chosen_event(stack, projects):
    # First filing: B W1; A, C, E W2 (E's first event was W0); G filed in W0 first: no cohort.
    # Returns (any event) from the cohort's week: B {0}; A {0,1}; C {0,2}; E {0,1}.
    assert cells(retention(projects["eat"], cohort_event="return_filed")) == {
        W1: (1, [1, 0, 0, 0]), W2: (3, [3, 2, 1, 0])}


def test_a_chosen_return_event(stack, projects):
    # W1 {A, F}: A filed at offset 1; W2 {C, D}: C filed at offsets 0 and 2.
    assert cells(retention(projects["eat"], return_event="return_filed")) == {
        W1: (2, [0, 1, 0, 0]), W2: (2, [1, 0, 1, 0])}
    # Both chosen, on or after: W1 {B} filed only at 0; W2 {A, C, E}: C again at 2.
    assert cells(retention(projects["eat"], cohort_event="return_filed",
                           return_event="return_filed", mode="on_or_after")) == {
        W1: (1, [1, 0, 0, 0]), W2: (3, [3, 1, 1, 0])}


def test_months(stack, projects):
    # April's cohort holds only the range's days: A, F, C, D; F is back in May.
    assert retention(projects["eat"], period="month", periods=1) == [
        {"cohort": "2026-04-01", "cohort_size": 4, "period_offset": 0,
         "period_start": "2026-04-01", "returning": 4, "share": 1.0},
        {"cohort": "2026-04-01", "cohort_size": 4, "period_offset": 1,
         "period_start": "2026-05-01", "returning": 1, "share": 0.25},
    ]


def test_periods_that_have_not_begun_are_left_out(stack, projects):
    today = today_in("Africa/Nairobi").isoformat()
    rows = retention(projects["eat"], {"from": today, "to": today}, periods=12)
    assert [(r["period_offset"], r["cohort_size"], r["returning"]) for r in rows] == [(0, 0, 0)]


def test_parameters_are_named_when_wrong():
    base = {"project": "p", **RANGE}
    for bad, param in (({"period": "year"}, "period"), ({"periods": 0}, "periods"),
                       ({"mode": "after"}, "mode"), ({"cohort_event": "x" * 201}, "cohort_event"),
                       ({"from": "2024-01-01", "to": "2025-12-31", "period": "day"}, "period")):
        with pytest.raises(QueryParamError) as info:
            validate(QUERIES["retention"], {**base, **bad})
        assert info.value.param == param, bad
    validate(QUERIES["retention"], {**base, "from": "2024-01-01", "to": "2025-12-31",
                                    "period": "week"})
    assert len(cohort_starts(datetime(2024, 1, 1).date(), datetime(2025, 12, 31).date(),
                             "day")) > MAX_COHORTS


def test_cohort_starts():
    d = datetime.fromisoformat
    assert cohort_starts(d("2026-04-08").date(), d("2026-04-20").date(), "week") == [
        d(x).date() for x in ("2026-04-06", "2026-04-13", "2026-04-20")]
    assert cohort_starts(d("2026-11-15").date(), d("2027-01-01").date(), "month") == [
        d(x).date() for x in ("2026-11-01", "2026-12-01", "2027-01-01")]
    assert cohort_starts(d("2026-04-08").date(), d("2026-04-08").date(), "day") == [
        d("2026-04-08").date()]


# --- the page, the CLI and the API ------------------------------------------------------------
@pytest.fixture(scope="module")
def analyst(projects) -> str:
    users.add_user("retention-analyst", PASSWORD, role="analyst", projects=[projects["eat"]])
    return "retention-analyst"


def url_params(project: str, dates: dict[str, str] = RANGE) -> dict[str, Any]:
    return {"project": project, "range": "custom", "dates": [dates["from"], dates["to"]]}


def open_page(analyst: str, project: str, dates: dict[str, str] = RANGE):
    at = signed_in_app(analyst, url_params(project, dates))
    at.switch_page("app_pages/retention.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def page_table(at) -> list[dict]:
    return next(d.value for d in at.dataframe if "Cohort" in d.value.columns).to_dict("records")


def test_the_page_shows_the_cohorts(stack, projects, analyst):
    at = open_page(analyst, projects["eat"])
    assert [t.value for t in at.title] == ["Retention"]
    assert {m.label: m.value for m in at.metric} == {
        "People in cohorts": "4", "Returned the week after": "50.0 %", "Cohorts": "2"}
    at.number_input(key="retention_periods").set_value(3).run()
    assert page_table(at) == [
        {"Cohort": "Week of 6 Apr 2026", "People": 2, "Week 0": "2 (100.0 %)",
         "Week 1": "2 (100.0 %)", "Week 2": "1 (50.0 %)", "Week 3": "0 (0.0 %)"},
        {"Cohort": "Week of 13 Apr 2026", "People": 2, "Week 0": "2 (100.0 %)",
         "Week 1": "0 (0.0 %)", "Week 2": "1 (50.0 %)", "Week 3": "0 (0.0 %)"},
    ]
    assert len(at.get("vega_lite_chart")) == 2  # heatmap and curve
    assert sum(e.label == "SQL" for e in at.expander) == 3
    assert len(at.get("download_button")) == 3
    # A chosen cohort event changes the cohorts: first filings.
    at.selectbox(key="retention_cohort_event").set_value("return_filed").run()
    assert not at.exception
    assert [(r["Cohort"], r["People"], r["Week 1"]) for r in page_table(at)] == [
        ("Week of 6 Apr 2026", 1, "0 (0.0 %)"), ("Week of 13 Apr 2026", 3, "2 (66.7 %)")]


def test_the_page_says_why_it_is_empty(stack, projects, analyst):
    at = open_page(analyst, projects["eat"], {"from": "2025-01-01", "to": "2025-01-07"})
    assert any("no cohorts to follow" in i.value for i in at.info)
    assert not at.metric and not at.get("vega_lite_chart")


def test_page_cli_and_api_give_the_same_numbers(stack, projects, analyst, api):  # noqa: F811
    at = open_page(analyst, projects["eat"])
    at.number_input(key="retention_periods").set_value(3).run()
    at.selectbox(key="retention_return_event").set_value("return_filed").run()
    at.radio(key="retention_mode").set_value("on_or_after").run()
    assert not at.exception
    params = {"period": "week", "periods": "3", "cohort_event": "",
              "return_event": "return_filed", "mode": "on_or_after"}
    cli = subprocess.run(
        [sys.executable, "-m", "cli", "query", "retention", "--project", projects["eat"],
         "--from", RANGE["from"], "--to", RANGE["to"],
         *(arg for k, v in params.items() for arg in ("--param", f"{k}={v}"))],
        capture_output=True, text=True, env=stack.env, timeout=120, check=True)
    from_cli = json.loads(cli.stdout)
    token = tokens.create_token(projects["eat"], "retention")["token"]
    http = requests.get(f"{api}/api/v1/query/retention", params={**RANGE, **params},
                        headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert http.status_code == 200, http.text
    assert http.json()["rows"] == from_cli
    # W1 {A, F}: A filed at offset 1 (so counted at 0 and 1); W2 {C, D}: C filed at 0 and 2.
    assert cells(from_cli) == {W1: (2, [1, 1, 0, 0]), W2: (2, [1, 1, 1, 0])}
    shown = page_table(at)
    assert shown == retention_charts.table_frame(pd.DataFrame(from_cli), "week").to_dict(
        "records")
    assert {m.label: m.value for m in at.metric}["Returned the week after"] == "50.0 %"


def test_curve_weighs_people_not_cohorts():
    df = pd.DataFrame({
        "cohort": ["2026-04-06"] * 2 + ["2026-04-13"],
        "cohort_size": [10, 10, 2],
        "period_offset": [0, 1, 0],
        "returning": [10, 3, 2],
        "share": [1.0, 0.3, 1.0],
    })
    curve = retention_charts.curve_frame(df)
    assert curve.to_dict("records") == [
        {"period_offset": 0, "returning": 12, "people": 12, "cohorts": 2, "share": 1.0},
        {"period_offset": 1, "returning": 3, "people": 10, "cohorts": 1, "share": 0.3},
    ]
    # Timestamps or ISO strings, as the query or the CLI give them.
    assert retention_charts.cohort_label(pd.Timestamp("2026-04-06"), "week") == \
        "Week of 6 Apr 2026"
    assert retention_charts.cohort_label("2026-04-01", "month") == "Apr 2026"
    assert retention_charts.cohort_label("2026-04-13", "day") == "Mon 13 Apr 2026"
