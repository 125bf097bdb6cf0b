"""Every (project, event_id) counts once in every read path, whatever the retries and crashes.

Counts use the plain read path the workbench uses (no FINAL, no OPTIMIZE).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import make_event
from tests.engines import start_program


def _batch(n: int) -> list[dict]:
    return [make_event("page_view", properties={"i": i}) for i in range(n)]


def test_same_batch_three_times_counts_once(stack):
    p = stack.project()
    batch = _batch(50)
    for attempt in range(3):
        # A client retry re-sends with a later sent_at: timestamps shift a little.
        sent_at = (datetime.now(UTC) + timedelta(seconds=attempt)).isoformat()
        r = stack.post("/v1/capture", {"batch": batch, "sent_at": sent_at}, p["write_key"])
        assert r.json()["accepted"] == 50
    stack.drain()
    assert stack.count(p["project_id"]) == 50
    assert stack.count(p["project_id"], "1") == int(stack.ch().command(
        "SELECT uniqExact(event_id) FROM events WHERE project_id = {p:String}",
        parameters={"p": p["project_id"]}))


def test_retry_after_drain_is_still_a_duplicate(stack):
    p = stack.project()
    batch = _batch(10)
    stack.post("/v1/capture", {"batch": batch}, p["write_key"])
    stack.drain()
    stack.post("/v1/capture", {"batch": batch}, p["write_key"])
    stack.drain()
    assert stack.count(p["project_id"]) == 10


def test_crash_between_insert_and_ack_counts_once(stack):
    """The processor dies after the insert and before XACK; a restart re-reads its pending
    entries, finds them stored, and inserts nothing twice."""
    p = stack.project()
    stack.post("/v1/capture", {"batch": _batch(30)}, p["write_key"])

    class Died(Exception):
        pass

    crashing = stack.processor(consumer="crashy")
    crashing.ensure_group()

    def die(_ids):
        raise Died()

    crashing._ack = die
    with pytest.raises(Died):
        crashing.run_once(block_ms=100)
    assert stack.count(p["project_id"]) == 30  # inserted, never acknowledged
    r = stack.redis.client()
    from config.settings import get_settings
    from contract.stream import project_stream

    s = get_settings()
    stream = project_stream(s.stream_key, p["project_id"])
    assert r.xpending(stream, s.consumer_group)["pending"] == 30
    restarted = stack.processor(consumer="crashy")  # same slot name after restart
    restarted.run_once(block_ms=100)
    assert r.xpending(stream, s.consumer_group)["pending"] == 0
    assert stack.count(p["project_id"]) == 30


def test_sigkill_with_unacked_events_loses_nothing_and_counts_nothing_twice(stack, tmp_path):
    """A real processor process is SIGKILLed while events are in flight, then restarted."""
    p = stack.project()
    env = dict(stack.env, PROCESSOR_BATCH_SIZE="50", NJIA_PROCESS_NUM="k")
    accepted = 0
    proc = start_program("processor.worker", ["--consumer", "killme"], env,
                         tmp_path / "processor.log")
    try:
        for _ in range(20):
            r = stack.post("/v1/capture", {"batch": _batch(50)}, p["write_key"])
            accepted += r.json()["accepted"]
        time.sleep(0.3)
        proc.kill()  # SIGKILL mid-stream
        stored_at_kill = stack.count(p["project_id"])
        for _ in range(10):
            r = stack.post("/v1/capture", {"batch": _batch(50)}, p["write_key"])
            accepted += r.json()["accepted"]
        proc = start_program("processor.worker", ["--consumer", "killme"], env,
                             tmp_path / "processor2.log")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and stack.count(p["project_id"]) < accepted:
            time.sleep(0.2)
        time.sleep(0.5)  # anything extra would show up now
        assert stack.count(p["project_id"]) == accepted == 1500
        assert stored_at_kill <= accepted
    finally:
        proc.stop()
    assert os.path.exists(tmp_path / "processor2.log")


def test_duplicate_inside_one_batch_is_stored_once(stack):
    p = stack.project()
    e = make_event()
    stack.post("/v1/capture", {"batch": [e, e, e]}, p["write_key"])
    stack.drain()
    assert stack.count(p["project_id"]) == 1
