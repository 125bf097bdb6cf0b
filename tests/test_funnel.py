"""The funnel engine on hand-computed journeys: every option, with exact expected counts.

One case factory: each case posts its journeys (web through the SDK endpoint, WhatsApp through
the CRM webhook) into a project of its own, lets the model worker store them, runs the named
query `funnel` and compares every row with what the case says by hand. `windowFunnel`
cross-checks the `ordered` counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from metadata.access import OPERATOR
from queries.runner import prepare, run
from tests.sessions_helpers import at, crm, old_project, post_crm, post_web, web
from tests.test_api import api  # noqa: F401 - the API program, started once for this module

DAY = {"from": "2026-11-20", "to": "2026-11-20"}
STEPS3 = "page_view,otp_success,return_filed"
HOUR = 60


def pv(minute: float, anon: str, path: str = "/nil-return", sid: str | None = "s1",
       second: float = 0, **kw: Any) -> dict:
    return web("page_view", at(minute, second), anon=anon, sid=sid, path=path, **kw)


def ev(name: str, minute: float, anon: str, sid: str | None = "s1", second: float = 0,
       **kw: Any) -> dict:
    return web(name, at(minute, second), anon=anon, sid=sid, **kw)


@dataclass
class Case:
    """Journeys, a funnel over them, and the answer worked out by hand: per step
    (breakdown value, step) → count."""

    name: str
    web: list[dict]
    params: dict[str, Any]
    counts: dict[tuple[str, int], int]
    chat: list[dict] = field(default_factory=list)
    later_web: list[dict] = field(default_factory=list)  # sent after the model has stored the rest

    def __repr__(self) -> str:
        return self.name


# Four people, one hour window, steps page_view → otp_success → return_filed:
#   A  pv, otp (+1 m), filed (+2 m)                      — all three, consecutive
#   B  pv, filed (+1 m)                                  — no otp
#   C  pv, otp (+1 m), filed (+60 m 1 s): outside the window from pv (inside from otp)
#   D  pv, filed (+1 m), otp (+2 m), filed (+3 m)        — filed before otp, then again
FOUR = [
    pv(0, "A"), ev("otp_success", 1, "A"), ev("return_filed", 2, "A"),
    pv(0, "B"), ev("return_filed", 1, "B"),
    pv(0, "C"), ev("otp_success", 1, "C"), ev("return_filed", 60, "C", second=1),
    pv(0, "D"), ev("return_filed", 1, "D"), ev("otp_success", 2, "D"), ev("return_filed", 3, "D"),
]
W1H = {"steps": STEPS3, "window": "1h"}


def counts(*per_step: int, value: str = "") -> dict[tuple[str, int], int]:
    return {(value, i): n for i, n in enumerate(per_step, 1)}


CASES = [
    Case("ordered", FOUR, W1H, counts(4, 3, 2)),
    # strict: D's filed between pv and otp breaks it; A is consecutive; C reaches otp
    Case("strict", FOUR, {**W1H, "order": "strict"}, counts(4, 2, 1)),
    # any: B did two of the steps; C two within an hour (otp, filed) ; A and D all three
    Case("any", FOUR, {**W1H, "order": "any"}, counts(4, 4, 2)),
    # window edges: otp 1 s inside the hour, 1 s outside, exactly at it (inside)
    Case("window edges", [
        pv(0, "E"), ev("otp_success", 59, "E", second=59),
        pv(0, "F"), ev("otp_success", 60, "F", second=1),
        pv(0, "G"), ev("otp_success", 60, "G"),
    ], {"steps": "page_view,otp_success", "window": "1h"}, counts(3, 2)),
    # exclusion between steps 1 and 2: H errs before otp (stops at 1), I after it (goes on)
    Case("exclusion", [
        pv(0, "H"), ev("app_error", 1, "H"), ev("otp_success", 2, "H"), ev("return_filed", 3, "H"),
        pv(0, "I"), ev("otp_success", 1, "I"), ev("app_error", 2, "I"), ev("return_filed", 3, "I"),
    ], {**W1H, "exclusion": json.dumps({"step": {"event": "app_error"}, "from": 1, "to": 2})},
        counts(2, 1, 1)),
    # person vs session: J views in one session and files in the next (35 min later)
    Case("person", [pv(0, "J", sid="s1"), ev("return_filed", 35, "J", sid="s2")],
         {"steps": "page_view,return_filed"}, counts(1, 1)),
    Case("session", [pv(0, "J", sid="s1"), ev("return_filed", 35, "J", sid="s2")],
         {"steps": "page_view,return_filed", "count_by": "session"}, counts(1, 0)),
    # step filters: a column (page_path) and a property (obligation)
    Case("filters", [
        pv(0, "K", path="/nil-return"),
        ev("return_filed", 5, "K", properties={"obligation": "NIL"}),
        pv(0, "L", path="/tot-return"),
        ev("return_filed", 5, "L", properties={"obligation": "TOT"}),
        pv(0, "M", path="/nil-return"),
        ev("return_filed", 5, "M", properties={"obligation": "TOT"}),
    ], {"steps": json.dumps([
        {"event": "page_view", "filters": [{"key": "page_path", "op": "contains",
                                            "value": "return"}]},
        {"event": "return_filed", "filters": [{"key": "obligation", "value": "NIL"}]}])},
        counts(3, 1)),
    # breakdown by a property of step 1
    Case("breakdown", [
        ev("validation_success", 0, "N", properties={"obligation_type": "NIL"}),
        ev("return_filed", 5, "N"),
        ev("validation_success", 0, "O", properties={"obligation_type": "NIL"}),
        ev("validation_success", 0, "P", properties={"obligation_type": "TOT"}),
        ev("return_filed", 5, "P"),
    ], {"steps": "validation_success,return_filed", "breakdown": "prop:obligation_type"},
        {**counts(2, 1, value="NIL"), **counts(1, 1, value="TOT")}),
]


def funnel_rows(project_id: str, params: dict[str, Any]) -> list[dict]:
    df = run("funnel", {"project": project_id, **DAY, **params}, OPERATOR)
    return df.to_dict("records")


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_funnel_counts(stack, case: Case):
    p = old_project(stack)
    post_web(stack, p, case.web)
    if case.chat:
        post_crm(stack, p, case.chat)
    stack.drain()
    rows = funnel_rows(p["project_id"], case.params)
    got = {(r.get("breakdown", ""), r["step"]): r["count"] for r in rows}
    assert got == case.counts


def test_every_column_of_an_ordered_funnel(stack):
    p = old_project(stack)
    post_web(stack, p, FOUR)
    stack.drain()
    rows = [(r["step"], r["event"], r["count"], round(r["pct_of_first"], 4),
             round(r["pct_of_previous"], 4), r["dropped"], r["median_s"], r["mean_s"])
            for r in funnel_rows(p["project_id"], W1H)]
    # step 2: A 60 s, C 60 s, D 120 s; step 3: A 60 s, D 60 s (from otp)
    assert rows[0][:6] == (1, "page_view", 4, 1.0, 1.0, 0)
    assert rows[1:] == [(2, "otp_success", 3, 0.75, 0.75, 1, 60.0, 80.0),
                        (3, "return_filed", 2, 0.5, 0.6667, 1, 60.0, 60.0)]


WINDOW_FUNNEL = """
SELECT level, count() AS units FROM (
    SELECT person_id, windowFunnel({window_s:UInt64})(
        toDateTime(timestamp), event_name = 'page_view', event_name = 'otp_success',
        event_name = 'return_filed') AS level
    FROM stored_by_name(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                        end = {read_end:DateTime64(3, 'UTC')}, names = {names:Array(String)})
    GROUP BY person_id)
