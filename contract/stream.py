"""The Redis streams between collector and processor: names and the enqueue operation.

Each project has its own stream (`<NJIA_STREAM>:<project>`), listed in a registry set, so a
processor reads every project's stream in one XREADGROUP with a COUNT per stream: a backfill
into one project waits behind its own events only, never in front of another project's. The
base stream (`NJIA_STREAM` itself) is read too: dead letters replayed, and entries written
before streams were per project.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

# One field per entry: the EventRecord's JSON. One event per entry keeps claims, dead letters
# and redelivery per event.
FIELD = "e"


def project_stream(base: str, project_id: str) -> str:
    """A project's stream."""
    return f"{base}:{project_id}"


def registry(base: str) -> str:
    """The set of the project streams ever written ('|' is in no project id)."""
    return f"{base}|streams"


def streams(base: str, members: Iterable[bytes | str]) -> list[str]:
    """Every stream to read: the base stream, then the registry's members, in a stable order."""
    named = sorted({m.decode() if isinstance(m, bytes) else m for m in members} - {base})
    return [base, *named]


# `XADD stream * e <payload>` for each argument, in order, in one command: the entries are those
# of one XADD per event, but the client packs one command and parses one reply per batch (a
# pipeline of 50 XADDs cost the collector ~4x the CPU in redis-py). A failing XADD aborts the
# script with its error, as it failed the pipeline. The stream joins the registry first, so a
# processor that finds entries also finds their stream.
_XADD_ALL = f"""
redis.call('SADD', KEYS[2], KEYS[1])
local ids = {{}}
for i = 1, #ARGV do
  ids[i] = redis.call('XADD', KEYS[1], '*', '{FIELD}', ARGV[i])
end
return ids
"""
_XADD_ALL_SHA = hashlib.sha1(_XADD_ALL.encode()).hexdigest()


async def enqueue_payloads(client: aioredis.Redis, base: str, project_id: str,
                           payloads: Sequence[str | bytes]) -> list[str]:
    """XADD every entry (an EventRecord's JSON, as `EventRecord.to_stream()` writes it) of one
    project to its stream, one entry per event, in one round trip (EVALSHA of `_XADD_ALL`);
    raises on any failure.

    Never trims (no MAXLEN): the processor deletes entries only after they are stored.
    """
    if not payloads:
        return []
    keys = (project_stream(base, project_id), registry(base))
    try:
        ids = await client.evalsha(_XADD_ALL_SHA, 2, *keys, *payloads)
    except NoScriptError:  # a Redis that has not seen it yet (or restarted): EVAL caches it
        ids = await client.eval(_XADD_ALL, 2, *keys, *payloads)
    return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]
