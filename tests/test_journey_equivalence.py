"""The stored journey model equals the reference computation (the views `sessions` and
`session_events`, which define it), on random journeys sent through the real collector and
processor: shuffled arrival in several deliveries (the model worker runs between them, so late
events land on chains it has already stored), duplicates, receipts before their message, chat
events without a number, identity merges after the events and PIN conflicts. Every session and
conversation field, every event's membership, and every Overview KPI must agree — and
`njia rebuild` must leave the incremental result unchanged."""

from __future__ import annotations

import random
import re
import uuid
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeys.model import ROLLUPS
from metadata.access import OPERATOR
from queries.runner import prepare
from tests.sessions_helpers import (
    BASE,
    at,
    crm,
    iso,
    old_project,
    post_crm,
    post_web,
    reference_sessions,
    stored_sessions,
)

ANONS = ("a1", "a2", "a3")
SDK_SESSIONS = (None, "s1", "s2")
PINS = ("A000000001X", "A000000002X")
PHONES = ("254700000101", "254700000102")
PATHS = ("/", "/mri/start", "/nil/otp", "/tot/pay")
CONV_EVENTS = ("ai.classification", "agent.handoff", "chat.assigned", "chat.resolved",
               "csat.submitted")

minutes = st.integers(0, 360)
web_event = st.fixed_dictionaries({
    "kind": st.just("web"), "minute": minutes, "second": st.integers(0, 59),
    "anon": st.sampled_from(ANONS), "sid": st.sampled_from(SDK_SESSIONS),
    "name": st.sampled_from(("page_view", "page_view", "app_error", "return_filed")),
    "path": st.sampled_from(PATHS),
    # identify: links the browser to a PIN (two PINs on one browser: a conflict) and a phone
    "pin": st.sampled_from((None, None, None, *PINS)),
    "phone": st.sampled_from((None, None, *PHONES)),
})
chat_event = st.fixed_dictionaries({
    "kind": st.just("crm"), "minute": minutes, "second": st.integers(0, 59),
    "phone": st.sampled_from(PHONES),
    "name": st.sampled_from(("message.received", "message.received", "message.sent",
                             "message.sent", "receipt", *CONV_EVENTS)),
    "no_number": st.booleans(),  # a conversation event named by its chat only
    "pin": st.sampled_from((None, None, None, *PINS)),
})
dataset = st.tuples(
    st.lists(st.one_of(web_event, chat_event), min_size=1, max_size=40),
    st.integers(1, 4),        # deliveries
    st.integers(0, 2 ** 31),  # arrival order, duplicates
)


def build(items: list[dict[str, Any]], seed: int) -> tuple[list[dict], list[dict]]:
    """Capture events and CRM envelopes for the generated items."""
    rng = random.Random(seed)
    web, chat = [], []
    messages: list[tuple[str, str, Any]] = []  # (message_id, phone, time)
    for i, it in enumerate(items):
        ts = at(it["minute"], it["second"])
        if it["kind"] == "web":
            event = {"event_id": str(uuid.uuid4()), "event_name": it["name"],
                     "timestamp": iso(ts), "anonymous_id": it["anon"],
                     "context": {"page": {"path": it["path"]}}}
            if it["sid"]:
                event["session_id"] = it["sid"]
            if it["name"] == "app_error":
                event["properties"] = {"error_type": rng.choice(("timeout", "validation"))}
            if it["pin"] or it["phone"]:
                event["event_name"] = "identify"
                event["user_id"] = it["pin"] or ""
                if it["phone"]:
                    event["traits"] = {"phone": "0" + it["phone"][3:]}
            web.append(event)
            continue
        phone, name = it["phone"], it["name"]
        data: dict[str, Any] = {"chat_id": f"chat-{phone}"}
        if it["pin"]:
            data["user_id"] = it["pin"]
        # What the conversations' facts read of properties (service, intent, rating, agent).
        if name == "csat.submitted":
            data["rating"] = rng.randint(1, 5)
        elif name == "chat.resolved":
            data["service_name"] = rng.choice(("", "nil_filing"))
        elif name == "ai.classification":
            data["intent"] = rng.choice(("nil_return", "pin_reset"))
        elif name in ("chat.assigned", "message.sent"):
            data["agent_id"] = rng.choice(("", "agent-1", "agent-2"))
        if name in ("message.received", "message.sent"):
            data["message_id"] = f"m{i}"
            messages.append((f"m{i}", phone, ts))
        elif name == "receipt":
            # A receipt of any message of this number, sent before or after it.
            mine = [m for m in messages if m[1] == phone]
            if not mine:
                continue
            mid, _, sent = rng.choice(mine)
            name = rng.choice(("message.delivered", "message.read", "message.failed"))
            data["message_id"] = mid
            ts = sent + timedelta(seconds=rng.randrange(1, 7200))
        envelope = crm(name, ts, phone, **data)
        if name in CONV_EVENTS and it["no_number"]:
            del envelope["data"]["whatsapp_number"]
        chat.append(envelope)
    return web, chat


