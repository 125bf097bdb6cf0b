"""The Redis stream between collector and processor: names and the enqueue operation."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

from contract.record import EventRecord

# One field per entry: the EventRecord's JSON. One event per entry keeps claims, dead letters
# and redelivery per event.
FIELD = "e"


async def enqueue(client: aioredis.Redis, stream: str, records: Sequence[EventRecord]) -> list[str]:
    """XADD every record in one round trip; raises on any failure."""
    return await enqueue_payloads(client, stream, [record.to_stream() for record in records])


# `XADD stream * e <payload>` for each argument, in order, in one command: the entries are those
# of one XADD per event, but the client packs one command and parses one reply per batch (a
# pipeline of 50 XADDs cost the collector ~4x the CPU in redis-py). A failing XADD aborts the
# script with its error, as it failed the pipeline.
_XADD_ALL = f"""
local ids = {{}}
for i = 1, #ARGV do
  ids[i] = redis.call('XADD', KEYS[1], '*', '{FIELD}', ARGV[i])
end
return ids
"""
_XADD_ALL_SHA = hashlib.sha1(_XADD_ALL.encode()).hexdigest()


async def enqueue_payloads(client: aioredis.Redis, stream: str,
                           payloads: Sequence[str | bytes]) -> list[str]:
    """XADD every entry (an EventRecord's JSON, as `EventRecord.to_stream()` writes it), one
    entry per event, in one round trip (EVALSHA of `_XADD_ALL`); raises on any failure.

    Never trims (no MAXLEN): the processor deletes entries only after they are stored.
    """
    if not payloads:
        return []
    try:
        ids = await client.evalsha(_XADD_ALL_SHA, 1, stream, *payloads)
    except NoScriptError:  # a Redis that has not seen it yet (or restarted): EVAL caches it
        ids = await client.eval(_XADD_ALL, 1, stream, *payloads)
    return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]
