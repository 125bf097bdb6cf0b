"""Ground truth the generator knows and the pipeline must find: who did what, per person.

The pipeline knows a person only through identifiers; the generator knows whose each payload
is (`Dataset.owners`). A taxpayer's web events join their WhatsApp number's only through an
identified browser (the tax app's identify(PIN, phone or email) after the OTP): the truth
counts what the data makes knowable — a browser that never identified stays its own visitor,
and so does a number whose owner never identified on the web — and nothing the pipeline
computes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from demo.clock import DAY
from demo.scenario import Dataset

Step = Callable[[dict[str, Any]], bool]  # on a flat event: name, channel, path, time


def _flat(ds: Dataset) -> tuple[dict[int, list[dict[str, Any]]], dict[int, list[dict[str, Any]]]]:
    """Per person: their web events from identified browsers, and their WhatsApp events."""
    identified = {e["anonymous_id"] for _, e in ds.capture if e.get("user_id")}
    web: dict[int, list[dict[str, Any]]] = defaultdict(list)
    chat: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for t, e in ds.capture:
        owner = ds.owners.get(e["event_id"])
        if owner is not None and e["anonymous_id"] in identified:
            web[owner].append({"t": t, "name": e["event_name"], "channel": "web",
                               "path": (e["context"].get("page") or {}).get("path", "")})
    for t, env in ds.crm:
        owner = ds.owners.get(env["id"])
        if owner is not None:
            chat[owner].append({"t": t, "name": env["event"], "channel": "whatsapp",
                                "path": ""})
    return web, chat


def _reached(events: list[dict[str, Any]], steps: Sequence[Step], start_ms: int, end_ms: int,
             window_ms: int) -> int:
    """How far one person gets: ordered steps, entry in [start, end), the window from it."""
    events = sorted(events, key=lambda e: e["t"])
    best = 0
    for i, entry in enumerate(events):
        if not (steps[0](entry) and start_ms <= entry["t"] < end_ms):
            continue
        level = 1
        for e in events[i + 1:]:
            if e["t"] - entry["t"] > window_ms or level == len(steps):
                break
            if steps[level](e):
                level += 1
        best = max(best, level)
    return best


def funnel_counts(ds: Dataset, steps: Sequence[Step], start_ms: int, end_ms: int,
                  window_ms: int = DAY) -> list[int]:
    """People reaching each step, each person once (an ordered funnel, by person)."""
    web, chat = _flat(ds)
    reached: list[int] = []
    for person in set(web) | set(chat):
        if web.get(person):  # identified on the web: their number is theirs too
            reached.append(_reached(web[person] + chat.get(person, []), steps, start_ms,
                                    end_ms, window_ms))
        else:
            reached.append(_reached(chat.get(person, []), steps, start_ms, end_ms, window_ms))
            reached.append(_reached(web.get(person, []), steps, start_ms, end_ms, window_ms))
    return [sum(1 for r in reached if r >= k) for k in range(1, len(steps) + 1)]


# WhatsApp → the NIL return page → filed: the cross-channel funnel.
WHATSAPP_TO_NIL_FILED: tuple[Step, ...] = (
    lambda e: e["channel"] == "whatsapp" and e["name"] == "message.received",
    lambda e: e["name"] == "page_view" and e["path"] == "/nil-return",
    lambda e: e["name"] == "return_filed",
)
