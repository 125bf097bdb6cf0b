"""One collector process's throughput on `POST /v1/capture`, next to the raw Redis XADD ceiling.

Starts its own redis-server (as the stack runs it: AOF, fsync every second) and one collector
subprocess on free loopback ports, with a fresh metadata store and one project; then, for each
batch size (1, 10, 50, 500 events), drives the collector with concurrent aiohttp clients for a
bounded time and reports events/s and the p50/p99 latency of a request. In the same run it
measures the ceiling the collector writes into: pipelined XADDs of the same stream entries, one
pipeline of `batch size` entries per round trip, from as many concurrent connections.

    .venv/bin/python bench/collector_throughput.py [--seconds 8] [--concurrency 8]
        [--sizes 1,10,50,500] [--profile 50:var/collector.svg]

`main()` returns the figures as a dict (for `make bench`) besides printing them. It prints
numbers; no test asserts a timing. The load generator shares the machine with the collector and
Redis, so on a small machine the figures are a lower bound of what the collector can take.
`--collector-root DIR` runs the collector from another checkout (a before/after comparison).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stack.embedded import free_port  # noqa: E402 - after the path is set

DEFAULT_SIZES = (1, 10, 50, 500)
USER_AGENT = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0.0.0 Safari/537.36")



def _event(i: int, now: datetime) -> dict[str, Any]:
    """An SDK event as the tax app sends it: a page view or a track call with properties."""
    ts = (now - timedelta(milliseconds=i % 5000)).isoformat().replace("+00:00", "Z")
    event: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "event_name": "page_view" if i % 3 else "return_filed",
        "timestamp": ts,
        "anonymous_id": f"anon-{uuid.uuid4().hex[:16]}",
        "session_id": f"s-{i % 997}",
        "channel": "web",
        "context": {
            "page": {"path": f"/returns/{i % 40}", "title": "File a return",
                     "url": f"https://itax.example.ke/returns/{i % 40}", "referrer": ""},
            "userAgent": USER_AGENT,
            "library": {"name": "njia-js", "version": "1.0.0"},
            "locale": "en-KE",
            "timezone": "Africa/Nairobi",
        },
        "properties": {"obligation": "NIL", "step": i % 7, "amount": 1500.5},
    }
    if i % 10 == 0:
        event["user_id"] = f"A{i:09d}Z"
        event["traits"] = {"email": f"User{i}@Example.com", "phone": "0711 111 111"}
    return event


def _bodies(size: int, count: int) -> list[bytes]:
    now = datetime.now(UTC)
    sent_at = now.isoformat().replace("+00:00", "Z")
    out = []
    for b in range(count):
        batch = [_event(b * size + i, now) for i in range(size)]
        out.append(json.dumps({"batch": batch, "sent_at": sent_at}).encode())
    return out


def _entries(bodies: list[bytes], project_id: str) -> list[list[str]]:
    """The stream entries the collector writes for these bodies (the XADD ceiling's payload)."""
    from contract.record import EventRecord

    now = datetime.now(UTC)
    out = []
    for body in bodies:
        entries = []
        for e in json.loads(body)["batch"]:
            record = EventRecord(
                project_id=project_id, event_id=e["event_id"], event_name=e["event_name"],
                channel=e["channel"], timestamp=e["timestamp"], received_at=now,
                anonymous_id=e["anonymous_id"], user_id=e.get("user_id", ""),
                session_id=e["session_id"], ip="127.0.0.1", context=e["context"],
                properties=e["properties"], traits=e.get("traits", {}))
            entries.append(record.to_stream())
        out.append(entries)
    return out


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _drive(url: str, key: str, bodies: list[bytes], seconds: float,
                 concurrency: int) -> dict[str, Any]:
    import aiohttp

    latencies: list[float] = []
    events = errors = 0
    size = len(json.loads(bodies[0])["batch"])
    headers = {"X-Write-Key": key, "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        # Warm-up: one request per connection, not counted.
        async def one(body: bytes) -> None:
            async with session.post(url, data=body, headers=headers) as resp:
                await resp.read()

        await asyncio.gather(*(one(bodies[i % len(bodies)]) for i in range(concurrency)))
        start = time.perf_counter()
        deadline = start + seconds

        async def worker(w: int) -> None:
            nonlocal events, errors
            i = w
            while time.perf_counter() < deadline:
                body = bodies[i % len(bodies)]
                i += concurrency
                t0 = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as resp:
                    payload = await resp.read()
                    status = resp.status
                latencies.append(time.perf_counter() - t0)
                if status == 200 and json.loads(payload)["accepted"] == size:
                    events += size
                else:
                    errors += 1

        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.perf_counter() - start
    return {
        "batch_size": size,
        "events_per_s": events / elapsed,
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
        "requests": len(latencies),
        "events": events,
        "errors": errors,
    }


async def _xadd_ceiling(redis_url: str, base: str, project_id: str, entries: list[list[str]],
                        seconds: float, concurrency: int, script: bool = False) -> float:
    """Stream writes/s into the project's stream: one pipeline of a batch's entries per round
    trip, `concurrency` at once (or, with `script`, the collector's own enqueue: one EVALSHA of
    XADDs per batch)."""
    import redis.asyncio as aioredis

    from contract.stream import enqueue_payloads, project_stream

    client = aioredis.Redis.from_url(redis_url, max_connections=concurrency + 2)
    stream = project_stream(base, project_id)
    written = 0
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()

    async def worker(w: int) -> None:
        nonlocal written
        i = w
        while time.perf_counter() < deadline:
            batch = entries[i % len(entries)]
            i += concurrency
            if script:
                await enqueue_payloads(client, base, project_id, batch)
                written += len(batch)
                continue
            async with client.pipeline(transaction=False) as pipe:
                for entry in batch:
                    pipe.xadd(stream, {"e": entry})
                await pipe.execute(raise_on_error=True)
            written += len(batch)

    try:
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        return written / (time.perf_counter() - start)
    finally:
        await client.aclose()


def _cpu(pid: int) -> float:
    """User + system CPU seconds a process has used (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def _wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"collector exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} not up after {timeout} s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(seconds: float = 8.0, concurrency: int = 8, sizes: tuple[int, ...] = DEFAULT_SIZES,
         collector_root: str | None = None, profile: str | None = None,
         quiet: bool = False) -> dict[str, Any]:
    """Run the benchmark; returns {"sizes": {n: {...}}, "xadd_ceiling": {n: writes/s}, ...}:
    per batch size events_per_s, p50_ms, p99_ms, events_per_collector_cpu_s, errors…"""
    import redis

    say = (lambda *a: None) if quiet else print
    base = Path(tempfile.mkdtemp(prefix="njia-bench-collector-"))
    from bench.engines import start_redis

    redis_server, redis_url = start_redis(base / "redis", aof=True)
    redis_proc = redis_server.proc
    collector = None
    saved_env = dict(os.environ)
    try:
        env = dict(os.environ)
        env.update({
            "NJIA_DATA_DIR": str(base / "data"),
            "REDIS_URL": redis_url,
            # No warehouse: the collector never needs one to accept (health says "degraded").
            "CLICKHOUSE_URL": "http://njia_writer:x@127.0.0.1:9/njia",
            "CLICKHOUSE_READER_URL": "http://njia_reader:x@127.0.0.1:9/njia",
            "NJIA_SECRET_KEY": "bench-secret-key",
            "LOG_LEVEL": "WARNING",
        })
        root = Path(collector_root).resolve() if collector_root else ROOT
        env["PYTHONPATH"] = str(root)
        os.environ.update(env)
        from config.settings import get_settings

        get_settings.cache_clear()
        from metadata.db import migrate as migrate_metadata
        from metadata.projects import create_project

        migrate_metadata()
        project = create_project("bench")
        key = project["write_key"]
        from contract.stream import project_stream

        settings = get_settings()
        # The collector writes the project's events into the project's stream.
        stream = project_stream(settings.stream_key, project["project_id"])

        port = free_port()
        log = base / "collector.log"
        collector = subprocess.Popen(
            [sys.executable, "-m", "collector.app", "--host", "127.0.0.1", "--port", str(port)],
            cwd=root, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)
        base_url = f"http://127.0.0.1:{port}"
        # Health is 503 only when Redis is down; "degraded" (no warehouse) is a 200.
        _wait_http(f"{base_url}/v1/health", collector, log)
        r = redis.Redis.from_url(redis_url)

        load = os.getloadavg()
        say(f"collector {root} (pid {collector.pid}), redis {redis_url}; {os.cpu_count()} cores, "
            f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {concurrency} concurrent clients, "
            f"{seconds:g} s per batch size")
        results: dict[int, dict[str, Any]] = {}
        ceilings: dict[int, float] = {}
        for size in sizes:
            bodies = _bodies(size, max(8, min(400, 20_000 // size)))
            r.delete(stream)
            spy = None
            if profile and profile.split(":", 1)[0] == str(size):
                spy = subprocess.Popen(
                    [str(Path(sys.executable).parent / "py-spy"), "record", "-p",
                     str(collector.pid), "-o", profile.split(":", 1)[1], "-d",
                     str(int(seconds)), "-r", "200", "--nonblocking",
                     *(["-f", "raw"] if profile.endswith(".txt") else [])],
                    stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            cpu0 = _cpu(collector.pid), _cpu(redis_proc.pid)
            res = asyncio.run(_drive(f"{base_url}/v1/capture", key, bodies, seconds,
                                     concurrency))
            cpu1 = _cpu(collector.pid), _cpu(redis_proc.pid)
            # The collector's own CPU time: on a shared, loaded machine events per CPU-second
            # says what one core would take when the wall-clock rate cannot.
            res["collector_cpu_s"] = cpu1[0] - cpu0[0]
            res["redis_cpu_s"] = cpu1[1] - cpu0[1]
            res["events_per_collector_cpu_s"] = (
                res["events"] / res["collector_cpu_s"] if res["collector_cpu_s"] else float("nan"))
            if spy:
                spy.wait(30)
            stored = r.xlen(stream)
            r.delete(stream)
            entries = _entries(bodies[: max(1, min(len(bodies), 2000 // size))], "bench")
            # Into a stream of its own (project "ceiling"), like the collector's.
            ceiling_stream = project_stream(settings.stream_key, "ceiling")
            ceiling = asyncio.run(_xadd_ceiling(redis_url, settings.stream_key, "ceiling",
                                                entries, min(seconds, 3.0), concurrency))
            r.delete(ceiling_stream)
            scripted = asyncio.run(_xadd_ceiling(redis_url, settings.stream_key, "ceiling",
                                                 entries, min(seconds, 3.0), concurrency,
                                                 script=True))
            r.delete(ceiling_stream)
            res["stored"] = stored
            res["xadd_ceiling_per_s"] = ceiling
            res["xadd_script_ceiling_per_s"] = scripted
            results[size] = res
            ceilings[size] = ceiling
            say(f"batch {size:>4}: {res['events_per_s']:>8,.0f} events/s "
                f"({res['requests_per_s']:,.0f} req/s)  p50 {res['p50_ms']:6.1f} ms  "
                f"p99 {res['p99_ms']:6.1f} ms  errors {res['errors']}  collector CPU "
                f"{res['collector_cpu_s'] / seconds:4.0%} = "
                f"{res['events_per_collector_cpu_s']:>8,.0f} events/CPU-s  |  XADD ceiling "
                f"{ceiling:>8,.0f} writes/s ({size}-entry pipelines), {scripted:>8,.0f} "
                f"(the collector's enqueue)")
        load = os.getloadavg()
        say(f"load after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        return {"sizes": results, "xadd_ceiling": ceilings,
                "xadd_script_ceiling": {n: r["xadd_script_ceiling_per_s"]
                                        for n, r in results.items()},
                "concurrency": concurrency,
                "seconds": seconds, "cores": os.cpu_count(), "load_after": load,
                "collector_root": str(root)}
    finally:
        if collector is not None:
            _stop(collector)
        _stop(redis_proc)
        os.environ.clear()
        os.environ.update(saved_env)
        shutil.rmtree(base, ignore_errors=True)


def _cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per batch size")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--collector-root", help="run the collector from this checkout")
    parser.add_argument("--profile", help="SIZE:FILE — py-spy the collector during that size "
                                          "(.svg flame graph, .txt collapsed stacks)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    out = main(args.seconds, args.concurrency, tuple(int(s) for s in args.sizes.split(",")),
               args.collector_root, args.profile)
    if args.json:
        print(json.dumps(out, default=str))


if __name__ == "__main__":
    _cli()