def deliver(stack, project, web: list[dict], chat: list[dict], parts: int, seed: int) -> None:
    rng = random.Random(seed)
    items = [("web", e) for e in web] + [("crm", e) for e in chat]
    rng.shuffle(items)
    duplicates = rng.sample(items, k=min(len(items), rng.randrange(0, 4)))
    chunks = [items[i::parts] for i in range(parts)]
    chunks[-1] = chunks[-1] + duplicates  # resent later: stored once
    for chunk in chunks:
        w = [e for kind, e in chunk if kind == "web"]
        c = [e for kind, e in chunk if kind == "crm"]
        if w:
            post_web(stack, project, w)
        if c:
            post_crm(stack, project, c)
        stack.drain()  # the model worker runs after each delivery


def membership(stack, project_id: str, view: str) -> dict[str, tuple]:
    extra = "" if view.startswith("stored_") else ", timeout_s = 1800, session_timeout_s = 1800"
    rows = stack.ch().query(
        "SELECT toString(event_id), session_id, session_channel, event_key, person_id, phone "
        f"FROM {view}(project = {{p:String}}, start = '2000-01-01 00:00:00', "  # noqa: RUF027
        f"end = '2100-01-01 00:00:00'{extra})", parameters={"p": project_id}).result_rows
    return {r[0]: r[1:] for r in rows}


# Daily active people as the reference computes it: over every event's membership (the
# definition; the named query reads the model's activity rows).
REFERENCE_DAU = """
SELECT toDate(timestamp, {tz:String}) AS day, uniqExact(person_id) AS people
FROM session_events(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                    end = {end:DateTime64(3, 'UTC')}, timeout_s = 1800, session_timeout_s = 1800)
WHERE NOT is_bot AND channel IN {channels:Array(String)}
  AND NOT (channel IN {whatsapp_channels:Array(String)} AND session_id = '')
GROUP BY day
ORDER BY day WITH FILL
    FROM toDate({start:DateTime64(3, 'UTC')}, {tz:String})
    TO toDate({end:DateTime64(3, 'UTC')}, {tz:String})
"""


# Top pages as the reference computes them: distinct sessions and people per page over every
# page view's membership (the named query reads the model's page rows).
REFERENCE_TOP_PAGES = """
SELECT page_path AS page, count() AS views,
       uniqExactIf(session_id, session_id != '') AS sessions, uniqExact(person_id) AS people
FROM session_events(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                    end = {end:DateTime64(3, 'UTC')}, timeout_s = 1800, session_timeout_s = 1800)
WHERE NOT is_bot AND event_name = 'page_view' AND page_path != ''
GROUP BY page
ORDER BY views DESC, page
LIMIT {limit:UInt32}
"""


def by_day(stack, name: str, project_id: str, reference: str | None,
           cut: tuple[int, int] | None = None) -> list[tuple]:
    """Named query `name` over the days around BASE, or the `reference` SQL in its place;
    `cut`: instead, the range of those hours after BASE (which cuts the generated journeys)."""
    span = {"from": str((BASE - timedelta(days=1)).date()),
            "to": str((BASE + timedelta(days=2)).date())}
    prepared = prepare(name, {"project": project_id, **span}, OPERATOR)
    bound = dict(prepared.bound)
    if cut:
        bound.update(start=BASE + timedelta(hours=cut[0]), end=BASE + timedelta(hours=cut[1]))
    return stack.ch().query(reference or prepared.sql, parameters=bound).result_rows


def dau(stack, project_id: str, reference: bool) -> list[tuple]:
    return by_day(stack, "dau", project_id, REFERENCE_DAU if reference else None)


def top_pages(stack, project_id: str, reference: bool) -> list[list[tuple]]:
    """Top pages over the whole journeys, and over ranges that cut them (sessions that viewed a
    page before the range and again in it; the model's page rows are per 15 minutes, and so are
    the ends of every range the workbench asks: whole days of any time zone)."""
    sql = REFERENCE_TOP_PAGES if reference else None
    return [by_day(stack, "top_pages", project_id, sql, cut)
            for cut in (None, (2, 4), (1, 6))]


