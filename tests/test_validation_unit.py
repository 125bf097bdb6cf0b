"""Unit tests of edge validation: no engines needed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from collector.capture import split_batch
from collector.validation import CaptureEvent, check_age, correct_skew, error_messages, to_record


def event(**overrides):
    base = {
        "event_id": str(uuid.uuid4()),
        "event_name": "page_view",
        "timestamp": "2026-11-25T10:00:00Z",
        "anonymous_id": "anon-1",
    }
    base.update(overrides)
    return base


def test_minimal_event_is_valid():
    parsed = CaptureEvent.model_validate(event())
    assert parsed.channel == "web"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"event_id": "not-a-uuid"}, "event_id"),
        ({"event_name": ""}, "event_name"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"channel": "fax"}, "channel"),
        ({"anonymous_id": None}, "anonymous_id is required"),
        ({"anonymous_id": "undefined"}, "anonymous_id is required"),
    ],
)
def test_invalid_events_say_which_field(overrides, field):
    with pytest.raises(ValidationError) as info:
        CaptureEvent.model_validate(event(**overrides))
    assert any(field in message for message in error_messages(info.value))


def test_user_id_alone_is_enough():
    CaptureEvent.model_validate(event(anonymous_id=None, user_id="A123456789B"))


def test_skew_correction_follows_segment_rule():
    received = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    # Client clock is 1 h fast: it stamped the event at 12:59 and sent at 13:00.
    ts = datetime(2026, 11, 25, 12, 59, tzinfo=UTC)
    sent = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    assert correct_skew(ts, sent, received) == datetime(2026, 11, 25, 11, 59, tzinfo=UTC)
    assert correct_skew(ts, None, received) == ts


def test_age_window():
    now = datetime(2026, 11, 25, tzinfo=UTC)
    assert check_age(now - timedelta(days=6), now, 7 * 86400, 86400) is None
    assert "older than" in check_age(now - timedelta(days=8), now, 7 * 86400, 86400)
    assert "future" in check_age(now + timedelta(days=2), now, 7 * 86400, 86400)


def test_split_batch_shapes():
    assert split_batch({"batch": [1, 2], "sent_at": "x"}) == ([1, 2], "x")
    assert split_batch({"event_name": "a"}) == ([{"event_name": "a"}], None)
    assert split_batch("nope") is None


def test_record_normalises_identifiers_from_traits():
    parsed = CaptureEvent.model_validate(
        event(event_name="identify", user_id="A1", traits={"phone": "0711 111 111",
                                                           "email": " Jane@Example.COM "})
    )
    now = datetime.now(UTC)
    record = to_record(parsed, "p", now, None, "10.0.0.1", "KE")
    assert record.phone == "+254711111111"
    assert record.email == "jane@example.com"
    assert record.ip == "10.0.0.1"
