"""The Redis stream between collector and processor: names and the enqueue operation."""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis

from contract.record import EventRecord

# One field per entry: the EventRecord's JSON. One event per entry keeps claims, dead letters
# and redelivery per event.
FIELD = "e"


async def enqueue(client: aioredis.Redis, stream: str, records: Sequence[EventRecord]) -> list[str]:
    """XADD every record in one pipelined round trip; raises on any failure.

    Never trims (no MAXLEN): the processor deletes entries only after they are stored.
    """
    if not records:
        return []
    async with client.pipeline(transaction=False) as pipe:
        for record in records:
            pipe.xadd(stream, {FIELD: record.to_stream()})
        ids = await pipe.execute(raise_on_error=True)
    return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]