# The rollups that have a reference view of their template's name (warehouse/views/): the
# conversations' facts and the sent messages. (Activity and pages are compared through dau and
# top pages above.)
REFERENCED = [r for r in ROLLUPS if r.template in ("conversations", "messages")]


def rollup_rows(stack, project_id: str, reference: bool) -> dict[str, list[tuple]]:
    """Every row of each referenced rollup: the model's, or its reference view's."""
    found = {}
    for rollup in REFERENCED:
        table = (f"{rollup.template}(project = {{p:String}}, start = '2000-01-01 00:00:00', "
                 "end = '2100-01-01 00:00:00', timeout_s = 1800, session_timeout_s = 1800)"
                 if reference else
                 f"{rollup.table} FINAL WHERE project_id = {{p:String}} AND deleted = 0")
        columns = ", ".join(rollup.key + rollup.values)
        found[rollup.table] = stack.ch().query(
            f"SELECT {columns} FROM {table} ORDER BY {', '.join(rollup.key)}",
            parameters={"p": project_id}).result_rows
    return found


def overview(stack, project_id: str, reference: bool) -> list[tuple]:
    """The Overview's named query, on the stored model or on the reference views."""
    prepared = prepare("overview", {"project": project_id, "from": str(BASE.date()),
                                    "to": str((BASE + timedelta(days=1)).date())}, OPERATOR)
    sql, bound = prepared.sql, dict(prepared.bound)
    if reference:
        sql = re.sub(r"stored_sessions\(project = \{project:String\},",
                     "sessions(project = {project:String}, timeout_s = {timeout_s:UInt32}, "
                     "session_timeout_s = {session_timeout_s:UInt32},", sql)
        bound.update(timeout_s=1800, session_timeout_s=1800)
    return stack.ch().query(sql, parameters=bound).result_rows


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(dataset)
def test_stored_model_equals_the_reference(stack, data):
    items, parts, seed = data
    project = old_project(stack)
    pid = project["project_id"]
    web, chat = build(items, seed)
    deliver(stack, project, web, chat, parts, seed)

    expected = reference_sessions(stack, pid)
    assert stored_sessions(stack, pid) == expected
    assert membership(stack, pid, "stored_session_events") == membership(
        stack, pid, "session_events")
    assert overview(stack, pid, reference=False) == overview(stack, pid, reference=True)
    assert dau(stack, pid, reference=False) == dau(stack, pid, reference=True)
    assert top_pages(stack, pid, reference=False) == top_pages(stack, pid, reference=True)
    assert rollup_rows(stack, pid, reference=False) == rollup_rows(stack, pid, True)

    # A rebuild from `events` gives what the incremental path stored.
    from journeys.model import Timeouts
    from journeys.rebuild import rebuild

    rebuild(stack.ch(), pid, Timeouts(1800, 1800))
    assert stored_sessions(stack, pid) == expected
    assert dau(stack, pid, reference=False) == dau(stack, pid, reference=True)
    assert top_pages(stack, pid, reference=False) == top_pages(stack, pid, reference=True)
    assert rollup_rows(stack, pid, reference=False) == rollup_rows(stack, pid, True)


def test_top_pages_counts_a_session_cut_by_the_range_once(stack):
    """A session that viewed a page before the range and again in it counts once in the range;
    one that viewed it only before does not; its views count only inside."""
    from tests.sessions_helpers import web

    project = old_project(stack)
    pid = project["project_id"]
    post_web(stack, project, [
        # s1: /a before 11:00 and twice after (one 15-minute bucket apart), /b after
        web("page_view", at(110), sid="s1", path="/a"),
        web("page_view", at(125), sid="s1", path="/a"),
        web("page_view", at(131), sid="s1", path="/a"),
        web("page_view", at(140), sid="s1", path="/b"),
        # s2 (another browser): /b before the range only, /a inside only
        web("page_view", at(100), anon="a2", sid="s2", path="/b"),
        web("page_view", at(150), anon="a2", sid="s2", path="/a"),
    ])
    stack.drain()
    stored, reference = (by_day(stack, "top_pages", pid, sql, (2, 4))
                         for sql in (None, REFERENCE_TOP_PAGES))
    assert stored == reference == [("/a", 3, 2, 2), ("/b", 1, 1, 1)]
