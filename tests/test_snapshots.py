"""Snapshots (docs "Snapshots"): the schedule on fixed clocks, and through the real stack on
hand-built journeys — every finished period snapshotted from its own events, re-running
replaces, growth vs the previous period exact, and late events and identity merges recompute
the day, week and month they touch, so every stored snapshot equals the live number of its
period.

One project for the module; the tests after `test_first_pass…` build on each other in file
order (a late event, then a merge, then an identity change), each stating the numbers by hand.
The clock of the snapshot code is fixed at NOW (Tuesday 1 December 2026, 05:00 EAT), so which
periods are over does not depend on the day the tests run.
"""

from __future__ import annotations

import configparser
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from contract.identifiers import person_id_for
from metadata.access import OPERATOR
from metadata.projects import require_project
from queries.definitions import definition
from queries.runner import run
from queries.snapshots.periods import Period, period_of
from snapshots import store
from snapshots.pending import PassState, pending_pass, settled_after
from snapshots.schedule import JOBS, TRAILING_DAYS, last_run, next_run, next_run_of
from snapshots.worker import due, run_due
from tests.sessions_helpers import crm, old_project, post_crm, post_web, web

EAT = ZoneInfo("Africa/Nairobi")
NOW = datetime(2026, 12, 1, 5, 0, tzinfo=EAT)
ROOT = Path(__file__).resolve().parents[1]


