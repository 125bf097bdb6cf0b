"""Exactly-once insertion: each (project, event_id) is claimed in Redis before it is inserted,
and checked against Bloom filters of the events stored in the dedup horizon.

1. A short-horizon claim, for the retry window (where two processors may hold copies of one
   event, or one processor redelivers after a crash):
   `SET njia:seen:{project}:{event_id} <stream entry id> NX EX <DEDUP_CLAIM_SECONDS>`:
   - held by another entry → a duplicate (client retry, CRM resend, replayed batch): skip;
   - held by this entry    → a redelivery (the processor died between insert and ack, or the
                             batch is retried after an outage): the warehouse says whether the
                             event is already stored;
   - won                   → 2.
2. A Bloom filter per project and per day of processing (`njia:bloom:{project}:{YYYYMMDD}`,
   Redis bitmap, sized for DEDUP_BLOOM_CAPACITY events at DEDUP_BLOOM_ERROR false positives), for
   the whole dedup horizon (the project's max event age + 2 days): one Lua call per batch tests
   every event against the horizon's filters and adds it to today's, in the claims' round trip
   (the answer counts for won claims only; a lost claim's event is in a filter already, or
   adding it costs nothing but a bit more of the false-positive rate).
   - absent from every filter → a new event: insert;
   - maybe present            → the warehouse confirms by (project_id, event_id) — never by
                                timestamp, which clock-skew correction changes between retries —
                                and only an event not stored yet is inserted.
   An event is added to the filter before it is inserted, so a stored event is always in it: a
   Bloom filter has no false negatives; its false positives cost one warehouse look-up.

Memory: the claims of the last hour plus ~1.8 bytes per event of the horizon (0.1 % error)
instead of ~180 bytes per event for the whole horizon.
So `events` stays a plain MergeTree that every read counts without FINAL or merges.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import redis

KEY_PREFIX = "njia:seen"
BLOOM_PREFIX = "njia:bloom"
# The horizon outlives the project's maximum event age: any copy young enough to be accepted by
# the collector is still recognised as a duplicate.
MARGIN_SECONDS = 2 * 24 * 3600
DAY = 86400
CLAIM_SECONDS = 3600
BLOOM_CAPACITY = 1_000_000
BLOOM_ERROR = 0.001


class Claim(Enum):
    NEW = "new"  # won the claim, absent from the filters: insert
    REDELIVERY = "redelivery"  # claim held by this entry: insert unless stored
    MAYBE = "maybe"  # won the claim, but a filter may hold it: insert unless stored
    DUPLICATE = "duplicate"  # claim held by another entry: skip


@dataclass(frozen=True)
class ClaimRequest:
    project_id: str
    event_id: str
    entry_id: str
    ttl_seconds: int  # the project's max event age: the horizon is this + MARGIN_SECONDS


@dataclass(frozen=True)
class BloomShape:
    bits: int
    hashes: int

    @classmethod
    def sized(cls, capacity: int, error: float) -> BloomShape:
        bits = math.ceil(-capacity * math.log(error) / math.log(2) ** 2)
        return cls(bits, max(1, round(bits / capacity * math.log(2))))


# KEYS[1]: today's filter (tested and added to), KEYS[2..]: the horizon's older days (tested).
# ARGV[1]: hashes per event, ARGV[2]: TTL of today's filter, ARGV[3..]: bit offsets, k per event.
# Returns 1 per event that every bit of some filter has (maybe stored), else 0.
_BLOOM_LUA = """
local k = tonumber(ARGV[1])
local n = (#ARGV - 2) / k
local out = {}
for e = 0, n - 1 do
  local base = 2 + e * k
  local seen = 0
  for d = 1, #KEYS do
    local all = 1
    for i = 1, k do
      if redis.call('GETBIT', KEYS[d], ARGV[base + i]) == 0 then all = 0; break end
    end
    if all == 1 then seen = 1; break end
  end
  for i = 1, k do redis.call('SETBIT', KEYS[1], ARGV[base + i], 1) end
  out[e + 1] = seen
end
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return out
"""


def claim_key(project_id: str, event_id: str) -> str:
    return f"{KEY_PREFIX}:{project_id}:{event_id}"


def bloom_key(project_id: str, day: int) -> str:
    return f"{BLOOM_PREFIX}:{project_id}:{time.strftime('%Y%m%d', time.gmtime(day * DAY))}"


def offsets(event_id: str, shape: BloomShape) -> list[int]:
    """The event's k bit positions (double hashing of one 128-bit digest)."""
    digest = hashlib.blake2b(event_id.encode(), digest_size=16).digest()
    h1 = int.from_bytes(digest[:8], "little")
    h2 = int.from_bytes(digest[8:], "little") | 1
    return [(h1 + i * h2) % shape.bits for i in range(shape.hashes)]


class Dedup:
    """The claims and filters of one Redis, with the settings' sizes."""

    def __init__(self, client: redis.Redis, claim_seconds: int = CLAIM_SECONDS,
                 capacity: int = BLOOM_CAPACITY, error: float = BLOOM_ERROR) -> None:
        self.redis = client
        self.claim_seconds = claim_seconds
        self.shape = BloomShape.sized(capacity, error)
        self._bloom = client.register_script(_BLOOM_LUA)

    @classmethod
    def from_settings(cls, client: redis.Redis, settings: Any) -> Dedup:
        return cls(client, settings.dedup_claim_seconds, settings.dedup_bloom_capacity,
                   settings.dedup_bloom_error)

    def claim(self, requests: Sequence[ClaimRequest], now: float | None = None) -> list[Claim]:
        if not requests:
            return []
        today = int((time.time() if now is None else now) // DAY)
        groups: dict[tuple[str, int], list[int]] = {}  # (project, horizon) → request indices
        pipe = self.redis.pipeline(transaction=False)
        # execute_command: Redis.set's option checks cost more than the command itself here.
        command, ex = pipe.execute_command, self.claim_seconds
        for i, r in enumerate(requests):
            command("SET", claim_key(r.project_id, r.event_id), r.entry_id, "NX", "EX", ex)
            groups.setdefault((r.project_id, r.ttl_seconds + MARGIN_SECONDS), []).append(i)
        for (project, horizon), indices in groups.items():
            self._test_and_add(pipe, project, horizon, today,
                               [requests[i].event_id for i in indices])
        replies = pipe.execute()
        won = replies[:len(requests)]
        maybe = [False] * len(requests)
        for indices, flags in zip(groups.values(), replies[len(requests):], strict=True):
            for i, flag in zip(indices, flags, strict=True):
                maybe[i] = bool(flag)
        lost = [i for i, ok in enumerate(won) if not ok]
        holders: dict[int, str] = {}
        if lost:
            pipe = self.redis.pipeline(transaction=False)
            for i in lost:
                pipe.get(claim_key(requests[i].project_id, requests[i].event_id))
            for i, holder in zip(lost, pipe.execute(), strict=True):
                holders[i] = holder.decode() if isinstance(holder, bytes) else (holder or "")
        out: list[Claim] = []
        for i, r in enumerate(requests):
            if won[i]:
                out.append(Claim.MAYBE if maybe[i] else Claim.NEW)
            elif holders.get(i) == r.entry_id:
                out.append(Claim.REDELIVERY)
            else:
                out.append(Claim.DUPLICATE)
        return out

    def _test_and_add(self, pipe: redis.client.Pipeline, project: str, horizon: int, today: int,
                      event_ids: Sequence[str]) -> None:
        days = math.ceil(horizon / DAY) + 1
        keys = [bloom_key(project, today - d) for d in range(days)]
        args: list[Any] = [self.shape.hashes, horizon + 2 * DAY]
        for event_id in event_ids:
            args.extend(offsets(event_id, self.shape))
        self._bloom(keys=keys, args=args, client=pipe)

    def release(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Drop claims of events that were not stored (dead-lettered), so a fixed copy can land
        (its filter bits stay: the warehouse then confirms it is not stored)."""
        if pairs:
            self.redis.delete(*[claim_key(p, e) for p, e in pairs])


def claim(client: redis.Redis, requests: Sequence[ClaimRequest]) -> list[Claim]:
    return Dedup(client).claim(requests)


def release(client: redis.Redis, pairs: Sequence[tuple[str, str]]) -> None:
    Dedup(client).release(pairs)


def bench_record(client: redis.Redis, n: int, used: Any) -> tuple[float, float]:
    """Bytes per event of the claims (while they live) and of the filters (for the horizon),
    for `n` events of one project in one day, with the filter sized for `n` (bench)."""
    import uuid

    dedup = Dedup(client, capacity=n)
    base = used()
    ids = [str(uuid.uuid4()) for _ in range(n)]
    for i in range(0, n, 5000):
        dedup.claim([ClaimRequest("bench-mem", e, f"{i}-0", 7 * DAY) for e in ids[i:i + 5000]])
    total = used() - base
    pipe = client.pipeline(transaction=False)
    for i in range(0, n, 10_000):
        pipe.delete(*[claim_key("bench-mem", e) for e in ids[i:i + 10_000]])
    pipe.execute()
    filters = used() - base
    return (total - filters) / n, filters / n
