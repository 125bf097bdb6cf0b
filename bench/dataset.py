"""Bench datasets: the demo's realistic traffic, multiplied in ClickHouse to 1 M / 10 M events.

A base set (`demo.generate`: web journeys with drop-off, WhatsApp conversations with receipts
and CSAT, AI events, cross-channel identities, over 30 days) is turned into rows the
processor's way (the collector's validation → `EventRecord` → enrichers → `processor.rows`) and
inserted into a staging table `bench_base`. `events` then gets R replicas of it through
`INSERT … SELECT … ARRAY JOIN range(R)`: replica r > 0 appends `.r<r>` to every identifier
(anonymous id, PIN, phone, email, SDK session id, chat and message ids), draws new event ids and
shifts all its events by the same few minutes, so persons, sessions and conversations stay
distinct and each replica keeps the base's shape. `person_map` gets the base's identity graph
(`processor.identity.replay` over the base's links) once per replica with the same renaming.

The build is done once per size and cached under the bench data dir (`meta.json` marks a
finished build); when `njia rebuild` exists (the materialised journey model), it is run after
the insert and recorded, and a cached dataset built before it gets it on the next run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT = "bench"
DAYS = 30
BASE_PEOPLE = 5000
SEED = 1
SIZES = {"1M": 1_000_000, "10M": 10_000_000}
CHUNK = 8  # replicas per INSERT … SELECT


def parse_size(text: str) -> int:
    text = text.strip().upper()
    if text in SIZES:
        return SIZES[text]
    for suffix, mul in (("K", 1_000), ("M", 1_000_000)):
        if text.endswith(suffix):
            return int(float(text[:-1]) * mul)
    return int(text)


def read_meta(directory: Path) -> dict[str, Any] | None:
    path = directory / "meta.json"
    return json.loads(path.read_text()) if path.exists() else None


def wipe(directory: Path) -> None:
    """An unfinished build is thrown away whole."""
    if directory.exists():
        shutil.rmtree(directory)


def base_rows(project: str, now_ms: int) -> tuple[list[list[Any]], list[tuple[str, str]], dict]:
    """The base set as `events` rows, the base's person_map (identifier, anchor) and stats."""
    import demo
    from collector.validation import CaptureEvent
    from collector.validation import to_record as capture_record
    from collector.webhooks import CrmEnvelope
    from collector.webhooks import to_record as crm_record
    from processor.enrich.base import default_enrichers
    from processor.identity import links_from, replay
    from processor.rows import to_row

    t0 = time.monotonic()
    data = demo.generate(DAYS, BASE_PEOPLE, SEED, now_ms=now_ms)
    generated = time.monotonic() - t0
    records = []
    rejected = 0
    for at_ms, item in data.capture:
        received = datetime.fromtimestamp(at_ms / 1000, UTC) + timedelta(seconds=1)
        try:
            records.append(capture_record(CaptureEvent.model_validate(item), project, received,
                                          None, "", "KE"))
        except ValueError:
            rejected += 1
    for at_ms, item in data.crm:
        received = datetime.fromtimestamp(at_ms / 1000, UTC) + timedelta(seconds=1)
        try:
            records.append(crm_record(CrmEnvelope.model_validate(item), project, received, "KE"))
        except ValueError:
            rejected += 1
    seen: set[uuid.UUID] = set()
    unique = []
    for r in sorted(records, key=lambda r: r.timestamp):
        if r.event_id not in seen:  # the processor's exactly-once
            seen.add(r.event_id)
            unique.append(r)
    enrichers = default_enrichers()
    rows = [to_row(r, enrichers) for r in unique]
    nodes: set[str] = set()
    edges: dict[tuple[str, str], int] = {}
    for r in unique:
        for link in links_from(r):
            nodes.update((link.a, link.b))
            key = (link.a, link.b)
            edges[key] = min(edges.get(key, link.at_ms), link.at_ms)
        # a lone identifier is its own person: the processor writes no row that changes nothing
    anchors = replay(nodes, [(a, b, at) for (a, b), at in edges.items()])
    stats = {"generated_s": round(generated, 1), "rows_s": round(time.monotonic() - t0, 1),
             "base_events": len(rows), "rejected": rejected,
             "duplicates": len(records) - len(unique),
             "identifiers_linked": len(anchors), "start_ms": data.start_ms, "now_ms": data.now_ms}
    return rows, sorted(anchors.items()), stats


