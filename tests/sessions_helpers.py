"""Helpers to post hand-built journeys and read the sessions views."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

import requests

BASE = datetime(2026, 11, 20, 9, 0)  # naive UTC; projects below allow old events


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    return BASE + timedelta(minutes=minutes, seconds=seconds)


def iso(ts: datetime) -> str:
    return ts.isoformat() + "Z"


def web(name: str, ts: datetime, anon: str = "a1", sid: str | None = "s1",
        path: str = "/", **kw: Any) -> dict[str, Any]:
    event = {"event_id": str(uuid.uuid4()), "event_name": name, "timestamp": iso(ts),
             "anonymous_id": anon, "context": {"page": {"path": path}}, **kw}
    if sid:
        event["session_id"] = sid
    return event


def crm(event: str, ts: datetime, phone: str = "254700000001", **data: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "event": event, "timestamp": iso(ts),
            "data": {"whatsapp_number": phone, **data}}


def post_web(stack, project, events, shuffle: bool = False) -> None:
    events = list(events)
    if shuffle:
        random.Random(1).shuffle(events)
        for e in events:  # one request each: the stream sees them in shuffled order
            assert stack.post("/v1/capture", e, project["write_key"]).json()["accepted"] == 1
        return
    r = stack.post("/v1/capture", {"batch": events}, project["write_key"])
    assert r.json()["accepted"] == len(events), r.text


def post_crm(stack, project, envelopes, shuffle: bool = False) -> None:
    envelopes = list(envelopes)
    if shuffle:
        random.Random(2).shuffle(envelopes)
    raw = json.dumps({"events": envelopes}).encode()
    sig = "sha256=" + hmac.new(project["webhook_secret"].encode(), raw,
                               hashlib.sha256).hexdigest()
    r = requests.post(f"{stack.collector_url}/v1/webhooks/crm", data=raw, timeout=10,
                      headers={"X-Write-Key": project["write_key"], "X-Signature": sig})
    assert r.json()["accepted"] == len(envelopes), r.text


def old_project(stack) -> dict[str, str]:
    """A project whose maximum event age covers BASE."""
    import time

    from metadata.projects import update_settings

    p = stack.project()
    update_settings(p["project_id"], max_event_age_seconds=3650 * 86400)
    time.sleep(1.1)  # collector key cache
    return p


def _model_matches(stack, project_id: str, timeout_s: int, session_timeout_s: int) -> bool:
    """Whether the stored model is computed with these timeouts (the project's settings)."""
    from metadata.projects import require_project

    settings = require_project(project_id).settings
    return (settings.conversation_timeout_seconds, settings.session_timeout_seconds) == (
        timeout_s, session_timeout_s)


def stored_sessions(stack, project_id: str) -> list[dict[str, Any]]:
    result = stack.ch().query(
        "SELECT * FROM stored_sessions(project = {p:String}, start = {s:DateTime64(3, 'UTC')}, "
        "end = {e:DateTime64(3, 'UTC')}, conversion_events = {c:Array(String)}) "
        "ORDER BY start, channel, session_id",
        parameters={"p": project_id, "s": BASE - timedelta(days=1),
                    "e": BASE + timedelta(days=2), "c": ["return_filed"]})
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def sessions(stack, project_id: str, timeout_s: int = 1800,
             session_timeout_s: int = 1800) -> list[dict[str, Any]]:
    """The reference view's sessions — and, when the project's timeouts are these, a check that
    the stored model holds exactly the same."""
    rows = reference_sessions(stack, project_id, timeout_s, session_timeout_s)
    if _model_matches(stack, project_id, timeout_s, session_timeout_s):
        assert stored_sessions(stack, project_id) == rows
    return rows


def reference_sessions(stack, project_id: str, timeout_s: int = 1800,
                       session_timeout_s: int = 1800) -> list[dict[str, Any]]:
    result = stack.ch().query(
        "SELECT * FROM sessions(project = {p:String}, start = {s:DateTime64(3, 'UTC')}, "
        "end = {e:DateTime64(3, 'UTC')}, timeout_s = {t:UInt32}, "
        "session_timeout_s = {w:UInt32}, "
        "conversion_events = {c:Array(String)}) ORDER BY start, channel, session_id",
        parameters={"p": project_id, "s": BASE - timedelta(days=1),
                    "e": BASE + timedelta(days=2), "t": timeout_s, "w": session_timeout_s,
                    "c": ["return_filed"]})
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def session_events(stack, project_id: str, timeout_s: int = 1800,
                   session_timeout_s: int = 1800) -> list[dict[str, Any]]:
    """The reference view's membership — checked against the stored model's, as sessions()."""
    rows = _session_events(stack, project_id, "session_events", timeout_s, session_timeout_s)
    if _model_matches(stack, project_id, timeout_s, session_timeout_s):
        assert _session_events(stack, project_id, "stored_session_events") == rows
    return rows


def _session_events(stack, project_id: str, view: str, timeout_s: int = 1800,
                    session_timeout_s: int = 1800) -> list[dict[str, Any]]:
    timeouts = ("" if view.startswith("stored_")
                else ", timeout_s = {t:UInt32}, session_timeout_s = {w:UInt32}")
    result = stack.ch().query(
        "SELECT event_name, timestamp, session_id, session_channel, message_id, person_id "
        f"FROM {view}(project = {{p:String}}, start = {{s:DateTime64(3, 'UTC')}}, "
        "end = {e:DateTime64(3, 'UTC')}" + timeouts + ") "
        "ORDER BY timestamp, event_name, session_id, message_id",  # noqa: RUF027
        parameters={"p": project_id, "s": BASE - timedelta(days=1),
                    "e": BASE + timedelta(days=2), "t": timeout_s, "w": session_timeout_s})
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]
