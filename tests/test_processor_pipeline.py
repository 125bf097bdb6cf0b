"""`Processor.run` stores one batch on a thread while it prepares the next: every event is stored
once and acknowledged, and SIGTERM (stop) finishes the batches in hand."""

from __future__ import annotations

import threading
import time

import pytest

from contract.stream import project_stream
from tests.conftest import make_event


def test_run_stores_every_batch_once_and_leaves_nothing_pending(stack, monkeypatch):  # noqa: ANN001
    from config.settings import get_settings

    p = stack.project()
    batch = [make_event("page_view", properties={"i": i}) for i in range(90)]
    stack.post("/v1/capture", {"batch": batch}, p["write_key"])
    stack.post("/v1/capture", {"batch": batch}, p["write_key"])  # a client retry: duplicates
    monkeypatch.setenv("PROCESSOR_BATCH_SIZE", "20")
    get_settings.cache_clear()
    try:
        processor = stack.processor(consumer="pipelined")
        worker = threading.Thread(target=processor.run, daemon=True)
        worker.start()
        s = get_settings()
        stream = project_stream(s.stream_key, p["project_id"])
        r = stack.redis.client()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and r.xlen(stream):
            time.sleep(0.05)
        processor.stop()
        worker.join(30)
        assert not worker.is_alive()
    finally:
        monkeypatch.delenv("PROCESSOR_BATCH_SIZE")
        get_settings.cache_clear()
    assert r.xlen(stream) == 0
    assert r.xpending(stream, s.consumer_group)["pending"] == 0
    assert stack.count(p["project_id"]) == 90


def test_hold_keeps_the_waiting_batch_too(stack):  # noqa: ANN001
    """During an outage the batch being stored and the one prepared behind it stay this
    consumer's: their idle time is reset, so no other consumer's XAUTOCLAIM takes them."""
    from config.settings import get_settings

    p = stack.project()
    stack.post("/v1/capture", {"batch": [make_event() for _ in range(4)]}, p["write_key"])
    processor = stack.processor(consumer="holder")
    processor.ensure_group()
    entries = processor._read_new(100)
    assert len(entries) >= 4
    stored, waiting = entries[:2], entries[2:]
    processor._waiting = waiting
    time.sleep(0.3)
    processor._hold(stored, 0.01)
    s = get_settings()
    r = stack.redis.client()
    idle = {(e["message_id"].decode() if isinstance(e["message_id"], bytes) else e["message_id"]):
            e["time_since_delivered"]
            for e in r.xpending_range(project_stream(s.stream_key, p["project_id"]),
                                      s.consumer_group, "-", "+", 100,
                                      consumername="holder")}
    assert all(idle[e.entry_id] < 300 for e in entries)
    processor._waiting = []
    processor.handle(entries)


@pytest.fixture(autouse=True)
def _quiet_stream(stack):  # noqa: ANN001
    """Other tests' leftovers would be read by these processors (the journey model is not
    needed here)."""
    processor = stack.processor(consumer="leftovers")
    processor.ensure_group()
    while processor.run_once(block_ms=50):
        pass
    yield


def test_a_backlog_in_one_project_does_not_hold_another_projects_events_back(stack, monkeypatch):
    """Each project has its own stream and a read takes a share from each: events of a project
    sent after another project's backlog are in the very first batch."""
    from config.settings import get_settings

    big, small = stack.project(), stack.project()
    for _ in range(4):
        stack.post("/v1/capture", {"batch": [make_event() for _ in range(250)]}, big["write_key"])
    stack.post("/v1/capture", {"batch": [make_event() for _ in range(5)]}, small["write_key"])
    monkeypatch.setenv("PROCESSOR_BATCH_SIZE", "200")
    get_settings.cache_clear()
    try:
        processor = stack.processor(consumer="fair")
        first = processor._read_new(100)
        projects = [e.stream.rsplit(":", 1)[1] for e in first]
        assert projects.count(small["project_id"]) == 5
        assert projects.count(big["project_id"]) < 1000  # the backlog is read in shares
        processor.handle(first)
        stack.drain(processor)
    finally:
        monkeypatch.delenv("PROCESSOR_BATCH_SIZE")
        get_settings.cache_clear()
    assert stack.count(small["project_id"]) == 5
    assert stack.count(big["project_id"]) == 1000