def _replica_select(columns: list[str], first: int, last: int) -> str:
    suffixed = {"anonymous_id", "user_id", "phone", "email", "session_id", "message_id", "chat_id"}
    shifted = {"timestamp", "received_at"}
    exprs = []
    for c in columns:
        if c in suffixed:
            exprs.append(f"if({c} != '' AND r > 0, concat({c}, '.r', toString(r)), {c}) AS {c}")
        elif c in shifted:
            exprs.append(f"{c} - toIntervalSecond((r * 7919) % 1800) AS {c}")
        elif c == "event_id":
            exprs.append("if(r = 0, event_id, generateUUIDv4(r)) AS event_id")
        else:
            exprs.append(c)
    return (f"INSERT INTO events ({', '.join(columns)}) SELECT {', '.join(exprs)} "
            f"FROM bench_base ARRAY JOIN range({first}, {last}) AS r")


def build(directory: Path, size: int, log=print) -> dict[str, Any]:
    """Fill the (migrated, empty) warehouse of `directory` with `size` events; returns meta."""
    from contract.identifiers import person_id_for
    from metadata.projects import create_project, get_project, update_settings
    from processor.rows import COLUMNS
    from warehouse.client import new_client

    began = time.monotonic()
    if get_project(PROJECT) is None:
        create_project(PROJECT)
    update_settings(PROJECT, max_event_age_seconds=(DAYS + 2) * 86400)
    now_ms = int(time.time() // 3600 * 3600 * 1000)  # on the hour: reproducible ranges
    rows, anchors, stats = base_rows(PROJECT, now_ms)
    log(f"  base set: {stats['base_events']:,} events, built in {stats['rows_s']} s")
    ch = new_client()
    ch.command("DROP TABLE IF EXISTS bench_base")
    ch.command("CREATE TABLE bench_base AS events")
    cols = list(COLUMNS)
    for i in range(0, len(rows), 20_000):
        ch.insert("bench_base", rows[i:i + 20_000], column_names=cols)
    base = len(rows)
    replicas = max(1, round(size / base))
    t_rep = time.monotonic()
    for first in range(0, replicas, CHUNK):
        last = min(replicas, first + CHUNK)
        ch.command(_replica_select(cols, first, last))
        log(f"  replicas {last}/{replicas} ({time.monotonic() - t_rep:.0f} s)")
    pm_rows = []
    for r in range(replicas):
        sfx = "" if r == 0 else f".r{r}"
        pm_rows.extend([PROJECT, ident + sfx, person_id_for(anchor + sfx), 1]
                       for ident, anchor in anchors)
        if len(pm_rows) >= 200_000 or r == replicas - 1:
            ch.insert("person_map", pm_rows,
                      column_names=["project_id", "identifier", "person_id", "version"])
            pm_rows = []
    ch.command("DROP TABLE bench_base")
    t_opt = time.monotonic()
    ch.command("OPTIMIZE TABLE events FINAL")  # one part per partition, as a settled table
    optimize_s = time.monotonic() - t_opt
    total = int(ch.command(f"SELECT count() FROM events WHERE project_id = '{PROJECT}'"))
    meta = {
        "size_label": None, "events": total, "replicas": replicas, "base": stats,
        "person_map_rows": replicas * len(anchors),
        "build_seconds": round(time.monotonic() - began, 1),
        "replicate_seconds": round(t_opt - t_rep, 1),
        "optimize_seconds": round(optimize_s, 1),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "start_ms": stats["start_ms"], "now_ms": stats["now_ms"],
    }
    return meta


def model_current(meta: dict[str, Any]) -> bool:
    """Whether the dataset's journey model was built with this code's journey SQL."""
    from warehouse.journey_sql import definition

    done = meta.get("rebuild")
    # A rebuild that failed left the model as it was: not current (the next run tries again).
    return (isinstance(done, dict) and done.get("rc", 0) == 0
            and done.get("definition") == definition())


def rebuild_model(meta: dict[str, Any], env: dict[str, str], log=print) -> None:
    """Run `njia rebuild` once per dataset and journey SQL (the journey model): again after the
    journey SQL changed (warehouse/journey_sql.definition)."""
    from warehouse.journey_sql import definition

    njia = [sys.executable, "-m", "cli.main"]
    helped = subprocess.run([*njia, "--help"], capture_output=True, text=True, env=env)
    if "rebuild" not in helped.stdout:
        meta.setdefault("rebuild", "not available (sessions are computed at query time)")
        return
    if model_current(meta):
        return
    t0 = time.monotonic()
    done = subprocess.run([*njia, "rebuild", "--project", PROJECT], env=env)
    meta["rebuild"] = {"seconds": round(time.monotonic() - t0, 1), "rc": done.returncode,
                       "definition": definition()}
    log(f"  njia rebuild: {meta['rebuild']}")


def write_meta(directory: Path, meta: dict[str, Any]) -> None:
    (directory / "meta.json").write_text(json.dumps(meta, indent=2))
