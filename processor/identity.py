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

Applying a link walks its component, so the hot path is bounded: see `IdentityGraph` for the
size and time limits (IDENTITY_MAX_COMPONENT, IDENTITY_MAX_REPLAY_MS) and the refused links the
processor counts. Identifiers in log lines are masked (contract.masking).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis

from contract.identifiers import identifiers, person_id_for
from contract.masking import mask
from contract.record import EventRecord

log = logging.getLogger("njia.processor.identity")

OUTBOX = "njia:id:outbox"
# Defaults of IDENTITY_MAX_COMPONENT and IDENTITY_MAX_REPLAY_MS (see IdentityGraph).
MAX_COMPONENT = 5000
MAX_REPLAY_MS = 250


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


def _capped_key(project: str) -> str:
    return f"njia:id:{project}:capped"


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


@dataclass
class LinkResult:
    """What one `IdentityGraph.link` call did: identifiers that changed person, and links
    refused by reason (REFUSAL_REASONS), which the processor counts for /metrics."""

    changed: int = 0
    refused: Counter[str] = field(default_factory=Counter)


class _Refused(Exception):
    def __init__(self, reason: str, hub: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hub = hub


class IdentityGraph:
    """Bounded in the hot path: a link into a component of more than `max_component`
    identifiers is refused, and the component's hub and the link's identifiers are marked, so
    the next link to it is refused after one read instead of another walk (one write key
    sending many anonymous ids with one shared email grows exactly such a hub). All walks of
    one `link` call stop after `max_replay_ms`; the links left are refused, and not marked: a
    slow moment must not refuse a component for good."""

    def __init__(self, client: redis.Redis, max_component: int = MAX_COMPONENT,
                 max_replay_ms: int = MAX_REPLAY_MS) -> None:
        self.redis = client
        self.max_component = max_component
        self.max_replay_ms = max_replay_ms

    def link(self, project: str, links: Sequence[Link]) -> LinkResult:
        """Record links; says how many identifiers changed person and which links were refused."""
        result = LinkResult()
        if not links:
            return result
        new = self._new_links(project, links)
        if new:
            deadline = time.monotonic() + self.max_replay_ms / 1000
            self._link_group(project, new, deadline, result)
        return result

    def _link_group(self, project: str, new: list[Link], deadline: float,
                    result: LinkResult) -> None:
        new = self._drop_capped(project, new, result)
        if not new:
            return
        for _attempt in range(50):
            try:
                changed, conflicts = self._apply(project, new, deadline)
            except redis.WatchError:
                continue
            except _Refused as refused:
                if len(new) > 1 and refused.reason == "component_too_large":
                    # One hub must not cost the batch's other links: one at a time, so only
                    # the links into the oversized component are refused.
                    for link in new:
                        self._link_group(project, [link], deadline, result)
                    return
                self._refuse(project, new, refused, result)
                return
            result.changed += changed
            for link, anchor_a, anchor_b in conflicts:
                log.info("identity conflict in %s: %s and %s stay apart (two PINs: %s, %s)",
                         project, mask(link.a), mask(link.b), mask(anchor_a), mask(anchor_b))
            if conflicts:
                result.refused["pin_conflict"] += len(conflicts)
            return
        raise RuntimeError(f"identity update for {project} kept conflicting")

    def _drop_capped(self, project: str, new: list[Link], result: LinkResult) -> list[Link]:
        """Links whose identifiers are not in a component already found too large."""
        nodes = sorted({n for link in new for n in (link.a, link.b)})
        flags = self.redis.smismember(_capped_key(project), nodes)
        capped = {n for n, flag in zip(nodes, flags, strict=True) if flag}
        kept = [link for link in new if link.a not in capped and link.b not in capped]
        if len(kept) < len(new):
            result.refused["component_too_large"] += len(new) - len(kept)
        return kept

    def _refuse(self, project: str, new: list[Link], refused: _Refused,
                result: LinkResult) -> None:
        result.refused[refused.reason] += len(new)
        if refused.reason == "component_too_large":
            marked = {n for link in new for n in (link.a, link.b)} | (
                {refused.hub} if refused.hub else set())
            self.redis.sadd(_capped_key(project), *marked)
            log.warning("identity component around %s has more than %d identifiers: links to "
                        "it are refused from now on", [mask(n) for n in sorted(marked)[:3]],
                        self.max_component)
        else:
            log.warning("identity links around %s refused: walking their component took more "
                        "than %d ms", [mask(n) for n in sorted({new[0].a, new[0].b})],
                        self.max_replay_ms)

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

    def _component(self, pipe: redis.client.Pipeline, project: str, start: set[str],
                   deadline: float) -> tuple[set[str], dict[tuple[str, str], int]]:
        """The component around `start` and its edges, read one breadth level per round trip.

        Each level's link sets are WATCHed on the transaction's connection before they are read
        (on another), so a change after the read still aborts the transaction.
        """
        seen, frontier = set(start), sorted(start)
        edges: dict[tuple[str, str], int] = {}
        hub, hub_degree = None, 0
        while frontier:
            if len(seen) > self.max_component:
                raise _Refused("component_too_large", hub)
            if time.monotonic() > deadline:
                raise _Refused("replay_too_slow")
            keys = [_edges_key(project, node) for node in frontier]
            pipe.watch(*keys)
            reader = self.redis.pipeline(transaction=False)
            for key in keys:
                reader.hgetall(key)
            reader.smismember(_capped_key(project), frontier)
            *linked, capped = reader.execute()
            if any(capped):
                raise _Refused("component_too_large")
            next_frontier = []
            for node, others in zip(frontier, linked, strict=True):
                if len(others) > hub_degree:
                    hub, hub_degree = node, len(others)
                for other, at in others.items():
                    other_s = _s(other)
                    edges[(min(node, other_s), max(node, other_s))] = int(at)
                    if other_s not in seen:
                        seen.add(other_s)
                        next_frontier.append(other_s)
            frontier = next_frontier
        return seen, edges

    def _apply(self, project: str, new: Sequence[Link], deadline: float
               ) -> tuple[int, list[tuple[Link, str, str]]]:
        """Apply the links in one transaction: (identifiers that changed person, the links the
        two-PIN guardrail kept apart with both sides' anchors)."""
        with self.redis.pipeline(transaction=True) as pipe:
            start = {n for link in new for n in (link.a, link.b)}
            nodes, edges = self._component(pipe, project, start, deadline)
            for link in new:
                key = (min(link.a, link.b), max(link.a, link.b))
                edges[key] = min(edges.get(key, link.at_ms), link.at_ms)
            anchors = replay(nodes, [(a, b, at) for (a, b), at in edges.items()])
            conflicts = [(link, anchors[link.a], anchors[link.b]) for link in new
                         if anchors[link.a] != anchors[link.b]]
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
        return len(changed), conflicts

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
