"""Claims (processor.dedup): the claims and the Bloom filters in one round trip, on a real
redis-server: what each claim says, in request order, across projects and horizons."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from processor import dedup
from tests.engines import RedisServer, start_redis

WEEK = 7 * 86400


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    srv = start_redis(Path(tmp_path_factory.mktemp("dedup-redis")))
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def client(server: RedisServer) -> Iterator[redis.Redis]:
    r = server.client()
    r.flushall()
    yield r


def _requests(project: str, ids: list[str], entry: str) -> list[dedup.ClaimRequest]:
    return [dedup.ClaimRequest(project, e, entry, WEEK) for e in ids]


def test_new_then_redelivery_then_duplicate(client: redis.Redis) -> None:
    d = dedup.Dedup(client)
    ids = [str(uuid.uuid4()) for _ in range(5)]
    assert d.claim(_requests("p", ids, "1-0")) == [dedup.Claim.NEW] * 5
    assert d.claim(_requests("p", ids, "1-0")) == [dedup.Claim.REDELIVERY] * 5
    assert d.claim(_requests("p", ids, "2-0")) == [dedup.Claim.DUPLICATE] * 5
    assert 0 < client.ttl(dedup.claim_key("p", ids[0])) <= dedup.CLAIM_SECONDS


def test_filter_bits_are_the_setbit_bits(client: redis.Redis) -> None:
    """Today's filter holds the event's bits, and lives the horizon."""
    d = dedup.Dedup(client)
    now = time.time()
    event = str(uuid.uuid4())
    d.claim(_requests("p", [event], "1-0"), now=now)
    key = dedup.bloom_key("p", int(now // dedup.DAY))
    assert all(client.getbit(key, o) == 1 for o in dedup.offsets(event, d.shape))
    assert client.bitcount(key) == len(set(dedup.offsets(event, d.shape)))
    assert 0 < client.ttl(key) <= WEEK + dedup.MARGIN_SECONDS + 2 * dedup.DAY


def test_an_older_filter_written_bit_by_bit_says_maybe(client: redis.Redis) -> None:
    d = dedup.Dedup(client)
    now = time.time()
    old = dedup.bloom_key("p", int(now // dedup.DAY) - 3)
    stored, half, fresh = (str(uuid.uuid4()) for _ in range(3))
    for o in dedup.offsets(stored, d.shape):
        client.setbit(old, o, 1)
    for o in dedup.offsets(half, d.shape)[:-1]:  # all bits but one: not in the filter
        client.setbit(old, o, 1)
    assert d.claim(_requests("p", [stored, half, fresh], "1-0"), now=now) == [
        dedup.Claim.MAYBE, dedup.Claim.NEW, dedup.Claim.NEW]
    # A filter older than the horizon is not read.
    gone = dedup.bloom_key("p", int(now // dedup.DAY) - 30)
    late = str(uuid.uuid4())
    for o in dedup.offsets(late, d.shape):
        client.setbit(gone, o, 1)
    assert d.claim(_requests("p", [late], "2-0"), now=now) == [dedup.Claim.NEW]


def test_several_calls_and_projects_keep_request_order(client: redis.Redis) -> None:
    d = dedup.Dedup(client)
    n = 2007
    ids = [str(uuid.uuid4()) for _ in range(n)]
    first = [dedup.ClaimRequest("a" if i % 3 else "b", e, "1-0", WEEK if i % 2 else 2 * WEEK)
             for i, e in enumerate(ids)]
    assert d.claim(first) == [dedup.Claim.NEW] * n
    # Claims held by another entry for every third; the rest expired (past the retry window):
    # the filters find them.
    client.delete(*[dedup.claim_key(r.project_id, r.event_id)
                    for i, r in enumerate(first) if i % 3])
    again = [dedup.ClaimRequest(r.project_id, r.event_id, "2-0", r.ttl_seconds) for r in first]
    expected = [dedup.Claim.MAYBE if i % 3 else dedup.Claim.DUPLICATE for i in range(n)]
    assert d.claim(again) == expected


def test_a_released_claim_can_be_won_again(client: redis.Redis) -> None:
    d = dedup.Dedup(client)
    event = str(uuid.uuid4())
    d.claim(_requests("p", [event], "1-0"))
    d.release([("p", event)])
    assert d.claim(_requests("p", [event], "2-0")) == [dedup.Claim.MAYBE]
