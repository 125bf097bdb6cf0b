"""Every rule has one definition; where SQL repeats a Python rule, these tests run both on the
same table of cases and require the same answer.

- the event key (first of user > anon > phone > email, `contract.identifiers.KEY_ORDER`): the
  sessions view and `queries/identity/events_by_channel.sql`;
- the person id of a key no person_map row names (`contract.identifiers.person_id_for`): the
  session_events and sessions views;
- the channel sets (`contract.record`): which events the sessions view makes web sessions, which
  join a conversation whatever their name;
- the event columns: the processor's `processor.rows.COLUMNS` and the `events` table;
- the breakdown dimensions (`queries.params.DIMENSIONS`): columns of the sessions view;
- the web session timeout: the project's `session_timeout_seconds`, bound like the conversation
  timeout, decides where web sessions split.

Events are stored the processor's way (`processor.rows.to_row`) straight into the warehouse, in a
project of their own with no person_map rows, so the views' own hash decides every person id.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contract.identifiers import KEY_ORDER, event_key, identifiers, person_id_for
from contract.record import (
    AGENT_CHANNELS,
    CHANNELS,
    SESSION_KINDS,
    WEB_CHANNELS,
    EventRecord,
)
from processor.rows import COLUMNS, to_row

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
DAY = {"from": "2026-03-10", "to": "2026-03-10"}
IDENTIFIER_VALUES = {
    "user_id": "A00{n}234567Z",
    "anonymous_id": "anon-{n}-wanjikũ",  # non-ASCII: both sides hash the UTF-8 bytes
    "phone": "+2547110000{n:02d}",
    "email": "jane.{n}+kra@example.com",
}


def _project() -> str:
    return f"rules-{uuid.uuid4().hex[:10]}"


def _record(project: str, at: datetime, name: str = "rule.case", channel: str = "web",
            **fields: Any) -> EventRecord:
    return EventRecord(project_id=project, event_id=uuid.uuid4(), event_name=name,
                       channel=channel, timestamp=at, received_at=at, **fields)


def _store(stack, records: list[EventRecord]) -> None:
    stack.ch().insert("events", [to_row(r, []) for r in records], column_names=list(COLUMNS))


def _query(stack, sql: str, **params: Any) -> list[dict[str, Any]]:
    result = stack.ch().query(sql, parameters=params)
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def _view_args(project: str) -> dict[str, Any]:
    return {"p": project, "s": T0 - timedelta(hours=1), "e": T0 + timedelta(days=1),
            "t": 1800, "w": 1800, "c": ["return_filed"]}


SESSION_EVENTS = (
    "SELECT toString(event_id) AS event_id, event_key, person_id, session_id, session_channel "
    "FROM session_events(project = {p:String}, start = {s:DateTime64(3, 'UTC')}, "
    "end = {e:DateTime64(3, 'UTC')}, timeout_s = {t:UInt32}, session_timeout_s = {w:UInt32})")
SESSIONS = (
    "SELECT * FROM sessions(project = {p:String}, start = {s:DateTime64(3, 'UTC')}, "
    "end = {e:DateTime64(3, 'UTC')}, timeout_s = {t:UInt32}, session_timeout_s = {w:UInt32}, "
    "conversion_events = {c:Array(String)})")


@pytest.fixture(scope="module")
def key_cases(stack) -> tuple[str, list[EventRecord]]:
    """One event for every combination of identifiers (none, each alone, every pair, …, all
    four), each case with values of its own, on channels in turn."""
    project = _project()
    records = []
    combos = itertools.product([False, True], repeat=len(KEY_ORDER))
    for n, present in enumerate(combos):
        fields = {field: IDENTIFIER_VALUES[field].format(n=n)
                  for (_kind, field), on in zip(KEY_ORDER, present, strict=True) if on}
        records.append(_record(project, T0 + timedelta(minutes=n),
                               channel=CHANNELS[n % len(CHANNELS)], **fields))
    _store(stack, records)
    return project, records


def test_the_sessions_view_keys_an_event_as_python_does(stack, key_cases):
    project, records = key_cases
    rows = {r["event_id"]: r for r in _query(stack, SESSION_EVENTS, **_view_args(project))}
    assert len(rows) == len(records) == 2 ** len(KEY_ORDER)
    sql = {str(r.event_id): rows[str(r.event_id)]["event_key"] for r in records}
    python = {str(r.event_id): event_key(r) for r in records}
    assert sql == python
    # The table covers every kind as the winner, and an event with no identifier.
    assert {k.partition(":")[0] for k in python.values()} == {k for k, _ in KEY_ORDER} | {"event"}


def test_the_person_id_hash_is_the_same_in_clickhouse_and_python(stack, key_cases):
    project, records = key_cases
    events = _query(stack, SESSION_EVENTS, **_view_args(project))
    assert events and all(e["person_id"] == person_id_for(e["event_key"]) for e in events)
    sessions = _query(stack, SESSIONS, **_view_args(project))
    assert sessions and all(s["person_id"] == person_id_for(s["person_key"]) for s in sessions)


def test_events_by_channel_counts_the_events_python_keys_to_a_person(stack, key_cases):
    from queries.persons import SQL

    project, records = key_cases
    sql = (SQL / "events_by_channel.sql").read_text()

    def events_of(idents: list[str]) -> int:
        rows = _query(stack, sql, project=project, identifiers=idents)
        return sum(r["events"] for r in rows)

    for record in records:
        ids = identifiers(record)
        if not ids:
            continue
        key = event_key(record)
        assert events_of([key]) == 1, (key, ids)
        assert events_of([i for i in ids if i != key]) == 0, (key, ids)


def test_the_sessions_view_applies_the_channel_sets(stack):
    project = _project()
    phone = "+254711999001"
    records = [
        # A conversation on the number, opened by an inbound message.
        _record(project, T0, "message.received", "whatsapp", phone=phone,
                chat_id="chat-1", message_id="m-1", direction="inbound"),
    ]
    web_case, agent_case = {}, {}
    for n, channel in enumerate(CHANNELS):
        browsing = _record(project, T0 + timedelta(minutes=n), "rule.page", channel,
                           anonymous_id=f"a-{channel}", session_id=f"s-{channel}")
        # Carries only the number: joins the conversation by its channel, not by its name.
        note = _record(project, T0 + timedelta(minutes=n + 1), "rule.note", channel,
                       phone=phone, chat_id="chat-1")
        web_case[str(browsing.event_id)] = channel
        agent_case[str(note.event_id)] = channel
        records += [browsing, note]
    _store(stack, records)

    rows = {r["event_id"]: r for r in _query(stack, SESSION_EVENTS, **_view_args(project))}
    assert {eid for eid, c in web_case.items() if rows[eid]["session_channel"] == "web"} == \
        {eid for eid, c in web_case.items() if c in WEB_CHANNELS}
    assert {eid for eid, c in agent_case.items() if rows[eid]["session_channel"] == "whatsapp"} \
        == {eid for eid, c in agent_case.items() if c in AGENT_CHANNELS}
    assert {r["session_channel"] for r in rows.values()} <= {*SESSION_KINDS, ""}
    sessions = _query(stack, SESSIONS, **_view_args(project))
    assert {s["channel"] for s in sessions} == set(SESSION_KINDS)


def test_the_processor_writes_exactly_the_events_tables_columns(stack):
    described = stack.ch().query("DESCRIBE TABLE events").result_rows
    # name, type, default_type, …: the processor leaves the columns with a default to the table.
    written = [row[0] for row in described if row[2] == ""]
    defaulted = [row[0] for row in described if row[2] != ""]
    assert written == list(COLUMNS)
    assert defaulted == ["inserted_at"]


def test_every_breakdown_dimension_is_a_column_of_the_sessions_view(stack):
    from queries.params import DIMENSIONS

    columns = stack.ch().query(SESSIONS + " LIMIT 0", parameters=_view_args(_project()))
    assert {d.column for d in DIMENSIONS.values()} <= set(columns.column_names)


def test_the_projects_session_timeout_decides_where_web_sessions_split(stack):
    from metadata.access import OPERATOR
    from metadata.projects import get_project, update_settings
    from queries.runner import run

    project = stack.project()["project_id"]
    # One browser: gaps of 40 min and then exactly 45 min.
    _store(stack, [_record(project, T0 + timedelta(minutes=m), "page_view",
                           anonymous_id="a-timeout", session_id="s-timeout")
                   for m in (0, 40, 85)])

    def web_sessions() -> list[int]:
        # Inserted straight into ClickHouse (as a backfill would be): the model worker finds
        # the events by arrival, and recomputes the project when a timeout changes.
        stack.update_model()
        df = run("sessions_list", {"project": project, **DAY, "channel": "web"}, OPERATOR)
        return sorted(df["event_count"].tolist())

    assert get_project(project).settings.session_timeout_seconds == 30 * 60
    assert web_sessions() == [1, 1, 1]  # both gaps exceed 30 min
    update_settings(project, session_timeout="40m")
    assert web_sessions() == [1, 2]  # 40:00 does not split, 45:00 does
    update_settings(project, session_timeout="45m")
    assert web_sessions() == [3]
    # The conversation timeout is a different setting: it does not move web sessions.
    update_settings(project, conversation_timeout="5m")
    assert web_sessions() == [3]
