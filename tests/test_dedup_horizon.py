"""Exactly once past the claims' retry window: per-event claims live only DEDUP_CLAIM_SECONDS;
older copies are caught by the per-day Bloom filters, confirmed in the warehouse by
(project_id, event_id)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import make_event


def _expire_claims(stack, project_id: str) -> int:
    """What DEDUP_CLAIM_SECONDS later looks like: the project's claims are gone."""
    r = stack.redis.client()
    keys = list(r.scan_iter(f"njia:seen:{project_id}:*", count=1000))
    if keys:
        r.delete(*keys)
    return len(keys)


def test_event_retried_after_the_claim_horizon_counts_once(stack):
    p = stack.project()
    batch = [make_event("page_view", properties={"i": i}) for i in range(20)]
    stack.post("/v1/capture", {"batch": batch}, p["write_key"])
    stack.drain()
    assert stack.count(p["project_id"]) == 20
    assert _expire_claims(stack, p["project_id"]) == 20
    # The retry comes later, with another sent_at: clock-skew correction moves its timestamps.
    sent_at = (datetime.now(UTC) + timedelta(seconds=90)).isoformat()
    r = stack.post("/v1/capture", {"batch": batch, "sent_at": sent_at}, p["write_key"])
    assert r.json()["accepted"] == 20
    stack.drain()
    assert stack.count(p["project_id"]) == 20


def test_crash_then_redelivery_after_the_claim_horizon_counts_once(stack):
    """Inserted, never acknowledged, and the claims expire before the restart: the Bloom filter
    sends the redelivery to the warehouse, which has it."""
    p = stack.project()
    stack.post("/v1/capture", {"batch": [make_event() for _ in range(15)]}, p["write_key"])

    class Died(Exception):
        pass

    crashing = stack.processor(consumer="crashy-horizon")
    crashing.ensure_group()

    def die(_ids):
        raise Died()

    crashing._ack = die
    with pytest.raises(Died):
        crashing.run_once(block_ms=100)
    assert stack.count(p["project_id"]) == 15
    _expire_claims(stack, p["project_id"])
    stack.processor(consumer="crashy-horizon").run_once(block_ms=100)
    stack.drain()
    assert stack.count(p["project_id"]) == 15


def test_bloom_positive_of_an_unstored_event_is_inserted(stack):
    """A filter that (falsely) holds an event does not drop it: the warehouse is asked."""
    from processor.worker import Processor

    p = stack.project()
    batch = [make_event() for _ in range(10)]
    dedup = Processor(consumer="bloom-only").dedup
    from processor import dedup as d

    dedup.claim([d.ClaimRequest(p["project_id"], e["event_id"], "0-1", 7 * 86400)
                 for e in batch])
    _expire_claims(stack, p["project_id"])
    assert all(c is d.Claim.MAYBE for c in dedup.claim(
        [d.ClaimRequest(p["project_id"], e["event_id"], "0-2", 7 * 86400) for e in batch]))
    _expire_claims(stack, p["project_id"])
    stack.post("/v1/capture", {"batch": batch}, p["write_key"])
    stack.drain()
    assert stack.count(p["project_id"]) == 10


def test_claims_live_only_the_retry_window(stack):
    from config.settings import get_settings

    p = stack.project()
    stack.post("/v1/capture", {"batch": [make_event()]}, p["write_key"])
    stack.drain()
    r = stack.redis.client()
    (key,) = list(r.scan_iter(f"njia:seen:{p['project_id']}:*"))
    assert 0 < r.ttl(key) <= get_settings().dedup_claim_seconds
    assert list(r.scan_iter(f"njia:bloom:{p['project_id']}:*"))


def test_filter_costs_under_two_bytes_per_event():
    from processor.dedup import BloomShape

    shape = BloomShape.sized(1_000_000, 0.001)
    assert shape.bits / 8 / 1_000_000 < 2
    assert shape.hashes == 10
