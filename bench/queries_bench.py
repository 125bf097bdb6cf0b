"""Every named query, uncached: `queries.runner.run` as the operator, N runs each, next to a
plain scan of the same rows measured in the same run.

No result cache is involved: the workbench's `st.cache_data` sits in `workbench/reads.py`, in
front of `runner.run`; the bench calls `runner.run` (validate → access → bind → execute on the
reader client) directly, as `njia query` and the API do, and the warehouse's query cache is off
(ClickHouse's default, `use_query_cache = 0`).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bench.stats import summary

# (label, query name, extra params, page it is behind)
CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("overview", "overview", {"channel": "all"}, "Overview"),
    ("dau", "dau", {"channel": "all"}, "Overview"),
    ("activity_heatmap", "activity_heatmap", {"channel": "all"}, "Overview"),
    ("traffic_by_journey", "traffic_by_journey", {"channel": "all"}, "Overview"),
    ("top_pages", "top_pages", {"limit": 10}, "Overview"),
    ("breakdown (device_type)", "breakdown", {"channel": "all", "by": "device_type", "limit": 10},
     "Overview, Sessions"),
    ("breakdown (country)", "breakdown", {"channel": "all", "by": "country", "limit": 10},
     "Overview, Sessions"),
    ("duration_histogram", "duration_histogram", {"channel": "all"}, "Overview"),
    ("sessions_list", "sessions_list", {"channel": "all", "limit": 50, "offset": 0}, "Sessions"),
    ("session_timeline (one session)", "session_timeline", {}, "Sessions"),
    ("errors_summary", "errors_summary", {}, "Errors"),
    ("errors_by_day", "errors_by_day", {}, "Errors"),
    ("errors_by_type", "errors_by_type", {"limit": 50}, "Errors"),
    ("errors_by_page", "errors_by_page", {"limit": 50}, "Errors"),
    ("error_sessions", "error_sessions", {"limit": 50}, "Errors"),
    ("live_events", "live_events", {"minutes": 60, "limit": 50}, "Live"),
    ("events_per_minute", "events_per_minute", {"minutes": 60}, "Live"),
    ("events_by_day", "events_by_day", {"channel": "all"}, "(API/CLI)"),
    ("events_by_name", "events_by_name", {"channel": "all"}, "(API/CLI)"),
]


def date_range(now_ms: int, tz: str, days: int = 30) -> tuple[date, date]:
    """The 30 days ending on the dataset's last day, in the project's time zone."""
    last = datetime.fromtimestamp(now_ms / 1000, UTC).astimezone(ZoneInfo(tz)).date()
    return last - timedelta(days=days - 1), last


def _utc_bounds(d_from: date, d_to: date, tz: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz)
    start = datetime.combine(d_from, datetime.min.time(), zone).astimezone(UTC)
    end = datetime.combine(d_to + timedelta(days=1), datetime.min.time(), zone).astimezone(UTC)
    return start.replace(tzinfo=None), end.replace(tzinfo=None)


def timed_runs(fn, runs: int, budget_s: float, min_runs: int = 3) -> list[float]:
    """Up to `runs` timings of fn(); stops early once `budget_s` is spent (after `min_runs`)."""
    out: list[float] = []
    began = time.monotonic()
    for _ in range(runs):
        t0 = time.perf_counter()
        timed_runs.last = fn()
        out.append(time.perf_counter() - t0)
        if len(out) >= min_runs and time.monotonic() - began > budget_s:
            break
    return out


def run_all(project: str, now_ms: int, runs: int, budget_s: float, log=print,
            warmup: bool = True) -> dict[str, Any]:
    from metadata.access import OPERATOR
    from metadata.projects import require_project
    from queries.runner import run
    from warehouse.client import get_client

    settings = require_project(project).settings
    d_from, d_to = date_range(now_ms, settings.timezone)
    base = {"project": project, "from": d_from.isoformat(), "to": d_to.isoformat()}
    start, end = _utc_bounds(d_from, d_to, settings.timezone)
    client = get_client()
    scan_sql = ("SELECT count(), uniq(anonymous_id) FROM events "
                "WHERE project_id = {p:String} AND timestamp >= {s:DateTime64(3, 'UTC')} "
                "AND timestamp < {e:DateTime64(3, 'UTC')}")
    scan_args = {"p": project, "s": start, "e": end}
    rows_in_range = int(client.query(scan_sql, parameters=scan_args).result_rows[0][0])

    def scan() -> None:
        client.query(scan_sql, parameters=scan_args)

    scan()  # warm the page cache once, like every query gets its first run
    scan_t = timed_runs(scan, runs, budget_s)
    scan_s = summary(scan_t)
    log(f"  plain scan of {rows_in_range:,} rows: median {scan_s['median'] * 1000:.0f} ms")

    # One web session of the range, from the sessions list (a real, mid-sized one).
    listed = run("sessions_list", {**base, "channel": "web", "limit": 50, "min_duration_s": 60},
                 OPERATOR)
    session_id = str(listed["session_id"].iloc[len(listed) // 2]) if len(listed) else "w-none"

    results = []
    for label, name, extra, page in CASES:
        params = {**base, **extra}
        if name == "session_timeline":
            params["session"] = session_id
        if name in ("live_events", "events_per_minute"):
            params = {"project": project, **extra}
        if warmup:
            run(name, params, OPERATOR)  # an untimed first run: also checks it works
        t = timed_runs(lambda n=name, p=params: run(n, p, OPERATOR), runs, budget_s)
        rows = len(timed_runs.last)
        s = summary(t)
        s.update(label=label, name=name, page=page, rows=rows,
                 scan_ratio=s["median"] / scan_s["median"])
        results.append(s)
        log(f"  {label:32} median {s['median'] * 1000:8.0f} ms  p95 {s['p95'] * 1000:8.0f} ms"
            f"  ×{s['scan_ratio']:.0f} scan  ({s['runs']} runs)")
    return {"range": base, "rows_in_range": rows_in_range, "scan": scan_s,
            "session_id": session_id, "queries": results, "runs_asked": runs,
            "budget_s": budget_s, "warmup": warmup,
            "query_cache": "off (runner.run called directly)",
            "max_execution_time": os.environ.get("QUERY_MAX_EXECUTION_TIME")}
