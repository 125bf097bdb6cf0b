"""Exactly-once insertion: each (project, event_id) is claimed in Redis before it is inserted.

`SET njia:seen:{project}:{event_id} <stream entry id> NX EX <ttl>`:
- claim won               → a new event: insert it;
- held by this very entry → a redelivery (the processor died between insert and ack): ask the
                            warehouse whether it is already stored, insert only if not;
- held by another entry   → a duplicate (client retry, CRM resend, replayed batch): skip.
So `events` stays a plain MergeTree that every read counts without FINAL or merges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import redis

KEY_PREFIX = "njia:seen"
# A claim outlives the project's maximum event age: any copy young enough to be accepted by the
# collector is still recognised as a duplicate.
MARGIN_SECONDS = 2 * 24 * 3600


class Claim(Enum):
    NEW = "new"
    REDELIVERY = "redelivery"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class ClaimRequest:
    project_id: str
    event_id: str
    entry_id: str
    ttl_seconds: int


def claim_key(project_id: str, event_id: str) -> str:
    return f"{KEY_PREFIX}:{project_id}:{event_id}"


def claim(client: redis.Redis, requests: Sequence[ClaimRequest]) -> list[Claim]:
    if not requests:
        return []
    pipe = client.pipeline(transaction=False)
    for r in requests:
        pipe.set(
            claim_key(r.project_id, r.event_id),
            r.entry_id,
            nx=True,
            ex=r.ttl_seconds + MARGIN_SECONDS,
        )
    won = pipe.execute()
    lost = [i for i, ok in enumerate(won) if not ok]
    holders: dict[int, str] = {}
    if lost:
        pipe = client.pipeline(transaction=False)
        for i in lost:
            pipe.get(claim_key(requests[i].project_id, requests[i].event_id))
        for i, holder in zip(lost, pipe.execute(), strict=True):
            holders[i] = holder.decode() if isinstance(holder, bytes) else (holder or "")
    out = []
    for i, r in enumerate(requests):
        if won[i]:
            out.append(Claim.NEW)
        elif holders.get(i) == r.entry_id:
            out.append(Claim.REDELIVERY)
        else:
            out.append(Claim.DUPLICATE)
    return out


def release(client: redis.Redis, pairs: Sequence[tuple[str, str]]) -> None:
    """Drop claims of events that were not stored (dead-lettered), so a fixed copy can land."""
    if pairs:
        client.delete(*[claim_key(p, e) for p, e in pairs])
