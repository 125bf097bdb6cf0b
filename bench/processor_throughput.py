"""Processor throughput: events/s from the Redis stream into ClickHouse, one and two processors,
next to the warehouse's raw insert rate for the same rows, and the dedup state's Redis memory.

Starts its own redis-server and warehouse (chDB behind the HTTP interface) on free ports in a
temp dir, migrates, fills the stream with N realistic events (the demo's web journeys, WhatsApp
conversations and AI events, mapped to records the way the collector maps them), then drains it
with real `processor.worker` subprocesses in one consumer group — enrichment, dedup and
identities on, default settings.

    .venv/bin/python bench/processor_throughput.py [--events 200000] [--memory-events 1000000]

Prints numbers; `main()` returns them as a dict. No test asserts a timing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def realistic_payloads(n: int, project_id: str) -> list[str]:
    """`n` stream payloads (EventRecord JSON) from the demo's generator, as the collector makes
    them: capture events through the capture mapping, CRM envelopes through the webhook's."""
    import demo
    from collector.validation import CaptureEvent
    from collector.validation import to_record as capture_record
    from collector.webhooks import CrmEnvelope
    from collector.webhooks import to_record as crm_record

    out: list[str] = []
    seed = 1
    received = datetime.now(UTC)
    while len(out) < n:
        dataset = demo.generate(days=3, people=2000, seed=seed)
        seed += 1
        merged = sorted([(t, "c", e) for t, e in dataset.capture]
                        + [(t, "w", e) for t, e in dataset.crm], key=lambda x: x[0])
        for _t, kind, body in merged:
            if kind == "c":
                record = capture_record(CaptureEvent.model_validate(body), project_id, received,
                                        None, "41.90.64.10", "KE")
            else:
                record = crm_record(CrmEnvelope.model_validate(body), project_id, received, "KE")
            out.append(record.to_stream())
            if len(out) >= n:
                break
    return out


def retarget(payloads: list[str], project_id: str) -> list[str]:
    """The same events for another project (the run's own claims and identities)."""
    import json

    out = []
    for p in payloads:
        d = json.loads(p)
        d["project_id"] = project_id
        out.append(json.dumps(d))
    return out


def fill(r: Any, stream: str, payloads: list[str]) -> None:
    from contract.stream import FIELD

    for i in range(0, len(payloads), 2000):
        pipe = r.pipeline(transaction=False)
        for p in payloads[i:i + 2000]:
            pipe.xadd(stream, {FIELD: p})
        pipe.execute()


def drain_with(processes: int, r: Any, env: dict[str, str], logdir: Path, n: int,
               project_id: str, ch: Any, profile: Path | None = None) -> dict[str, float]:
    """Start `processes` processor subprocesses on the filled stream; time until it is empty.

    The clock starts when the first processor has registered as a consumer (its first read), so
    interpreter start-up is not counted."""
    from tests.engines import start_program

    stream, group = env["NJIA_STREAM"], "processors"
    procs = [start_program("processor.worker", ["--consumer", f"bench-{processes}-{i}"], env,
                           logdir / f"processor-{processes}-{i}.log") for i in range(processes)]
    spy = None
    if profile is not None:  # py-spy on the first processor: collapsed stacks, waits included
        import subprocess

        pyspy = str(Path(sys.executable).parent / "py-spy")
        spy = subprocess.Popen([pyspy, "record", "--nonblocking", "--idle", "-r", "200",
                                "-f", "raw", "-o", str(profile), "-p", str(procs[0].proc.pid)],
                               stdout=subprocess.DEVNULL,
                               stderr=open(str(profile) + ".log", "wb"))  # noqa: SIM115
    try:
        began = None
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            if began is None:
                try:
                    if r.xinfo_consumers(stream, group):
                        began = time.monotonic()
                except Exception:
                    pass
            if began is not None and r.xlen(stream) == 0:
                break
            for p in procs:
                if p.proc.poll() is not None:
                    raise RuntimeError(f"processor exited: {p.output()[-3000:]}")
            time.sleep(0.02)
        elapsed = time.monotonic() - (began or time.monotonic())
    finally:
        if spy is not None:
            spy.send_signal(2)  # SIGINT: py-spy writes its file and exits
            spy.wait(30)
        for p in procs:
            p.stop()
    stored = int(ch.command("SELECT count() FROM events WHERE project_id = {p:String}",
                            parameters={"p": project_id}))
    for i in range(processes):
        r.xgroup_delconsumer(stream, group, f"bench-{processes}-{i}")
    return {"seconds": elapsed, "events_per_s": n / elapsed if elapsed else 0.0,
            "stored": stored}


def raw_insert_rate(payloads: list[str], project_id: str, ch: Any,
                    chunk: int = 10_000) -> float:
    """clickhouse-connect inserts of the same rows (already built), chunk rows at a time."""
    from contract.record import EventRecord
    from processor.enrich import default_enrichers
    from processor.rows import COLUMNS, to_row

    enrichers = default_enrichers()
    rows = []
    for p in payloads:
        record = EventRecord.from_stream(p)
        rows.append(to_row(record.model_copy(update={"project_id": project_id}), enrichers))
    began = time.monotonic()
    for i in range(0, len(rows), chunk):
        ch.insert("events", rows[i:i + chunk], column_names=list(COLUMNS))
    return len(rows) / (time.monotonic() - began)


