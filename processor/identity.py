"""Cross-channel identity: which identifiers (PIN, anonymous id, phone, email) are one person.

A person is a connected component of linked identifiers, built by replaying the links in event
time order with one guardrail: a link that would put two different PINs (`user:` ids) in one
person is refused (and logged). So an identifier linked to two PINs stays with the PIN it was
linked to first *by event time*, whatever the arrival order: when a link arrives late, the
affected part of the graph is replayed from its stored links.

State lives in Redis and changes only in optimistic transactions (WATCH the touched identifiers'
link sets, MULTI/EXEC, retry on conflict), so several processors linking the same people end in
the same single person. Each change of an identifier's person is also queued on an outbox
stream in the same transaction; `flush_outbox` copies it to ClickHouse's `person_map`
(ReplacingMergeTree by version), which every query resolves with argMax — old events follow
later merges without being rewritten.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from processor.identifiers import clean_id
from processor.masking import mask
from processor.record import EventRecord

log = logging.getLogger("njia.processor.identity")

OUTBOX = "njia:id:outbox"
MAX_COMPONENT = 5000  # links replayed per change; a bigger hub is cut off (and logged)


def person_id_for(anchor: str) -> str:
    """Opaque person id; ClickHouse computes the same for unmapped keys:
    lower(substring(hex(SHA256(key)), 1, 16))."""
    return hashlib.sha256(anchor.encode()).hexdigest()[:16]


def identifiers(record: EventRecord) -> list[str]:
    """The event's identifiers, in key priority: user, anon, phone, email."""
    out = []
    if clean_id(record.user_id):
        out.append(f"user:{record.user_id}")
    if clean_id(record.anonymous_id):
        out.append(f"anon:{record.anonymous_id}")
    if record.phone:
        out.append(f"phone:{record.phone}")
    if record.email:
        out.append(f"email:{record.email}")
    return out


def event_key(record: EventRecord) -> str:
    ids = identifiers(record)
    return ids[0] if ids else f"event:{record.event_id}"


@dataclass(frozen=True)
class Link:
    a: str
    b: str
    at_ms: int  # event time of the earliest event that linked them


def links_from(record: EventRecord) -> list[Link]:
    """Links an event makes: all its identifiers belong to one person (a star on the first)."""
    ids = identifiers(record)
    at = int(record.timestamp.timestamp() * 1000)
    return [Link(ids[0], other, at) for other in ids[1:]]


def _edges_key(project: str, node: str) -> str:
    return f"njia:id:{project}:e:{node}"


def _person_key(project: str) -> str:
    return f"njia:id:{project}:person"


def _version_key(project: str) -> str:
    return f"njia:id:{project}:version"


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def replay(nodes: Iterable[str], edges: Iterable[tuple[str, str, int]]) -> dict[str, str]:
    """Person anchor of every node, replaying links in event-time order with the PIN guardrail.

    Pure: the result depends only on the set of links, never on the order they arrived.
    """
    parent: dict[str, str] = {n: n for n in nodes}
    pin: dict[str, str | None] = {n: (n if n.startswith("user:") else None) for n in parent}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, _at in sorted(edges, key=lambda e: (e[2], min(e[0], e[1]), max(e[0], e[1]))):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        pa, pb = pin[ra], pin[rb]
        if pa and pb and pa != pb:
            continue  # never two PINs in one person (the caller logs conflicts it caused)
        # Deterministic root: the PIN's side, else the smaller name.
        if pb and not pa or (not pa and not pb and rb < ra):
            ra, rb = rb, ra
        parent[rb] = ra
        pin[ra] = pa or pb
    groups: dict[str, list[str]] = {}
    for n in parent:
        groups.setdefault(find(n), []).append(n)
    anchors: dict[str, str] = {}
    for root, members in groups.items():
        anchor = pin[root] or min(members)
        for m in members:
            anchors[m] = anchor
    return anchors


