"""Time from posting a batch to /v1/capture until every event is queryable in ClickHouse.

Run against a running stack (`make up`):
    .venv/bin/python bench/ingest_latency.py --key <write key> [--events 1000] [--runs 5]
Prints one line per run and a summary; the acceptance target is < 2 s for 1 000 events.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import UTC, datetime

import requests

from config.settings import get_settings
from warehouse.client import new_client


def batch(n: int, marker: str) -> list[dict]:
    now = datetime.now(UTC).isoformat()
    return [{"event_id": str(uuid.uuid4()), "event_name": "bench", "timestamp": now,
             "anonymous_id": f"bench-{i % 50}", "properties": {"run": marker, "i": i},
             "context": {"page": {"path": "/bench"}, "userAgent": "Mozilla/5.0 (X11; Linux "
                         "x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
                         "ip": "41.90.64.10"}}
            for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--key", required=True)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--collector", default=None)
    args = parser.parse_args()
    settings = get_settings()
    url = args.collector or f"http://127.0.0.1:{settings.collector_port}"
    client = new_client()
    times = []
    for _ in range(args.runs):
        marker = uuid.uuid4().hex
        events = batch(args.events, marker)
        t0 = time.perf_counter()
        r = requests.post(f"{url}/v1/capture", json={"batch": events},
                          headers={"X-Write-Key": args.key}, timeout=30)
        r.raise_for_status()
        accepted = time.perf_counter()
        while True:
            n = int(client.command(
                "SELECT count() FROM events WHERE event_name = 'bench' "
                "AND properties.run = {m:String}", parameters={"m": marker}))
            if n >= args.events:
                break
            time.sleep(0.02)
        done = time.perf_counter()
        times.append(done - t0)
        print(f"{args.events} events: accepted in {accepted - t0:.3f} s, "
              f"queryable after {done - t0:.3f} s")
    print(f"median {statistics.median(times):.3f} s, max {max(times):.3f} s over {len(times)} runs")


if __name__ == "__main__":
    main()
