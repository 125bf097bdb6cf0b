"""Read cost of Njia's dedup design vs. the alternatives, on N events with 1 % duplicates.

- plain MergeTree, each event inserted once (Njia: exactly-once insertion via Redis claims)
  → `count()`;
- ReplacingMergeTree keyed by (project_id, event_id) holding the duplicates → `count() FINAL`;
- plain MergeTree holding the duplicates → `uniqExact(event_id)`.
Run: .venv/bin/python bench/dedup_read_cost.py [--rows 2000000]  (uses CLICKHOUSE_URL)
"""

from __future__ import annotations

import argparse
import statistics
import time

from warehouse.client import new_client


def timed(client, sql: str, runs: int = 5) -> tuple[float, int]:
    out = []
    value = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        value = int(client.command(sql))
        out.append(time.perf_counter() - t0)
    return statistics.median(out), value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    args = parser.parse_args()
    c = new_client()
    n = args.rows
    c.command("DROP TABLE IF EXISTS bench_plain")
    c.command("DROP TABLE IF EXISTS bench_dups")
    c.command("DROP TABLE IF EXISTS bench_replacing")
    def source(rows: int) -> str:
        # Row i and row i + n share an event id: the extra 1 % are exact duplicates.
        return (f"SELECT 'p' AS project_id, reinterpretAsUUID(sipHash128(number % {n})) "
                f"AS event_id, now64(3) - toIntervalSecond(number % 2592000) AS timestamp "
                f"FROM numbers({rows})")

    src, dup_src = source(n), source(n + n // 100)
    for name, engine, order, source in [
        ("bench_plain", "MergeTree", "(project_id, toDate(timestamp), timestamp)", src),
        ("bench_dups", "MergeTree", "(project_id, toDate(timestamp), timestamp)", dup_src),
        ("bench_replacing", "ReplacingMergeTree", "(project_id, event_id)", dup_src),
    ]:
        c.command(f"CREATE TABLE {name} (project_id LowCardinality(String), event_id UUID, "
                  f"timestamp DateTime64(3, 'UTC')) ENGINE = {engine} ORDER BY {order}")
        # Several inserts, as the processor makes: parts stay unmerged like in production.
        c.command(f"INSERT INTO {name} {source}")
    cases = [
        ("exactly-once plain MergeTree: count()",
         "SELECT count() FROM bench_plain WHERE project_id = 'p'"),
        ("duplicates kept, ReplacingMergeTree: count() FINAL",
         "SELECT count() FROM bench_replacing FINAL WHERE project_id = 'p'"),
        ("duplicates kept, plain MergeTree: uniqExact(event_id)",
         "SELECT uniqExact(event_id) FROM bench_dups WHERE project_id = 'p'"),
        ("exactly-once plain MergeTree: events per day",
         "SELECT sum(c) FROM (SELECT toDate(timestamp) AS d, count() AS c FROM bench_plain "
         "WHERE project_id = 'p' GROUP BY d)"),
        ("duplicates kept, ReplacingMergeTree FINAL: events per day",
         "SELECT sum(c) FROM (SELECT toDate(timestamp) AS d, count() AS c FROM bench_replacing "
         "FINAL WHERE project_id = 'p' GROUP BY d)"),
    ]
    for label, sql in cases:
        seconds, value = timed(c, sql)
        print(f"{label:58s} {seconds * 1000:8.1f} ms  -> {value}")
    for name in ("bench_plain", "bench_dups", "bench_replacing"):
        c.command(f"DROP TABLE {name}")


if __name__ == "__main__":
    main()