class IdentityGraph:
    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def link(self, project: str, links: Sequence[Link]) -> int:
        """Record links; returns how many identifiers changed person."""
        if not links:
            return 0
        new = self._new_links(project, links)
        if not new:
            return 0
        for _attempt in range(50):
            try:
                return self._apply(project, new)
            except redis.WatchError:
                continue
        raise RuntimeError(f"identity update for {project} kept conflicting")

    def _new_links(self, project: str, links: Sequence[Link]) -> list[Link]:
        """Only links that are new or earlier than stored (the common repeat costs one read)."""
        best: dict[tuple[str, str], Link] = {}
        for link in links:
            key = (link.a, link.b)
            if key not in best or link.at_ms < best[key].at_ms:
                best[key] = link
        pipe = self.redis.pipeline(transaction=False)
        for link in best.values():
            pipe.hget(_edges_key(project, link.a), link.b)
        stored = pipe.execute()
        return [link for link, at in zip(best.values(), stored, strict=True)
                if at is None or link.at_ms < int(at)]

    def _component(self, pipe: redis.client.Pipeline, project: str, start: set[str]
                   ) -> tuple[set[str], dict[tuple[str, str], int]]:
        seen, frontier = set(start), list(start)
        edges: dict[tuple[str, str], int] = {}
        while frontier and len(seen) < MAX_COMPONENT:
            node = frontier.pop()
            pipe.watch(_edges_key(project, node))
            for other, at in pipe.hgetall(_edges_key(project, node)).items():
                other_s = _s(other)
                edges[(min(node, other_s), max(node, other_s))] = int(at)
                if other_s not in seen:
                    seen.add(other_s)
                    frontier.append(other_s)
        if frontier:
            log.warning("identity component around %s exceeds %d identifiers; cut off",
                        [mask(n) for n in sorted(start)[:3]], MAX_COMPONENT)
        return seen, edges

    def _apply(self, project: str, new: Sequence[Link]) -> int:
        with self.redis.pipeline(transaction=True) as pipe:
            start = {n for link in new for n in (link.a, link.b)}
            nodes, edges = self._component(pipe, project, start)
            for link in new:
                key = (min(link.a, link.b), max(link.a, link.b))
                edges[key] = min(edges.get(key, link.at_ms), link.at_ms)
            anchors = replay(nodes, [(a, b, at) for (a, b), at in edges.items()])
            for link in new:
                if anchors[link.a] != anchors[link.b]:
                    log.info("identity conflict in %s: %s and %s stay apart (two PINs: %s, %s)",
                             project, mask(link.a), mask(link.b), mask(anchors[link.a]),
                             mask(anchors[link.b]))
            ordered = sorted(nodes)
            current = pipe.hmget(_person_key(project), ordered)
            changed = {
                n: person_id_for(anchors[n]) for n, cur in zip(ordered, current, strict=True)
                if (_s(cur) if cur is not None else None) != person_id_for(anchors[n])
            }
            # Watching the version too makes identity changes of one project one-at-a-time, so
            # versions in person_map grow in commit order.
            pipe.watch(_version_key(project))
            version = int(pipe.get(_version_key(project)) or 0) + 1
            pipe.multi()
            for link in new:
                pipe.hset(_edges_key(project, link.a), link.b, _min_at(edges, link))
                pipe.hset(_edges_key(project, link.b), link.a, _min_at(edges, link))
            if changed:
                pipe.hset(_person_key(project), mapping=changed)
                pipe.set(_version_key(project), version)
                for node, person in changed.items():
                    pipe.xadd(OUTBOX, {"p": project, "i": node, "pid": person, "v": version})
            pipe.execute()
        return len(changed)

    def person_of(self, project: str, identifier: str) -> str:
        found = self.redis.hget(_person_key(project), identifier)
        return _s(found) if found is not None else person_id_for(identifier)

    def flush_outbox(self, insert: Any, batch: int = 5000) -> int:
        """Copy queued person changes to ClickHouse's person_map; returns rows written.

        Re-inserting a row after a crash is harmless: same (identifier, version, person).
        """
        total = 0
        while True:
            entries = self.redis.xrange(OUTBOX, count=batch)
            if not entries:
                return total
            rows = []
            for _id, f in entries:
                fields = {_s(k): _s(v) for k, v in f.items()}
                rows.append([fields["p"], fields["i"], fields["pid"], int(fields["v"])])
            insert(rows)
            self.redis.xdel(OUTBOX, *[e[0] for e in entries])
            total += len(rows)


def _min_at(edges: dict[tuple[str, str], int], link: Link) -> int:
    return edges[(min(link.a, link.b), max(link.a, link.b))]
