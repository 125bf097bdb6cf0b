"""/v1/capture over real HTTP, through Redis and the processor into ClickHouse."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import requests

from tests.conftest import make_event


def test_batch_is_stored_with_its_fields(stack):
    p = stack.project()
    events = [make_event("page_view", anonymous_id="anon-a", session_id="s-1",
                         context={"page": {"path": f"/p{i}", "title": "T"},
                                  "library": {"name": "njia-js", "version": "1.0"},
                                  "ip": "41.90.64.10",
                                  "userAgent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0"},
                         properties={"i": i})
              for i in range(5)]
    r = stack.post("/v1/capture", {"batch": events, "sent_at": datetime.now(UTC).isoformat()},
                   p["write_key"])
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 5, "rejected": []}
    stack.drain()
    rows = stack.ch().query(
        "SELECT page_path, library_name, country, city, device_type, properties.i "
        "FROM events WHERE project_id = {p:String} ORDER BY page_path",
        parameters={"p": p["project_id"]},
    ).result_rows
    assert [r[0] for r in rows] == [f"/p{i}" for i in range(5)]
    assert rows[0][1:5] == ("njia-js", "KE", "Nairobi", "desktop")
    assert [r[5] for r in rows] == [0, 1, 2, 3, 4]


def test_one_bare_event_is_accepted(stack):
    p = stack.project()
    r = stack.post("/v1/capture", make_event(), p["write_key"])
    assert r.json() == {"accepted": 1, "rejected": []}


def test_invalid_events_are_rejected_and_valid_neighbours_kept(stack):
    p = stack.project()
    good = make_event()
    bad = make_event(event_id="nope")
    no_id = make_event()
    no_id.pop("anonymous_id")
    r = stack.post("/v1/capture", {"batch": [good, bad, no_id, "x"]}, p["write_key"])
    body = r.json()
    assert r.status_code == 200
    assert body["accepted"] == 1
    assert [x["index"] for x in body["rejected"]] == [1, 2, 3]
    assert "event_id" in body["rejected"][0]["errors"][0]
    stack.drain()
    assert stack.count(p["project_id"]) == 1


def test_unknown_key_is_401(stack):
    r = stack.post("/v1/capture", make_event(), "nk_wrong")
    assert r.status_code == 401
    assert "write key" in r.json()["error"]
    r = stack.post("/v1/capture", make_event())
    assert r.status_code == 401


def test_bad_json_says_where(stack):
    p = stack.project()
    r = requests.post(f"{stack.collector_url}/v1/capture", data=b'{"batch": [}',
                      headers={"X-Write-Key": p["write_key"]}, timeout=10)
    assert r.status_code == 400
    assert "line 1 column 12" in r.json()["error"]


def test_limits(stack):
    p = stack.project()
    r = stack.post("/v1/capture", {"batch": [make_event() for _ in range(1001)]}, p["write_key"])
    assert r.status_code == 413
    big = make_event(properties={"blob": "x" * (1024 * 1024)})
    r = stack.post("/v1/capture", big, p["write_key"])
    assert r.status_code == 413
    assert "too large" in r.json()["error"]


def test_clock_skew_is_corrected_and_old_events_rejected(stack):
    p = stack.project()
    now = datetime.now(UTC)
    skewed = make_event(timestamp=(now + timedelta(hours=2)).isoformat())
    old = make_event(timestamp=(now - timedelta(days=8)).isoformat())
    r = stack.post("/v1/capture", {"batch": [skewed, old],
                                   "sent_at": (now + timedelta(hours=2, seconds=1)).isoformat()},
                   p["write_key"])
    body = r.json()
    assert body["accepted"] == 1
    assert "older than" in body["rejected"][0]["errors"][0]
    stack.drain()
    ts = stack.ch().command(
        "SELECT timestamp FROM events WHERE project_id = {p:String}",
        parameters={"p": p["project_id"]},
    )
    stored = datetime.fromisoformat(str(ts)).replace(tzinfo=UTC)
    # Client clock 2 h fast, sent 1 s after the event: stored ≈ received − 1 s.
    assert abs((stored - (now - timedelta(seconds=1))).total_seconds()) < 5


def test_backfill_after_raising_max_age_lands_in_its_partition(stack):
    from cli.main import main as njia

    p = stack.project()
    old_ts = datetime.now(UTC) - timedelta(days=40)
    assert njia(["project", "set", p["project_id"], "max_event_age_seconds=5184000"]) == 0
    import time

    time.sleep(1.2)  # the collector caches project lookups for KEY_CACHE_SECONDS=1
    r = stack.post("/v1/capture", make_event(timestamp=old_ts.isoformat()), p["write_key"])
    assert r.json()["accepted"] == 1
    stack.drain()
    part = stack.ch().command(
        "SELECT _partition_id FROM events WHERE project_id = {p:String}",
        parameters={"p": p["project_id"]},
    )
    assert str(part) == old_ts.strftime("%Y%m")


def test_health_is_ok(stack):
    r = requests.get(f"{stack.collector_url}/v1/health", timeout=10)
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "redis": "up", "warehouse": "up"}


def test_event_ids_are_uuids(stack):
    p = stack.project()
    eid = str(uuid.uuid4())
    stack.post("/v1/capture", make_event(event_id=eid), p["write_key"])
    stack.drain()
    assert stack.count(p["project_id"], "event_id = {e:UUID}", e=eid) == 1


def test_nan_is_not_json(stack):
    p = stack.project()
    body = b'{"event_id": "6f1c9f1e-2a51-4e0b-9a7c-2b8e0d6f4a11", "event_name": "x", ' \
           b'"timestamp": "2026-11-25T10:00:00Z", "anonymous_id": "a", "properties": {"f": NaN}}'
    r = requests.post(f"{stack.collector_url}/v1/capture", data=body,
                      headers={"X-Write-Key": p["write_key"]}, timeout=10)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid JSON: NaN is not valid JSON"