def eat(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Nairobi as the naive UTC instant the helpers post."""
    return datetime(2026, month, day, hour, minute, tzinfo=EAT).astimezone(
        ZoneInfo("UTC")).replace(tzinfo=None)


def d(month: int, day: int) -> date:
    return date(2026, month, day)


# --- the schedule: a pure function of the clock ---------------------------------------------
def at_eat(*args: int) -> datetime:
    return datetime(*args, tzinfo=EAT)


JOB = {job.type: job for job in JOBS}


@pytest.mark.parametrize(("now", "expected", "job"), [
    # Friday 20 November: only the daily job
    (at_eat(2026, 11, 20, 1, 59), at_eat(2026, 11, 20, 2, 0), "daily"),
    (at_eat(2026, 11, 20, 2, 0), at_eat(2026, 11, 21, 2, 0), "daily"),  # strictly after
    # Sunday night → Monday 02:00 daily, then 03:00 weekly, then Tuesday 02:00
    (at_eat(2026, 11, 22, 23, 0), at_eat(2026, 11, 23, 2, 0), "daily"),
    (at_eat(2026, 11, 23, 2, 0), at_eat(2026, 11, 23, 3, 0), "weekly"),
    (at_eat(2026, 11, 23, 3, 0), at_eat(2026, 11, 24, 2, 0), "daily"),
    # Tuesday 1 December: daily 02:00, then the monthly 04:00 (not a Monday)
    (at_eat(2026, 12, 1, 2, 30), at_eat(2026, 12, 1, 4, 0), "monthly"),
    # Monday 1 June 2026: all three, one after another
    (at_eat(2026, 6, 1, 1, 0), at_eat(2026, 6, 1, 2, 0), "daily"),
    (at_eat(2026, 6, 1, 2, 0), at_eat(2026, 6, 1, 3, 0), "weekly"),
    (at_eat(2026, 6, 1, 3, 0), at_eat(2026, 6, 1, 4, 0), "monthly"),
    (at_eat(2026, 6, 1, 4, 0), at_eat(2026, 6, 2, 2, 0), "daily"),
    # A UTC clock: 23:30 UTC on 31 May is 02:30 EAT on 1 June
    (datetime(2026, 5, 31, 23, 30, tzinfo=ZoneInfo("UTC")), at_eat(2026, 6, 1, 3, 0), "weekly"),
])
def test_next_run_follows_the_seeds_schedule_in_eat(now, expected, job):
    at, which = next_run(now, "Africa/Nairobi")
    assert (at, which.type) == (expected, job)


def test_each_job_runs_at_its_own_time_and_computes_the_period_before():
    now = at_eat(2026, 12, 1, 5, 0)
    assert next_run_of(JOB["weekly"], now, "Africa/Nairobi") == at_eat(2026, 12, 7, 3, 0)
    assert next_run_of(JOB["monthly"], now, "Africa/Nairobi") == at_eat(2027, 1, 1, 4, 0)
    assert [j.cron for j in JOBS] == ["0 2 * * *", "0 3 * * 1", "0 4 1 * *"]  # the seeds'
    daily = last_run(JOB["daily"], now, "Africa/Nairobi")
    assert daily == at_eat(2026, 12, 1, 2, 0)
    days = JOB["daily"].periods(daily, "Africa/Nairobi")
    assert days[0] == Period("daily", d(11, 30))  # yesterday first
    assert [p.start for p in days] == [d(11, 30) - timedelta(days=i)
                                       for i in range(TRAILING_DAYS + 1)]
    weekly = last_run(JOB["weekly"], now, "Africa/Nairobi")
    assert weekly == at_eat(2026, 11, 30, 3, 0)
    assert JOB["weekly"].periods(weekly, "Africa/Nairobi") == [Period("weekly", d(11, 23))]
    monthly = last_run(JOB["monthly"], now, "Africa/Nairobi")
    assert monthly == at_eat(2026, 12, 1, 4, 0)
    assert JOB["monthly"].periods(monthly, "Africa/Nairobi") == [Period("monthly", d(11, 1))]
    # Another zone: the same local hours there.
    assert next_run(datetime(2026, 12, 1, 0, 30, tzinfo=ZoneInfo("UTC")), "Europe/London") == (
        datetime(2026, 12, 1, 2, 0, tzinfo=ZoneInfo("Europe/London")), JOB["daily"])


def test_periods_are_days_monday_weeks_and_months():
    assert period_of("weekly", d(11, 22)) == Period("weekly", d(11, 16))  # a Sunday
    assert Period("weekly", d(11, 16)).end == d(11, 22)
    assert Period("monthly", d(2, 1)).end == d(2, 28)
    assert Period("monthly", d(1, 1)).previous() == Period("monthly", date(2025, 12, 1))
    rng = Period("daily", d(11, 20)).date_range("Africa/Nairobi")
    assert (rng.start, rng.end) == (at_eat(2026, 11, 20, 0, 0), at_eat(2026, 11, 21, 0, 0))
    assert Period("monthly", d(11, 1)).complete(at_eat(2026, 12, 1, 0, 0), "Africa/Nairobi")
    assert not Period("monthly", d(11, 1)).complete(at_eat(2026, 11, 30, 23, 59),
                                                    "Africa/Nairobi")
    with pytest.raises(ValueError, match="does not begin"):
        Period("weekly", d(11, 18))


def test_a_pass_moves_past_the_newest_recompute_only_once_it_has_finished():
    seen = datetime(2026, 12, 1, 5, 0)
    # First sight of version 10: read from it again next time (it may still be writing).
    assert settled_after(PassState(after_version=3), 10, 40, None) == 9
    # Seen last time with as many rows, or the model worker wrote progress since: done.
    state = PassState(after_version=9, seen_version=10, seen_rows=40, seen_at=seen)
    assert settled_after(state, 10, 40, seen - timedelta(seconds=5)) == 10
    assert settled_after(state, 10, 55, seen + timedelta(seconds=1)) == 10
    # Rows still being written, no progress since: not yet.
    assert settled_after(state, 10, 55, seen - timedelta(seconds=5)) == 9
    # A newer version exists: every older one had finished.
    assert settled_after(state, 12, 7, None) == 11
    # Nothing new.
    assert settled_after(state, 0, 0, None) == 9


def test_supervisord_runs_the_scheduler_under_njia_run():
    conf = configparser.RawConfigParser()
    conf.read(ROOT / "supervisord.conf")
    assert conf.get("program:snapshots", "command").endswith("njia serve snapshots")
    assert '"snapshots"' in (ROOT / "stack" / "run.py").read_text()


# --- through the stack ------------------------------------------------------------------------
def page(anon: str, sid: str, ts: datetime, **kw) -> dict:
    return web("page_view", ts, anon=anon, sid=sid, path="/nil-return", **kw)


BASE_WEB = [
    # October: three people, one session each
    page("o1", "so1", eat(10, 15, 10)), page("o2", "so2", eat(10, 15, 11)),
    page("o3", "so3", eat(10, 15, 12)),
    # Wednesday 11 November
    page("n1", "sn1", eat(11, 11, 10)), page("n1", "sn1", eat(11, 11, 10, 5)),
    # Friday 20 November: three web people…
    page("c1", "c1s", eat(11, 20, 10)), page("c2", "c2s", eat(11, 20, 11)),
    page("c3", "c3s", eat(11, 20, 12)),
    # …Saturday 21 November: c1 again, and x1
    page("c1", "c1t", eat(11, 21, 10)), page("x1", "x1s", eat(11, 21, 11)),
]
P1, P2 = "254700000101", "254700000102"
BASE_CHAT = [
    # …and two WhatsApp conversations on the 20th
    crm("message.received", eat(11, 20, 14), phone=P1, message_id="m1"),
    crm("message.sent", eat(11, 20, 14, 1), phone=P1, message_id="m2"),
    crm("message.received", eat(11, 20, 15), phone=P2, message_id="m3"),
]


@pytest.fixture(scope="module")
def world(stack):
    project = old_project(stack)
    post_web(stack, project, BASE_WEB)
    post_crm(stack, project, BASE_CHAT)
    stack.drain()
    return {"stack": stack, "id": project["project_id"], "keys": project,
            "project": require_project(project["project_id"]), "client": stack.ch()}


def settle(world) -> list:
    """Pending passes until one recomputes nothing (the newest recompute is re-read once)."""
    results = []
    for _ in range(4):
        result = pending_pass(world["client"], world["project"], now=NOW)
        assert not result.waiting, result.waiting
        results.append(result)
        if not result.periods:
            return results
    raise AssertionError("the pending pass does not settle")


def recomputed(results: list) -> set[Period]:
    return {p for r in results for p in r.periods}


def stored(world, snapshot_type: str, start: date) -> store.Snapshot:
    found = store.read(world["client"], world["id"], snapshot_type, start)
    assert len(found) == 1, (snapshot_type, start, found)
    return found[0]


def value(world, snapshot_type: str, start: date, metric: str) -> float | None:
    return stored(world, snapshot_type, start).metrics[metric]


def counts(world, snapshot_type: str, start: date) -> tuple:
    m = stored(world, snapshot_type, start).metrics
    return m["overview.sessions"], m["overview.people"]


def assert_every_snapshot_is_live(world, only: list[Period] | None = None) -> int:
    """Each stored snapshot (of `only`'s periods) equals the KPI queries run now over its
    period."""
    snaps = [s for s in store.read(world["client"], world["id"])
             if only is None or s.period in only]
    with ThreadPoolExecutor(3) as pool:
        lives = list(pool.map(lambda s: store.compute(world["project"], s.period), snaps))
    for snap, (live, sources) in zip(snaps, lives, strict=True):
        assert snap.metrics == live, snap.period
        assert snap.sources == sources
    return len(snaps)


def test_first_pass_snapshots_every_finished_period_from_its_own_events(world):
    passes = settle(world)
    # The second pass reads the newest recompute again, finds it unchanged (it had finished
    # when the first read it) and redoes nothing.
    assert len(passes) == 2 and passes[1].days == []
    assert recomputed(passes) == {
        Period("daily", d(10, 15)), Period("daily", d(11, 11)), Period("daily", d(11, 20)),
        Period("daily", d(11, 21)), Period("weekly", d(10, 12)), Period("weekly", d(11, 9)),
        Period("weekly", d(11, 16)), Period("monthly", d(10, 1)), Period("monthly", d(11, 1))}
    assert counts(world, "daily", d(10, 15)) == (3, 3)
    assert counts(world, "daily", d(11, 20)) == (5, 5)  # 3 web sessions + 2 conversations
    assert counts(world, "daily", d(11, 21)) == (2, 2)
    # A week's and a month's people are their own distinct people, not sums of days: c1 came
    # on the 20th and the 21st (7 sessions, 6 people; the days' people add up to 7).
    assert counts(world, "weekly", d(11, 16)) == (7, 6)
    assert counts(world, "monthly", d(11, 1)) == (8, 7)
    assert value(world, "daily", d(11, 20), "overview_web.sessions") == 3
    assert value(world, "daily", d(11, 20), "overview_whatsapp.sessions") == 2
    snap = stored(world, "weekly", d(11, 16))
    assert (snap.timezone, snap.account, snap.trigger) == ("Africa/Nairobi", "", "pending")
    assert "overview" in snap.sources
    assert assert_every_snapshot_is_live(world) == 9


def test_rerunning_a_day_replaces_it(world):
    client, project = world["client"], world["project"]
    period = Period("daily", d(11, 20))
    before = stored(world, "daily", d(11, 20))
    for _ in range(2):
        store.take(client, project, period, "cli", now=NOW)
    again = stored(world, "daily", d(11, 20))
    assert again.metrics == before.metrics and again.computed_at > before.computed_at
    assert again.trigger == "cli"
    assert int(client.command(
        "SELECT count() FROM snapshots FINAL WHERE project_id = {p:String} "
        "AND snapshot_type = 'daily' AND period_start = '2026-11-20'",
        parameters={"p": world["id"]})) == 1
    trend = run("snapshot_trends", {"project": world["id"], "from": "2026-11-20",
                                    "to": "2026-11-20"}, OPERATOR)
    assert len(trend) == len(before.metrics) == trend["metric"].nunique()


def trend(world, snapshot_type: str, start: str, end: str, metrics: str):
    df = run("snapshot_trends", {"project": world["id"], "from": start, "to": end,
                                 "snapshot_type": snapshot_type, "metrics": metrics}, OPERATOR)
    return {(str(r.period_start)[:10], r.metric): r for r in df.itertuples()}


def test_growth_vs_the_previous_period_is_exact(world):
    days = trend(world, "daily", "2026-11-20", "2026-11-21", "overview.sessions,overview.people")
    assert set(days) == {("2026-11-20", "overview.sessions"), ("2026-11-20", "overview.people"),
                         ("2026-11-21", "overview.sessions"), ("2026-11-21", "overview.people")}
    sat = days[("2026-11-21", "overview.sessions")]
    assert (sat.value, sat.previous, sat.change) == (2, 5, -3)
    assert sat.change_ratio == (2 - 5) / 5
    # No snapshot of the 19th: no previous, no growth (never the row before).
    fri = days[("2026-11-20", "overview.sessions")]
    assert fri.value == 5 and pd.isna(fri.previous) and pd.isna(fri.change_ratio)
    months = trend(world, "monthly", "2026-11-05", "2026-11-30", "overview.sessions")
    nov = months[("2026-11-01", "overview.sessions")]  # the month holding `from`
    assert (nov.value, nov.previous, nov.change) == (8, 3, 5)
    assert nov.change_ratio == (8 - 3) / 3
    empty = run("snapshot_trends", {"project": world["id"], "from": "2026-01-01",
                                    "to": "2026-01-31"}, OPERATOR)
    assert empty.empty and {"period_start", "metric", "value", "previous", "change",
                            "change_ratio"} <= set(empty.columns)
    weeks = trend(world, "weekly", "2026-11-16", "2026-11-22", "overview.people")
    week = weeks[("2026-11-16", "overview.people")]
    assert (week.value, week.previous, week.change_ratio) == (6, 1, 5.0)



def _trends_page(project: str) -> None:
    from datetime import date

    from workbench import snapshot_trends

    snapshot_trends.render(project, ["overview.sessions", "people", "overview_whatsapp.sessions"],
                           "monthly", date_from=date(2026, 11, 1), date_to=date(2026, 11, 30),
                           key="trends")


def test_the_trend_component_shows_each_metric_with_its_growth(world, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from workbench import reads

    # The page's reads as the operator (the sign-in is the workbench's own tests' business).
    monkeypatch.setattr(reads, "load", lambda name, params, live=False: run(name, params,
                                                                             OPERATOR))
    at = AppTest.from_function(_trends_page, args=(world["id"],), default_timeout=60).run()
    assert not at.exception
    shown = {m.label: (m.value, m.delta) for m in at.metric}
    sessions, people = (definition("overview", m).label for m in ("sessions", "people"))
    # November vs October: 8 sessions vs 3, 7 people vs 3; 2 conversations vs none.
    assert shown == {sessions: ("8", "+166.7 %"), people: ("7", "+133.3 %"),
                     f"{sessions} (whatsapp)": ("2", "")}
    assert len(at.get("vega_lite_chart")) == 3
    assert [e.label for e in at.expander] == ["SQL"]

def test_njia_snapshot_computes_a_period_on_demand(world, capsys):
    from cli.main import main

    assert main(["snapshot", "--type", "weekly", "--date", "2026-11-18",
                 "--project", world["id"]]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out) == 1
    snap = out[0]
    assert (snap["snapshot_type"], snap["period_start"], snap["period_end"]) == (
        "weekly", "2026-11-16", "2026-11-22")
    assert snap["start"] == "2026-11-15T21:00:00+00:00"  # Monday 00:00 EAT
    assert (snap["metrics"]["overview.sessions"], snap["metrics"]["overview.people"]) == (7, 6)
    assert snap["trigger"] == "cli"
    assert stored(world, "weekly", d(11, 16)).metrics == snap["metrics"]
    today = datetime.now(EAT).date().isoformat()
    assert main(["snapshot", "--type", "daily", "--date", today, "--project", world["id"]]) == 2
    assert "not over yet" in capsys.readouterr().err
    assert main(["snapshot", "--type", "daily"]) == 2
    assert main(["snapshot", "--pending", "--project", world["id"]]) == 0
    assert json.loads(capsys.readouterr().out)[0]["project_id"] == world["id"]


def test_a_late_event_20_days_old_updates_its_day_week_and_month(world):
    stack = world["stack"]
    settle(world)  # nothing pending before the late event
    untouched = stored(world, "daily", d(11, 20)).computed_at
    # Arrives now; happened on Wednesday 11 November, 14:00 (20 days before NOW's day).
    post_web(stack, world["keys"], [page("late1", "sl1", eat(11, 11, 14))])
    stack.drain()
    assert recomputed(settle(world)) == {Period("daily", d(11, 11)), Period("weekly", d(11, 9)),
                                         Period("monthly", d(11, 1))}
    assert counts(world, "daily", d(11, 11)) == (2, 2)
    assert counts(world, "weekly", d(11, 9)) == (2, 2)
    assert counts(world, "monthly", d(11, 1)) == (9, 8)
    assert stored(world, "daily", d(11, 20)).computed_at == untouched
    assert_every_snapshot_is_live(world)


def test_an_identity_merge_updates_the_periods_of_the_merged_people(world):
    stack = world["stack"]
    settle(world)
    # On 25 November a browser (zz) signs in with both WhatsApp numbers: P1 and P2 become one
    # person. Their conversations of the 20th are not touched by these events; the model
    # recomputes them because their person changed.
    post_web(stack, world["keys"], [
        page("zz", "zz1", eat(11, 25, 10), traits={"phone": "+" + P1}),
        page("zz", "zz1", eat(11, 25, 10, 2), traits={"phone": "+" + P2}),
    ])
    stack.drain()
    assert recomputed(settle(world)) == {
        Period("daily", d(11, 20)), Period("weekly", d(11, 16)), Period("daily", d(11, 25)),
        Period("weekly", d(11, 23)), Period("monthly", d(11, 1))}
    assert counts(world, "daily", d(11, 20)) == (5, 4)  # P1 and P2 are one person now
    assert counts(world, "weekly", d(11, 16)) == (7, 5)
    assert counts(world, "daily", d(11, 25)) == (1, 1)
    assert counts(world, "weekly", d(11, 23)) == (1, 1)
    # n1, late1, c1, c2, c3, x1 and the one person of zz, P1 and P2
    assert counts(world, "monthly", d(11, 1)) == (10, 7)
    assert_every_snapshot_is_live(world)


def test_a_new_identifier_of_a_person_recomputes_their_periods(world):
    """person_map changes that recompute no chain (x1 gains an email and keeps their person
    id) still change "identified people" of x1's days: the pass follows person_map too."""
    client = world["client"]
    settle(world)
    assert value(world, "daily", d(11, 21), "overview.identified_people") == 0
    client.insert("person_map", [[world["id"], "email:x1@example.com",
                                  person_id_for("anon:x1"), 2**62]],
                  column_names=["project_id", "identifier", "person_id", "version"])
    touched = {Period("daily", d(11, 21)), Period("weekly", d(11, 16)),
               Period("monthly", d(11, 1))}
    assert recomputed(settle(world)) == touched
    assert value(world, "daily", d(11, 21), "overview.identified_people") == 1
    assert_every_snapshot_is_live(world, sorted(touched))



def test_a_late_contact_updates_the_total_of_every_later_period(world):
    """Total contacts count `contact.created` from the beginning to the period's end: a late
    one changes every stored period that ends on or after its day, not only its own."""
    stack = world["stack"]
    settle(world)
    before = {s.period: s for s in store.read(world["client"], world["id"])}
    assert before[Period("monthly", d(11, 1))].metrics["whatsapp.total_contacts"] == 0
    post_crm(stack, world["keys"], [crm("contact.created", eat(11, 5, 9), phone="254700000199")])
    stack.drain()
    expected = {p for p in before if p.end >= d(11, 5)} | {
        Period("daily", d(11, 5)), Period("weekly", d(11, 2))}
    assert recomputed(settle(world)) == expected
    assert value(world, "monthly", d(11, 1), "whatsapp.total_contacts") == 1
    assert value(world, "daily", d(11, 20), "whatsapp.total_contacts") == 1
    assert value(world, "daily", d(11, 5), "whatsapp.new_contacts") == 1
    assert value(world, "weekly", d(10, 12), "whatsapp.total_contacts") == 0  # ended before
    assert "whatsapp.open_now" not in stored(world, "daily", d(11, 5)).metrics  # not a period's
    assert_every_snapshot_is_live(world, sorted(expected))

def test_the_schedule_runs_what_is_due(world):
    client, project = world["client"], world["project"]
    # November's and the week of 23 November's snapshots were computed (by pending passes)
    # after the 1 December 04:00 and 30 November 03:00 runs: only the daily run is due.
    assert [job.type for job, _at in due(client, project, NOW)] == ["daily"]
    computed = run_due(client, project, NOW)
    assert set(computed) == {Period("daily", d(11, 30) - timedelta(days=i))
                             for i in range(TRAILING_DAYS + 1)}
    assert due(client, project, NOW) == []
    assert {p.start: counts(world, "daily", p.start) for p in computed} == {
        p.start: (1, 1) if p.start == d(11, 25) else (0, 0) for p in computed}
    assert all(stored(world, "daily", p.start).trigger == "schedule" for p in computed)
    # A week later, the weekly run is due (Monday 7 December 03:00), then the daily one.
    later = datetime(2026, 12, 7, 3, 30, tzinfo=EAT)
    assert [(job.type, at) for job, at in due(client, project, later)] == [
        ("daily", datetime(2026, 12, 7, 2, 0, tzinfo=EAT)),
        ("weekly", datetime(2026, 12, 7, 3, 0, tzinfo=EAT))]