GROUP BY level ORDER BY level
"""


def test_ordered_counts_agree_with_window_funnel(stack):
    p = old_project(stack)
    post_web(stack, p, FOUR)
    stack.drain()
    prepared = prepare("funnel", {"project": p["project_id"], **DAY, **W1H}, OPERATOR)
    bound = {**prepared.bound, "window_s": 3600}
    levels = dict(stack.ch().query(WINDOW_FUNNEL, parameters=bound).result_rows)
    reached = [sum(n for level, n in levels.items() if level >= k) for k in (1, 2, 3)]
    assert reached == [r["count"] for r in funnel_rows(p["project_id"], W1H)] == [4, 3, 2]


# --- cross-channel identity ------------------------------------------------------------------
PHONE = "254700000301"


def test_a_person_merged_across_channels_after_the_fact(stack):
    """WhatsApp → web → filed by one taxpayer: two people until the browser tells who it is
    (identify with the phone, sent afterwards), then one person through all three steps."""
    p = old_project(stack)
    steps = {"steps": "message.received,page_view,return_filed"}
    post_crm(stack, p, [crm("message.received", at(0), PHONE, message_id="x1")])
    post_web(stack, p, [pv(5, "Q"), ev("return_filed", 10, "Q")])
    stack.drain()
    assert [r["count"] for r in funnel_rows(p["project_id"], steps)] == [1, 0, 0]
    post_web(stack, p, [web("identify", at(12), anon="Q", sid="s1",
                            traits={"phone": "0" + PHONE[3:]})])
    stack.drain()
    assert [r["count"] for r in funnel_rows(p["project_id"], steps)] == [1, 1, 1]
    by_session = funnel_rows(p["project_id"], {**steps, "count_by": "session"})
    assert [r["count"] for r in by_session] == [1, 0, 0]  # a conversation is WhatsApp only


def test_a_pin_conflict_keeps_two_people_apart(stack):
    """A shared browser signs in with two PINs: refused as one person (the second PIN is
    another person), so the second PIN's filing does not complete the first one's funnel."""
    p = old_project(stack)
    post_web(stack, p, [
        pv(0, "R"), web("identify", at(1), anon="R", sid="s1", user_id="A000000011X"),
        web("identify", at(2), anon="R", sid="s1", user_id="A000000012X"),
        web("return_filed", at(3), anon="R", sid="s1", user_id="A000000012X"),
    ])
    stack.drain()
    rows = funnel_rows(p["project_id"], {"steps": "page_view,return_filed"})
    assert [r["count"] for r in rows] == [1, 0]


# --- drill-down ------------------------------------------------------------------------------
def test_who_dropped_and_what_they_did_next(stack):
    """Of FOUR (+ S, who errs and asks on WhatsApp), who dropped before otp_success and what
    they did after the last step they reached, within the hour."""
    p = old_project(stack)
    post_web(stack, p, [*FOUR, pv(0, "S"), ev("app_error", 2, "S"), pv(3, "S", path="/help"),
                        web("identify", at(4), anon="S", sid="s1",
                            traits={"phone": "0" + PHONE[3:]})])
    post_crm(stack, p, [crm("message.received", at(20), PHONE, message_id="s1"),
                        crm("message.received", at(90), PHONE, message_id="s2")])  # too late
    stack.drain()
    pid = p["project_id"]
    drill = {"project": pid, **DAY, **W1H, "step": 2}
    dropped = run("funnel_dropped", drill, OPERATOR).to_dict("records")
    # B (filed but never otp) and S; A, C, D reached otp
    assert len(dropped) == 2
    assert {r["last_step"] for r in dropped} == {"page_view"}
    nxt = [(r["event"], r["units"], r["events"], r["first_for"])
           for r in run("funnel_next", drill, OPERATOR).to_dict("records")]
    assert nxt == [("app_error", 1, 1, 1), ("identify", 1, 1, 0),
                   ("message.received", 1, 1, 0), ("page_view /help", 1, 1, 0),
                   ("return_filed", 1, 1, 1)]


# --- the journeys' presets -------------------------------------------------------------------
def test_a_journey_preset_is_its_steps_then_its_completion(stack):
    p = old_project(stack)
    post_web(stack, p, [
        pv(0, "T", path="/nil-return"), ev("validation_success", 1, "T"),
        ev("otp_success", 2, "T"), pv(3, "T", path="/nil-return/details"),
        pv(4, "T", path="/nil-return/confirm"),
        ev("return_filed", 5, "T", properties={"obligation": "NIL"}),
        pv(0, "U", path="/nil-return"), ev("validation_success", 1, "U"),
    ])
    stack.drain()
    rows = funnel_rows(p["project_id"], {"journey": "nil"})
    assert [(r["event"], r["count"]) for r in rows] == [
        ("Opened the NIL return", 2), ("Logged in (PIN validated)", 2), ("Verified the OTP", 1),
        ("Return details", 1), ("Confirm", 1), ("Filed the NIL return", 1)]


def test_event_names_are_data(stack):
    """Quotes, backslashes, braces, semicolons and SQL keywords in names and values are data."""
    p = old_project(stack)
    odd = "it's {x:String}; DROP TABLE events -- \\"
    post_web(stack, p, [ev(odd, 0, "V"), ev("return_filed", 1, "V", properties={"k": odd})])
    stack.drain()
    steps = json.dumps([{"event": odd}, {"event": "return_filed",
                                         "filters": [{"key": "k", "value": odd}]}])
    assert [r["count"] for r in funnel_rows(p["project_id"], {"steps": steps})] == [1, 1]


# --- page = njia query = API -----------------------------------------------------------------
def test_the_page_the_cli_and_the_api_agree(stack, api):  # noqa: F811
    import subprocess
    import sys

    import requests

    from metadata import tokens, users
    from tests.test_workbench_auth import PASSWORD, signed_in_app

    p = old_project(stack)
    post_web(stack, p, FOUR)
    stack.drain()
    pid = p["project_id"]
    cli = subprocess.run(
        [sys.executable, "-m", "cli", "query", "funnel", "--project", pid, "--from", DAY["from"],
         "--to", DAY["to"], "--steps", STEPS3, "--window", "1h", "--order", "strict",
         "--count-by", "person"],
        capture_output=True, text=True, env=stack.env, timeout=120)
    assert cli.returncode == 0, cli.stderr
    from_cli = json.loads(cli.stdout)
    assert [r["count"] for r in from_cli] == [4, 2, 1]

    token = tokens.create_token(pid, "funnel")["token"]
    http = requests.get(f"{api}/api/v1/query/funnel", timeout=60, headers={
        "Authorization": f"Bearer {token}"}, params={**DAY, "steps": STEPS3, "window": "1h",
                                                     "order": "strict"})
    assert http.status_code == 200, http.text
    assert http.json()["rows"] == from_cli

    users.add_user("funnel-analyst", PASSWORD, role="analyst", projects=[pid])
    funnel = json.dumps({"steps": [{"event": s} for s in STEPS3.split(",")], "window": 3600,
                         "order": "strict", "count_by": "person"})
    at = signed_in_app("funnel-analyst", {"project": pid, "range": "custom",
                                          "dates": [DAY["from"], DAY["to"]], "funnel": funnel})
    at.switch_page("app_pages/funnels.py").run(timeout=60)
    assert not at.exception, [e.message for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    assert shown["Entered (people)"] == "4" and shown["Completed"] == "1"
    table = next(d.value for d in at.dataframe if "pct_of_first" in d.value.columns)
    assert list(table["count"]) == [r["count"] for r in from_cli]
    assert list(table["dropped"]) == [r["dropped"] for r in from_cli]


# --- the demo's ground truth -----------------------------------------------------------------
def test_the_demos_cross_channel_funnel_is_what_the_generator_created(stack):
    """WhatsApp message → the NIL return page → filed, on a demo: exactly the people the
    generator knows did it (demo/truth.py), each once."""
    import uuid
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from demo import generate, load_demo
    from demo.truth import WHATSAPP_TO_NIL_FILED, funnel_counts
    from queries.timerange import DateRange

    project = f"demo{uuid.uuid4().hex[:8]}"
    summary = load_demo(stack.collector_url, project, 7, 400, 11, progress=False)
    stack.drain(timeout=120)
    now_ms = int(datetime.fromisoformat(summary["to"].replace("Z", "+00:00")).timestamp() * 1000)
    dataset = generate(7, 400, 11, now_ms=now_ms)
    tz = "Africa/Nairobi"

    def day(ms: int):  # noqa: ANN202
        return datetime.fromtimestamp(ms / 1000, UTC).astimezone(ZoneInfo(tz)).date()

    rng = DateRange(day(dataset.start_ms), day(now_ms), tz)
    truth = funnel_counts(dataset, WHATSAPP_TO_NIL_FILED, int(rng.start.timestamp() * 1000),
                          int(rng.end.timestamp() * 1000))
    steps = json.dumps([
        {"event": "message.received", "filters": [{"key": "channel", "value": "whatsapp"}]},
        {"event": "page_view", "filters": [{"key": "page_path", "value": "/nil-return"}]},
        {"event": "return_filed"}])
    rows = run("funnel", {"project": project, "from": str(rng.date_from),
                          "to": str(rng.date_to), "steps": steps, "window": "1d"}, OPERATOR)
    assert truth[2] > 0, "the demo must hold people who did the whole journey"
    assert list(rows["count"]) == truth


# --- saved funnels -----------------------------------------------------------------------------
def test_saved_funnels_are_per_project_named_owned_and_open_by_link(stack):
    from metadata import funnels, users
    from metadata.access import AccessDenied, Principal
    from metadata.projects import ProjectError
    from tests.test_workbench_auth import PASSWORD, signed_in_app

    p = old_project(stack)
    pid = p["project_id"]
    post_web(stack, p, FOUR)
    stack.drain()
    users.add_user("saver-1", PASSWORD, role="analyst", projects=[pid])
    users.add_user("saver-2", PASSWORD, role="analyst", projects=[pid])
    users.add_user("outsider", PASSWORD, role="analyst", projects=[])
    one, two, out = (Principal("user", n) for n in ("saver-1", "saver-2", "outsider"))
    definition = {"steps": [{"event": "page_view"}, {"event": "otp_success"}], "window": 3600,
                  "order": "ordered", "count_by": "person", "breakdown": "", "exclusion": None}
    saved = funnels.save_funnel(one, pid, "Login funnel", definition)
    assert (saved.owner, saved.name) == ("saver-1", "Login funnel")
    assert [f.name for f in funnels.list_funnels(two, pid)] == ["Login funnel"]
    with pytest.raises(ProjectError, match="saver-1's funnel"):
        funnels.save_funnel(two, pid, "Login funnel", definition)  # not theirs to replace
    assert not funnels.delete_funnel(two, pid, saved.id)
    with pytest.raises(AccessDenied):
        funnels.list_funnels(out, pid)
    # Its link opens it for anyone who may read the project: 4 entered, 3 reached the OTP.
    at = signed_in_app("saver-2", {"project": pid, "range": "custom",
                                   "dates": [DAY["from"], DAY["to"]], "saved": str(saved.id)})
    at.switch_page("app_pages/funnels.py").run(timeout=60)
    assert not at.exception, [e.message for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    assert (shown["Entered (people)"], shown["Completed"]) == ("4", "3")
    assert funnels.delete_funnel(one, pid, saved.id)
    assert funnels.list_funnels(one, pid) == []
