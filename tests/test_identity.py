"""Identity stitching: links, guardrails, arrival order, concurrency, and `njia person show`."""

from __future__ import annotations

import itertools
import json
import random
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest

from contract.identifiers import person_id_for
from metadata.access import OPERATOR
from processor.identity import IdentityGraph, Link, replay
from tests.conftest import make_event


def components(anchors: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for node, anchor in anchors.items():
        groups.setdefault(anchor, set()).add(node)
    return {frozenset(g) for g in groups.values()}


def test_replay_merges_connected_identifiers():
    anchors = replay(["anon:a", "user:P1", "phone:+254711111111", "email:x@y"],
                     [("anon:a", "user:P1", 1), ("anon:a", "phone:+254711111111", 2),
                      ("phone:+254711111111", "email:x@y", 3)])
    assert set(anchors.values()) == {"user:P1"}


def test_two_pins_never_merge_and_shared_device_stays_with_first_pin():
    edges = [("anon:cafe", "user:P1", 10), ("anon:cafe", "user:P2", 20)]
    anchors = replay(["anon:cafe", "user:P1", "user:P2"], edges)
    assert anchors == {"anon:cafe": "user:P1", "user:P1": "user:P1", "user:P2": "user:P2"}


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_replay_result_does_not_depend_on_arrival_order(order):
    edges = [("anon:cafe", "user:P2", 20), ("anon:cafe", "user:P1", 10),
             ("phone:+254700000001", "anon:cafe", 15), ("email:e@x", "user:P2", 30)]
    nodes = {n for e in edges for n in e[:2]}
    expected = replay(nodes, edges)
    assert replay(nodes, [edges[i] for i in order]) == expected
    assert expected["phone:+254700000001"] == "user:P1"


def test_late_earlier_link_moves_the_shared_identifier(stack):
    """P2 used the café browser first (by event time) but its link arrives last."""
    graph = IdentityGraph(stack.redis.client())
    project = "late-order"
    graph.link(project, [Link("user:P1", "anon:cafe", 2_000)])
    assert graph.person_of(project, "anon:cafe") == person_id_for("user:P1")
    graph.link(project, [Link("user:P2", "anon:cafe", 1_000)])
    assert graph.person_of(project, "anon:cafe") == person_id_for("user:P2")
    assert graph.person_of(project, "user:P1") == person_id_for("user:P1")


def test_concurrent_linkers_end_in_one_person(stack):
    """Many threads (each its own Redis connection, like processors) link one chain."""
    project = "concurrent"
    nodes = [f"anon:{i}" for i in range(40)]
    links = [Link(nodes[i], nodes[i + 1], 1000 + i) for i in range(len(nodes) - 1)]
    random.Random(7).shuffle(links)
    chunks = [links[i::8] for i in range(8)]

    def work(chunk):
        graph = IdentityGraph(stack.redis.client())
        for link in chunk:
            graph.link(project, [link])

    threads = [threading.Thread(target=work, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    graph = IdentityGraph(stack.redis.client())
    persons = {graph.person_of(project, n) for n in nodes}
    assert persons == {person_id_for(min(nodes))}


def test_web_identify_then_whatsapp_is_one_person(stack, capsys):
    from cli.main import main as njia

    p = stack.project()
    now = datetime.now(UTC)
    web = [
        make_event("page_view", anonymous_id="anon-w1", timestamp=(now - timedelta(hours=2))
                   .isoformat()),
        make_event("identify", anonymous_id="anon-w1", user_id="A001234567Z",
                   traits={"phone": "0711 111 111", "email": "Wanjiku@Example.com"},
                   timestamp=(now - timedelta(hours=2)).isoformat()),
    ]
    stack.post("/v1/capture", {"batch": web}, p["write_key"])
    import hashlib
    import hmac

    import requests

    crm = json.dumps({"id": "wa-1", "event": "message.received",
                      "timestamp": (now - timedelta(hours=1)).isoformat(),
                      "data": {"whatsapp_number": "254711111111", "message_id": "w1"}}).encode()
    sig = "sha256=" + hmac.new(p["webhook_secret"].encode(), crm, hashlib.sha256).hexdigest()
    requests.post(f"{stack.collector_url}/v1/webhooks/crm", data=crm, timeout=10,
                  headers={"X-Write-Key": p["write_key"], "X-Signature": sig})
    stack.drain()
    capsys.readouterr()
    assert njia(["person", "show", "+254711111111", "--project", p["project_id"]]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["person_id"] == person_id_for("user:A001234567Z")
    assert shown["identifiers"] == {"anon": ["anon-w1"], "email": ["wanjiku@example.com"],
                                    "phone": ["+254711111111"], "user": ["A001234567Z"]}
    assert shown["events_by_channel"]["web"]["events"] == 2
    assert shown["events_by_channel"]["whatsapp"]["events"] == 1
    # Any identifier finds the same person.
    for ident in ("A001234567Z", "anon-w1", "wanjiku@example.com", "0711 111 111"):
        assert njia(["person", "show", ident, "--project", p["project_id"]]) == 0
        assert json.loads(capsys.readouterr().out)["person_id"] == shown["person_id"]


def test_two_pins_sharing_a_device_never_merge_end_to_end(stack, capsys):
    from cli.main import main as njia

    p = stack.project()
    now = datetime.now(UTC)
    batch = [
        make_event("identify", anonymous_id="cafe-pc", user_id="P-FIRST",
                   timestamp=(now - timedelta(hours=3)).isoformat()),
        make_event("page_view", anonymous_id="cafe-pc", user_id="P-FIRST",
                   timestamp=(now - timedelta(hours=3)).isoformat()),
        make_event("identify", anonymous_id="cafe-pc", user_id="P-SECOND",
                   timestamp=(now - timedelta(hours=1)).isoformat()),
        make_event("return_filed", anonymous_id="cafe-pc", user_id="P-SECOND",
                   timestamp=(now - timedelta(hours=1)).isoformat()),
    ]
    # Arrival order reversed: the second PIN's events come first.
    stack.post("/v1/capture", {"batch": batch[2:]}, p["write_key"])
    stack.drain()
    stack.post("/v1/capture", {"batch": batch[:2]}, p["write_key"])
    stack.drain()
    capsys.readouterr()
    njia(["person", "show", "P-FIRST", "--project", p["project_id"]])
    first = json.loads(capsys.readouterr().out)
    njia(["person", "show", "P-SECOND", "--project", p["project_id"]])
    second = json.loads(capsys.readouterr().out)
    assert first["person_id"] != second["person_id"]
    assert first["identifiers"] == {"anon": ["cafe-pc"], "user": ["P-FIRST"]}
    assert second["identifiers"] == {"user": ["P-SECOND"]}
    assert second["events"] == 2  # its events carry its PIN, so they stay its own


def test_person_show_needs_project_when_several_exist(stack, capsys):
    from cli.main import main as njia

    stack.project()
    stack.project()
    assert njia(["person", "show", "+254700000000"]) == 2
    assert "--project" in capsys.readouterr().err


def test_placeholder_ids_never_link(stack):
    p = stack.project()
    now = datetime.now(UTC).isoformat()
    batch = [make_event("identify", anonymous_id="undefined", user_id="P-A", timestamp=now),
             make_event("identify", anonymous_id="undefined", user_id="P-B", timestamp=now),
             make_event("page_view", anonymous_id="guest", user_id="null", timestamp=now)]
    r = stack.post("/v1/capture", {"batch": batch}, p["write_key"])
    assert r.json()["accepted"] == 2  # the third has no real identity at all
    stack.drain()
    graph = IdentityGraph(stack.redis.client())
    assert graph.person_of(p["project_id"], "user:P-A") == person_id_for("user:P-A")
    assert graph.person_of(p["project_id"], "user:P-B") == person_id_for("user:P-B")


def test_sessions_person_search_follows_identity(stack):
    """Searching a person by email or by a phone in another format finds all their sessions."""
    from queries.runner import run
    from tests.sessions_helpers import at, crm, old_project, post_crm, post_web, web

    p = old_project(stack)
    post_web(stack, p, [web("identify", at(0), anon="srch", user_id="PIN-S",
                            traits={"phone": "0711 222 333", "email": "Akinyi@Example.com"})])
    post_crm(stack, p, [crm("message.received", at(90), "254711222333", message_id="s1")])
    stack.drain()
    day = at(0).date().isoformat()
    for text in ("akinyi@example.com", "0711 222 333", "+254711222333", "PIN-S"):
        found = run("sessions_list", {"project": p["project_id"], "from": day, "to": day,
                                      "person": text}, OPERATOR)
        assert sorted(found["channel"]) == ["web", "whatsapp"], text
    none = run("sessions_list", {"project": p["project_id"], "from": day, "to": day,
                                 "person": "nobody@example.com"}, OPERATOR)
    assert none.empty


# ---- a hub grown by one write key: bounded in size and time, and counted -----------------------
def hgetall_calls(client) -> int:  # noqa: ANN001
    return int(client.info("commandstats").get("cmdstat_hgetall", {}).get("calls", 0))


def test_hub_component_is_capped_in_size_and_then_refused_cheaply(stack):
    """One email shared by many anonymous ids: once the component is at its limit, a new link
    to it is refused (and counted) without walking the component again."""
    client = stack.redis.client()
    graph = IdentityGraph(client, max_component=40)
    project = "hub-size"
    hub = "email:shared@example.com"
    results = [graph.link(project, [Link(f"anon:a{i:03d}", hub, 1000 + i)]) for i in range(60)]
    refused = [i for i, r in enumerate(results) if r.refused.get("component_too_large")]
    assert refused and refused == list(range(refused[0], 60))  # from the limit on, all refused
    assert 30 <= refused[0] <= 40
    linked = graph.person_of(project, hub)
    assert graph.person_of(project, "anon:a000") == linked
    assert graph.person_of(project, "anon:a059") != linked  # refused: stays on its own
    before = hgetall_calls(client)
    assert graph.link(project, [Link("anon:late", hub, 5000)]).refused == {
        "component_too_large": 1}
    assert hgetall_calls(client) - before <= 1  # no walk of the 40 identifiers


def test_links_beside_a_hub_in_one_batch_still_apply(stack):
    graph = IdentityGraph(stack.redis.client(), max_component=20)
    project = "hub-batch"
    hub = "email:shared@example.com"
    for i in range(25):
        graph.link(project, [Link(f"anon:h{i}", hub, 1000 + i)])
    result = graph.link(project, [Link("anon:x1", hub, 9000), Link("user:P-OK", "anon:ok", 9000)])
    assert result.refused == {"component_too_large": 1}
    assert graph.person_of(project, "anon:ok") == person_id_for("user:P-OK")


def test_replay_is_bounded_in_time(stack, monkeypatch):
    """A component that takes too long to walk (here: a slow clock) is not replayed in the hot
    path: the link is refused and counted, and tried again next time (not marked for good)."""
    import processor.identity as identity

    client = stack.redis.client()
    project = "hub-time"
    chain = [f"anon:c{i:02d}" for i in range(30)]
    IdentityGraph(client).link(project, [Link(a, b, 1000 + i) for i, (a, b) in
                                         enumerate(itertools.pairwise(chain))])
    clock = iter(range(0, 10**9, 10))  # every reading of the clock is 10 ms later
    monkeypatch.setattr(identity.time, "monotonic", lambda: next(clock) / 1000)
    slow = IdentityGraph(client, max_replay_ms=100)
    result = slow.link(project, [Link("user:P-T", chain[-1], 9000)])
    assert result.refused == {"replay_too_slow": 1}
    assert slow.person_of(project, "user:P-T") != slow.person_of(project, chain[0])
    monkeypatch.undo()
    assert IdentityGraph(client).link(project, [Link("user:P-T", chain[-1], 9000)]).refused == {}
    assert slow.person_of(project, chain[0]) == person_id_for("user:P-T")


def test_refused_and_capped_links_are_counted_in_metrics(stack, monkeypatch):
    import requests

    from config.settings import get_settings

    def refused() -> dict[str, float]:
        text = requests.get(f"{stack.collector_url}/metrics", timeout=10).text
        found = {}
        for line in text.splitlines():
            match = re.match(r'njia_processor_identity_links_refused_total\{reason="(\w+)"\} (\S+)',
                             line)
            if match:
                found[match.group(1)] = float(match.group(2))
        return found

    before = refused()
    assert set(before) == {"pin_conflict", "component_too_large", "replay_too_slow"}
    monkeypatch.setenv("IDENTITY_MAX_COMPONENT", "10")
    get_settings.cache_clear()
    try:
        p = stack.project()
        now = datetime.now(UTC)
        shared = [make_event("identify", anonymous_id=f"bot-{i}", traits={"email": "x@bot.test"},
                             timestamp=(now - timedelta(minutes=30 - i)).isoformat())
                  for i in range(20)]
        pins = [make_event("identify", anonymous_id="kiosk", user_id=pin,
                           timestamp=(now - timedelta(hours=h)).isoformat())
                for pin, h in (("P-ONE", 3), ("P-TWO", 1))]
        stack.post("/v1/capture", {"batch": shared}, p["write_key"])
        stack.drain()
        stack.post("/v1/capture", {"batch": pins[:1]}, p["write_key"])
        stack.drain()
        stack.post("/v1/capture", {"batch": pins[1:]}, p["write_key"])
        stack.drain()
    finally:
        monkeypatch.delenv("IDENTITY_MAX_COMPONENT")
        get_settings.cache_clear()
    after = refused()
    assert after["component_too_large"] - before["component_too_large"] >= 9
    assert after["pin_conflict"] - before["pin_conflict"] == 1
