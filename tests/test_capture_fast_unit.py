"""/v1/capture's fast path (orjson, one TypeAdapter per batch, the entry built as JSON) decides
exactly as the models it replaced: same kept entries, same rejections (index, reasons), and the
same bodies refused with the same messages."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from collector.body import MAX_DEPTH, parse_json
from collector.capture import admit_events, capture_one
from collector.capture_batch import Batch
from collector.ingest import Admission
from contract.record import EventRecord
from metadata.projects import Project, ProjectSettings

NOW = datetime(2026, 11, 25, 9, 0, 0, 123456, tzinfo=UTC)
PROJECT = Project("p1", "p1", NOW, ProjectSettings())


def _event(**overrides):
    event = {
        "event_id": str(uuid.uuid4()),
        "event_name": "page_view",
        "timestamp": (NOW - timedelta(seconds=30)).isoformat(),
        "anonymous_id": "anon-1",
        "context": {"page": {"path": "/a", "title": "A"}, "userAgent": "UA",
                    "library": {"name": "njia-js", "version": "1"}},
        "properties": {"n": 1, "f": 1.5, "s": "x"},
    }
    for key, value in overrides.items():
        if value is ...:
            event.pop(key, None)
        else:
            event[key] = value
    return event


CASES = [
    _event(),
    _event(timestamp="2026-11-25T08:59:00Z"),
    _event(timestamp="2026-11-25T08:59:00"),  # naive: read as UTC
    _event(timestamp="2026-11-25T11:59:00+03:00"),
    _event(timestamp="2026-11-25T08:59:00.5Z"),
    _event(timestamp=int((NOW - timedelta(minutes=5)).timestamp())),  # unix seconds
    _event(timestamp="2026-11-25T08:59:00.000000Z"),
    _event(event_id=uuid.uuid4().hex),  # no dashes
    _event(event_id="not-a-uuid"),
    _event(event_id=...),
    _event(event_name=""),
    _event(event_name="x" * 201),
    _event(event_name=5),
    _event(timestamp="yesterday"),
    _event(timestamp="0001-01-01T00:00:00Z"),
    _event(timestamp="2016-01-01T00:00:00Z"),  # older than the maximum age
    _event(timestamp="2030-01-01T00:00:00Z"),  # in the future
    _event(anonymous_id=...),
    _event(anonymous_id=..., user_id="A012345678Z"),
    _event(anonymous_id="null", user_id=" A1 "),
    _event(anonymous_id="undefined"),
    _event(anonymous_id=None, user_id=None),
    _event(anonymous_id=7),
    _event(anonymous_id="a" * 201),
    _event(session_id="  s-1 "),
    _event(session_id="guest"),
    _event(channel="whatsapp"),
    _event(channel="fax"),
    _event(context=...),
    _event(context={}),
    _event(context=None),
    _event(context="web"),
    _event(context={"ip": "41.90.64.10", "locale": "en-KE", "timezone": "Africa/Nairobi"}),
    _event(context={"ip": ""}),
    _event(context={"ip": 5}),
    _event(context={"page": None, "userAgent": None, "extra": None, "z": {"a": None}, "_p": 1}),
    _event(context={"zz": 1, "page": {"x": None, "path": None, "title": "t", "q": [None]},
                    "library": {"a": None}, "timezone": "A"}),
    _event(context={"page": "home"}),
    _event(context={"page": {"path": 5}}),
    _event(context={"library": "njia"}),
    _event(context={"library": None, "userAgent": ["x"]}),
    _event(context={"model_config": 1, "copy": 2}),
    _event(properties=None),
    _event(properties=[1]),
    _event(properties={"deep": {"a": [1, {"b": None}]}, "big": 18446744073709551615,
                       "neg": -9223372036854775808, "u": "é😀\u2028\x1f", "e": 1e300}),
    _event(traits={"phone": "0711 111 111", "email": " Jane@Example.COM "}),
    _event(traits={"phone": "254712345678"}),
    _event(traits={"phone": "not a phone", "email": "nope"}),
    _event(traits={"phone": 711111111, "email": None}),
    _event(traits={"phone": None, "name": "x"}),
    _event(traits=None),
    _event(extra_field="ignored"),
    "not an object",
    None,
    [1, 2],
]


def _slow(events, batch):
    outcome = Admission()
    for index, raw in enumerate(events):
        capture_one(outcome, index, raw, PROJECT, batch)
    return outcome


def _fast(events, batch):
    outcome = Admission()
    admit_events(outcome, events, PROJECT, batch)
    return outcome


def _entries(outcome):
    return [json.loads(e) for e in outcome.entries]


@pytest.mark.parametrize("sent_at", [None, NOW - timedelta(seconds=3), NOW + timedelta(hours=2)])
def test_fast_path_decides_as_the_models(sent_at):
    batch = Batch("p1", NOW, sent_at, "10.0.0.9", "KE",
                  PROJECT.settings.max_event_age_seconds, 300)
    # Each case alone, and all together (one invalid event sends the batch through per-event
    # validation), and the valid ones together (one TypeAdapter call for the batch).
    valid = [c for c in CASES if isinstance(c, dict)]
    for events in [[c] for c in CASES] + [CASES, valid[:3], list(reversed(CASES))]:
        slow, fast = _slow(copy.deepcopy(events), batch), _fast(copy.deepcopy(events), batch)
        assert fast.rejected == slow.rejected, events
        assert _entries(fast) == _entries(slow), events
    fast = _fast(copy.deepcopy(valid[:3]), batch)
    assert len(fast.entries) == 3


def test_fast_entry_is_the_records_json():
    """Byte for byte what EventRecord.to_stream() writes, and what the processor reads back."""
    batch = Batch("p1", NOW, None, "10.0.0.9", "KE", 7 * 86400, 300)
    events = [_event(), _event(timestamp="2026-11-25T08:59:00Z", traits={"phone": "0711111111"}),
              _event(properties={"u": "é😀\u2028\x1f\"\\", "l": [1.0, -0.0, 1e16, 0.1]})]
    fast, slow = _fast(copy.deepcopy(events), batch), _slow(copy.deepcopy(events), batch)
    assert [e.decode() for e in fast.entries] == slow.entries
    for entry in fast.entries:
        assert EventRecord.from_stream(entry).to_stream() == entry.decode()


def _stdlib_answer(raw: bytes):
    """What parse_json answered before orjson: the json path alone."""
    import collector.body as body

    real = body.orjson.loads

    def refuse(_):
        raise body.orjson.JSONDecodeError("off", "", 0)

    body.orjson.loads = refuse
    try:
        return _answer(raw)
    finally:
        body.orjson.loads = real


def _answer(raw: bytes):
    try:
        return ("ok", parse_json(raw))
    except web.HTTPBadRequest as exc:
        return ("400", exc.text)


HOSTILE = [
    b'{"a":1}', b'{"a":1e400}', b'{"a":-1e400}', b'{"a":NaN}', b'{"a":Infinity}',
    b'{"a":18446744073709551615}', b'{"a":18446744073709551616}', b'{"a":-9223372036854775808}',
    b'{"a":-9223372036854775809}', b'{"a":1234567890123456789012345}', b'{"a":1e19}',
    b'{"a":-9.3e18}', b'{"a":"\\ud800"}', b'{"\\udfff":1}', b'{"a":"\\ud83d\\ude00"}',
    b'"\xff"', b'{"a":"\xc3"}', b'\xef\xbb\xbf{"a":1}', b'{"a":1,"a":2}', b'{"a":"x\x01"}',
    b'{"a":01}', b'{"a":1}x', b'{', b'', b'   ', b'[]', b'"s"', b'1', b'null', b'{"a":1e-400}',
    b'[' * MAX_DEPTH + b']' * MAX_DEPTH, b'[' * (MAX_DEPTH + 1) + b']' * (MAX_DEPTH + 1),
    b'{"a":' * 70 + b'1' + b'}' * 70, b'[' * 5000 + b']' * 5000, b'[' * 100_000,
    '{"a":"é","b":"€"}'.encode(), b'{"a":-0.0,"b":0.1e1,"c":1E2}',
]


@pytest.mark.parametrize("raw", HOSTILE, ids=range(len(HOSTILE)))
def test_parse_json_answers_as_the_json_path(raw):
    fast, slow = _answer(raw), _stdlib_answer(raw)
    assert fast == slow
    if fast[0] == "ok":
        assert json.dumps(fast[1]) == json.dumps(slow[1])  # same types (int stays int)
