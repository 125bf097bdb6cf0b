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

# A 5- and a 10-step funnel over the filing journey's events (10: steps repeat, as a funnel
# through the same pages twice does).
FIVE_STEPS = "page_view,validation_success,otp_success,return_filed,payment_initiated"
TEN_STEPS = FIVE_STEPS + ",button_click,page_view,otp_success,return_filed,page_view"
RETENTION_WEEKS = 12

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
    # Issue 11's analyses (their own targets: bench/report.py ANALYSIS_TARGETS).
    ("funnel (5 steps)", "funnel", {"steps": FIVE_STEPS, "window": "1d"}, "Funnels"),
    ("funnel (10 steps)", "funnel", {"steps": TEN_STEPS, "window": "1d"}, "Funnels"),
    ("journey_profile", "journey_profile", {}, "Journey explorer"),
    ("journey (first page)", "journey", {}, "Journey explorer"),
    ("paths (5 steps)", "paths", {"steps": 5, "channel": "all"}, "Paths"),
    ("retention (12 weeks)", "retention", {"period": "week", "periods": 12}, "Retention"),
    # Issue 12's pages (the page target: p95 < 300 ms at 10 M).
    ("overview (WhatsApp)", "overview", {"channel": "whatsapp"}, "Overview"),
    ("overview_conversations", "overview_conversations", {}, "Overview"),
    ("whatsapp", "whatsapp", {}, "WhatsApp"),
    ("whatsapp_volume", "whatsapp_volume", {}, "WhatsApp"),
    ("whatsapp_heatmap", "whatsapp_heatmap", {}, "WhatsApp"),
    ("whatsapp_response_histogram", "whatsapp_response_histogram", {}, "WhatsApp"),
    ("whatsapp_funnel", "whatsapp_funnel", {}, "WhatsApp"),
    ("whatsapp_countries", "whatsapp_countries", {}, "WhatsApp"),
    ("whatsapp_agents", "whatsapp_agents", {}, "WhatsApp"),
    ("whatsapp_lengths", "whatsapp_lengths", {}, "WhatsApp"),
    ("whatsapp_dropped", "whatsapp_dropped", {"limit": 100}, "WhatsApp"),
    ("whatsapp_open", "whatsapp_open", {"limit": 200}, "WhatsApp"),
    ("whatsapp_workload", "whatsapp_workload", {}, "WhatsApp"),
    ("ai", "ai", {}, "AI agent"),
    ("ai_intents", "ai_intents", {"limit": 15}, "AI agent"),
    ("ai_latency_histogram", "ai_latency_histogram", {}, "AI agent"),
    ("ai_errors_by_day", "ai_errors_by_day", {}, "AI agent"),
    ("ai_errors_by_type", "ai_errors_by_type", {"limit": 20}, "AI agent, Errors"),
    ("ai_low_confidence", "ai_low_confidence", {"limit": 20}, "AI agent"),
    ("ai_intent_escalation", "ai_intent_escalation", {"limit": 15}, "AI agent"),
    ("ai_errors_summary", "ai_errors_summary", {}, "Errors"),
    ("errors_trend", "errors_trend", {}, "Errors"),
    ("campaigns", "campaigns", {}, "Campaigns"),
    ("campaigns_kpis", "campaigns_kpis", {}, "Campaigns"),
    ("service_report", "service_report", {}, "Service report"),
    ("snapshot_trends", "snapshot_trends",
     {"snapshot_type": "daily", "metrics": "overview.sessions,whatsapp.conversations"},
     "Overview, WhatsApp"),
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


def subjects(base: dict[str, Any]) -> dict[str, str]:
    """What the queries about one thing open: a web session of the range (a real, mid-sized
    one, from the sessions list) and its person (by an identifier of theirs)."""
    from metadata.access import OPERATOR
    from queries.runner import run

    listed = run("sessions_list", {**base, "channel": "web", "limit": 50, "min_duration_s": 60},
                 OPERATOR)
    if not len(listed):
        return {"session": "w-none", "person": "none"}
    row = listed.iloc[len(listed) // 2]
    key = str(row["person_key"])
    return {"session": str(row["session_id"]), "person": key.partition(":")[2] or key}


def case_params(name: str, extra: dict[str, Any], base: dict[str, Any],
                found: dict[str, str]) -> dict[str, Any]:
    """A case's parameters: the range and its extras, or what its query needs instead."""
    params = {**base, **extra}
    if name == "session_timeline":
        params["session"] = found["session"]
    if name in ("live_events", "events_per_minute", "whatsapp_open", "whatsapp_workload"):
        params = {"project": base["project"], **extra}
    if name in ("journey_profile", "journey"):
        params = {"project": base["project"], "person": found["person"]}
    if name == "retention":  # a 12-week table: the weeks ending on the range's last day
        last = date.fromisoformat(base["to"])
        params["from"] = (last - timedelta(weeks=RETENTION_WEEKS, days=-1)).isoformat()
    return params


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

    found = subjects(base)
    session_id = found["session"]

    results = []
    for label, name, extra, page in CASES:
        params = case_params(name, extra, base, found)
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
