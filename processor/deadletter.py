"""The dead-letter stream: events that can never be stored because of their own content.

Each entry keeps the raw payload and the reason; `njia deadletters replay` puts them back on the
events stream (after a fix, e.g. a schema change), deleting them from the dead-letter stream.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis

from config.settings import get_settings
from contract.stream import FIELD


def dead_letter(client: redis.Redis, payload: str, reason: str, entry_id: str, stage: str) -> None:
    settings = get_settings()
    client.xadd(
        settings.dead_letter_stream_key,
        {
            "payload": payload,
            "reason": reason[:2000],
            "entry_id": entry_id,
            "stage": stage,
            "at": str(int(time.time() * 1000)),
        },
    )


def _decode(fields: dict[Any, Any]) -> dict[str, str]:
    return {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in fields.items()
    }


def list_dead_letters(client: redis.Redis, count: int = 100) -> list[dict[str, Any]]:
    settings = get_settings()
    out = []
    for entry_id, fields in client.xrange(settings.dead_letter_stream_key, count=count):
        item = _decode(fields)
        try:
            payload: Any = json.loads(item.get("payload", ""))
        except json.JSONDecodeError:
            payload = item.get("payload", "")
        out.append(
            {
                "id": entry_id.decode() if isinstance(entry_id, bytes) else entry_id,
                "reason": item.get("reason", ""),
                "stage": item.get("stage", ""),
                "original_entry_id": item.get("entry_id", ""),
                "at_ms": int(item.get("at", 0)),
                "payload": payload,
            }
        )
    return out


def replay(client: redis.Redis, ids: list[str] | None = None) -> int:
    """Re-drive dead letters (all, or the given ids) through the processor; returns how many."""
    settings = get_settings()
    entries = (
        [(i, f) for i in ids for (i, f) in client.xrange(settings.dead_letter_stream_key, i, i)]
        if ids
        else client.xrange(settings.dead_letter_stream_key)
    )
    count = 0
    for entry_id, fields in entries:
        item = _decode(fields)
        pipe = client.pipeline(transaction=True)
        pipe.xadd(settings.stream_key, {FIELD: item["payload"]})
        pipe.xdel(settings.dead_letter_stream_key, entry_id)
        pipe.execute()
        count += 1
    return count