def dedup_memory(r: Any, n: int) -> dict[str, float]:
    """Redis bytes per event of dedup state: the old per-event key (SET NX EX, one per event
    for max age + 2 days) next to the current design (processor.dedup) for `n` events."""
    from processor import dedup

    def used() -> int:
        return int(r.info("memory")["used_memory"])

    out: dict[str, float] = {}
    r.flushall()
    base = used()
    for i in range(0, n, 10_000):
        pipe = r.pipeline(transaction=False)
        for _ in range(min(10_000, n - i)):
            pipe.set(f"njia:seen:bench-mem:{uuid.uuid4()}", f"{int(time.time()*1000)}-0",
                     nx=True, ex=9 * 86400)
        pipe.execute()
    out["per_event_key_bytes"] = (used() - base) / n
    r.flushall()
    base = used()
    # The current design: every event passes the short-horizon claim and the day's filter; the
    # claims expire after the retry window, so what stays per event is its filter bits.
    recorder = getattr(dedup, "bench_record", None)
    if recorder is None:
        out["current_bytes"] = out["per_event_key_bytes"]
        out["current_claims_bytes"] = out["per_event_key_bytes"]
        return out
    claims_bytes, filter_bytes = recorder(r, n, used)
    out["current_claims_bytes"] = claims_bytes
    out["current_bytes"] = filter_bytes
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--memory-events", type=int, default=1_000_000)
    parser.add_argument("--profile", type=Path, default=None,
                        help="py-spy the single processor; collapsed stacks to this file")
    args = parser.parse_args(argv)

    from tests.engines import free_port, start_redis
    from tests.warehouse_fixture import start_warehouse

    figures: dict[str, Any] = {"events": args.events}
    with tempfile.TemporaryDirectory(prefix="njia-bench-proc-") as tmp:
        base = Path(tmp)
        redis_server = start_redis(base / "redis")
        warehouse = start_warehouse(base / "warehouse")
        try:
            env = dict(os.environ)
            env.update({
                "NJIA_DATA_DIR": str(base / "data"),
                "REDIS_URL": redis_server.url,
                "CLICKHOUSE_URL": f"{warehouse.url}/njia",
                "CLICKHOUSE_READER_URL": f"{warehouse.reader_url}/njia",
                "COLLECTOR_PORT": str(free_port()),
                "NJIA_STREAM": "njia:events",
                "NJIA_SECRET_KEY": "bench-secret-key",
                "PYTHONPATH": str(ROOT),
            })
            os.environ.update(env)
            from config.settings import get_settings

            get_settings.cache_clear()
            from metadata.db import migrate as migrate_metadata
            from warehouse.client import new_client
            from warehouse.migrate import migrate as migrate_warehouse

            migrate_metadata()
            migrate_warehouse()
            ch = new_client(env["CLICKHOUSE_URL"])
            r = redis_server.client()
            began = time.monotonic()
            payloads = realistic_payloads(args.events, "bench-raw")
            print(f"generated {len(payloads)} events in {time.monotonic() - began:.1f} s",
                  flush=True)

            figures["raw_insert_per_s"] = raw_insert_rate(payloads, "bench-raw", ch)
            print(f"warehouse raw insert (clickhouse-connect, 10 k rows): "
                  f"{figures['raw_insert_per_s']:,.0f} rows/s", flush=True)

            for processes in (1, 2):
                project = f"bench-{processes}p"
                fill(r, env["NJIA_STREAM"], retarget(payloads, project))
                result = drain_with(processes, r, env, base, len(payloads), project, ch,
                                    args.profile if processes == 1 else None)
                figures[f"processors_{processes}"] = result
                print(f"{processes} processor(s): {result['events_per_s']:,.0f} events/s "
                      f"({result['seconds']:.1f} s, {result['stored']} stored)", flush=True)
            one = figures["processors_1"]["events_per_s"]
            figures["two_over_one"] = figures["processors_2"]["events_per_s"] / one if one else 0
            print(f"two / one: {figures['two_over_one']:.2f}×", flush=True)

            memory = dedup_memory(r, args.memory_events)
            figures["dedup_memory"] = memory
            print(f"dedup state, old per-event key: {memory['per_event_key_bytes']:.0f} B/event "
                  f"= {memory['per_event_key_bytes']:.0f} MB per million events", flush=True)
            print(f"dedup state, short-horizon claims (retry window only): "
                  f"{memory['current_claims_bytes']:.0f} B/event", flush=True)
            print(f"dedup state kept for the horizon (Bloom filters): "
                  f"{memory['current_bytes']:.1f} B/event "
                  f"= {memory['current_bytes']:.1f} MB per million events", flush=True)
        finally:
            warehouse.stop()
            redis_server.stop()
    return figures


if __name__ == "__main__":
    main()
