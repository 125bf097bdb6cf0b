"""Freshness under load: at 1 000 events/s, how soon a new event is stored and in its session
(what the Sessions page and the Overview read), what ingestion costs in CPU with the journey
model included, and every named query's p95 while the collector ingests.

Run by `make bench` (bench/__main__.py) per dataset size, against that size's stack (Redis and
the warehouse, `engines.open_stack`), after the query and page benchmarks. It starts, with the
stack's environment and the programs' own defaults (as `make up` runs them), the collector on a
free port, one processor and the journey model worker, waits until a first event is in its
session (the worker is ready), then runs the load in two phases of BENCH_FRESHNESS_SECONDS
each, back to back: "ingestion" (the load alone: ingestion's cost, the model's included) and
"ingestion + named queries" (the same load while every named query runs; left out with
BENCH_FRESHNESS_QUERIES=0). Every figure below is kept per phase.

- load: 1 000 events/s (BENCH_FRESHNESS_RATE) as a batch of 50 web events every 50 ms to
  /v1/capture — page views (and some track events) of 10 000 visitors at a time (so at 1 000
  events/s one every ~10 s each), each with its anonymous id and SDK session id, a visitor
  leaving after ~12 events on average for a new one, so sessions grow; current timestamps; no
  user ids (the identity path is not exercised, and the bench dataset can be restored
  afterwards). Requests are paced on a fixed clock, not on answers.
- markers: once a second, one more page view of a brand-new anonymous id and session id, in a
  request of its own. From the collector's 200 (t0), every 50 ms, the markers in flight are
  looked for with the writer client until (a) the marker is in `events` (by event id) —
  "stored" — and (b) the model has it: `journey_events FINAL` gives it a session id and
  `journey_sessions FINAL` has that session (not deleted) — "in its session", what the
  Sessions page's list and the Overview read. All markers in flight are looked for at once
  (`event_id IN …`, one query per step, from a small thread pool), so the polls load the
  warehouse the same however many markers are waiting (one query per marker made the polls'
  own cost grow with the very latency measured). A time is taken when the confirming poll has
  answered (so it includes one poll query; their durations are reported). A marker not there
  within 30 s counts as never appeared. Every second, the model's watermark is compared with
  the warehouse's clock (how long ago the worker's last finished pass began).
- CPU: utime + stime (with children) from /proc of the collector, processor, journey worker,
  warehouse and Redis over the load window, as % of one core; peak RSS of each (sampled). The
  model's work is mostly SQL the worker sends, so most of its cost is in the warehouse's CPU;
  BENCH_FRESHNESS_MODEL=0 runs the same load without the worker (only "stored" then), which
  gives ingestion's cost without the model to compare with.
- named queries under load, in the second phase: a thread runs every named query of
  bench/queries_bench.py in turn, uncached through `queries.runner.run`, over and over until
  the load ends (its median/p95 per query). The warehouse's CPU in that phase includes them.

Afterwards the programs are stopped (SIGTERM, then kill) and the load's events are deleted from
`events`, `journey_events` and `journey_sessions` (their ids all start with `fresh-`), so the
cached dataset stays what was built. Each program's log is kept under <size dir>/freshness/;
error lines in them are counted in the results.

Knobs (environment): BENCH_FRESHNESS (0 skips it; bench/__main__.py), BENCH_FRESHNESS_SECONDS
(default 60), BENCH_FRESHNESS_RATE (events/s, default 1000), BENCH_FRESHNESS_QUERIES (default 1),
BENCH_FRESHNESS_MODEL (default 1).
It prints numbers; no test asserts a timing.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import engines, queries_bench
from bench.dataset import PROJECT
from bench.stats import percentile
from stack.embedded import free_port

BATCH = 50
POLL_S = 0.05
MARKER_TIMEOUT_S = 30.0
READY_TIMEOUT_S = 600.0
PREFIX = "fresh-"

# What a marker is waited for, for every marker in flight at once (Follower).
EVENTS_IN_SQL = ("SELECT event_id FROM events WHERE project_id = {p:String} "
                 "AND event_id IN {ids:Array(UUID)}")
MODEL_EVENTS_IN_SQL = ("SELECT event_id, session_id FROM journey_events FINAL "
                       "WHERE project_id = {p:String} AND event_id IN {ids:Array(UUID)}")
SESSIONS_IN_SQL = ("SELECT session_id, count() FROM journey_sessions FINAL "
                   "WHERE project_id = {p:String} AND session_id IN {sids:Array(String)} "
                   "AND deleted = 0 GROUP BY session_id")

PAGES = [("/", "iTax"), ("/login", "Sign in"), ("/dashboard", "Dashboard"),
         ("/returns", "Returns"), ("/returns/nil", "File a NIL return"),
         ("/returns/nil/confirm", "Confirm your return"), ("/returns/done", "Return filed"),
         ("/payments", "Payments"), ("/payments/mpesa", "Pay with M-Pesa"),
         ("/pin/certificate", "PIN certificate"), ("/help", "Help")]
TRACKS = ["button_clicked", "form_submitted", "return_filed", "payment_started"]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/125.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
]


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- the load -------------------------------------------------------------------------------

@dataclass
class Visitor:
    anonymous_id: str
    session_id: str
    user_agent: str
    step: int = 0


class Traffic:
    """Web events of a pool of visitors; now and then one leaves and a new one arrives."""

    def __init__(self, run: str, visitors: int = 10_000, leave: float = 0.08, seed: int = 1):
        self.run = run
        self.rng = random.Random(seed)
        self.leave = leave
        self.made = 0
        self.pool = [self._visitor() for _ in range(visitors)]

    def _visitor(self) -> Visitor:
        self.made += 1
        n = self.made
        return Visitor(f"{PREFIX}{self.run}-v{n}", f"{PREFIX}{self.run}-s{n}",
                       self.rng.choice(USER_AGENTS), self.rng.randrange(3))

    def event(self, ts: str) -> dict[str, Any]:
        i = self.rng.randrange(len(self.pool))
        if self.rng.random() < self.leave:
            self.pool[i] = self._visitor()
        v = self.pool[i]
        v.step += 1
        path, title = (PAGES[v.step % len(PAGES)] if self.rng.random() < 0.8
                       else self.rng.choice(PAGES))
        name = "page_view" if self.rng.random() < 0.85 else self.rng.choice(TRACKS)
        return _web_event(name, ts, v.anonymous_id, v.session_id, v.user_agent, path, title,
                          {"run": self.run, "step": v.step})


def _web_event(name: str, ts: str, anonymous_id: str, session_id: str, user_agent: str,
               path: str, title: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()), "event_name": name, "timestamp": ts,
        "anonymous_id": anonymous_id, "session_id": session_id, "channel": "web",
        "context": {"page": {"path": path, "title": title,
                             "url": f"https://itax.example.ke{path}", "referrer": ""},
                    "userAgent": user_agent, "library": {"name": "njia-js", "version": "1.0.0"},
                    "locale": "en-KE", "timezone": "Africa/Nairobi"},
        "properties": properties,
    }


@dataclass
class Marker:
    n: int
    event_id: str
    sent: float  # perf_counter() when the collector answered 200
    phase: int = 0
    stored: float | None = None
    in_session: float | None = None
    session_id: str = ""
    timeout: float = MARKER_TIMEOUT_S

    def done(self, model: bool) -> bool:
        found = self.in_session if model else self.stored
        return found is not None or time.perf_counter() - self.sent >= self.timeout


@dataclass
class Sent:
    requests: int = 0
    events: int = 0
    failed: int = 0
    rejected: int = 0
    markers_failed: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Follower:
    """Every POLL_S, the markers in flight are looked for — all at once, one query per step
    (`IN` their ids), from a small thread pool (stored and in-session steps side by side), so
    the polls' cost does not grow with the number of markers in flight. `model=False`: only
    whether they are stored."""

    def __init__(self, model: bool = True) -> None:
        self.model = model
        self.lock = threading.Lock()
        self.markers: list[Marker] = []
        self.poll_seconds: list[tuple[int, float]] = []  # (phase, seconds)
        self.phase = 0
        self.errors = 0
        self.last_error = ""
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True, name="freshness-poll")
        self.steps = ThreadPoolExecutor(2, thread_name_prefix="freshness-step")
        self.local = threading.local()
        self.thread.start()

    def submit(self, m: Marker) -> None:
        with self.lock:
            self.markers.append(m)

    def wait(self) -> None:
        self.closing.set()
        self.thread.join()
        self.steps.shutdown(wait=True)

    def _client(self) -> Any:
        from warehouse.client import new_client

        client = getattr(self.local, "client", None)
        if client is None:
            client = self.local.client = new_client()
        return client

    def _query(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        t0 = time.perf_counter()
        try:
            return list(self._client().query(sql, parameters=params).result_rows)
        finally:
            self.poll_seconds.append((self.phase, time.perf_counter() - t0))

    def _stored(self, todo: list[Marker]) -> None:
        ids = [m.event_id for m in todo]
        rows = self._query(EVENTS_IN_SQL, {"p": PROJECT, "ids": ids})
        at = time.perf_counter()
        found = {str(r[0]) for r in rows}
        for m in todo:
            if m.event_id in found:
                m.stored = at - m.sent

    def _in_session(self, todo: list[Marker]) -> None:
        rows = self._query(MODEL_EVENTS_IN_SQL, {"p": PROJECT,
                                                 "ids": [m.event_id for m in todo]})
        sids = {str(eid): str(sid) for eid, sid in rows if sid}
        if not sids:
            return
        rows = self._query(SESSIONS_IN_SQL, {"p": PROJECT, "sids": sorted(set(sids.values()))})
        at = time.perf_counter()
        whole = {str(sid) for sid, n in rows if int(n) == 1}
        for m in todo:
            sid = sids.get(m.event_id, "")
            if sid in whole:
                m.session_id, m.in_session = sid, at - m.sent
                if m.stored is None:  # in the model, so stored: seen by this poll first
                    m.stored = m.in_session

    def _loop(self) -> None:
        while True:
            t0 = time.perf_counter()
            with self.lock:
                todo = [m for m in self.markers if not m.done(self.model)]
            if not todo and self.closing.is_set():
                return
            jobs = []
            if unstored := [m for m in todo if m.stored is None]:
                jobs.append(self.steps.submit(self._stored, unstored))
            if todo and self.model:
                jobs.append(self.steps.submit(self._in_session, todo))
            for job in jobs:
                try:
                    job.result()
                except Exception as exc:  # noqa: BLE001 - counted; the next poll goes on
                    self.errors += 1
                    self.last_error = f"{type(exc).__name__}: {exc}"[:300]
            time.sleep(max(0.0, POLL_S - (time.perf_counter() - t0)))


async def _post(session: Any, url: str, headers: dict[str, str], body: bytes, n: int,
                sent: Sent) -> tuple[bool, float]:
    t0 = time.perf_counter()
    try:
        async with session.post(url, data=body, headers=headers) as resp:
            text = await resp.text()
            done = time.perf_counter()
            sent.requests += 1
            sent.latencies.append(done - t0)
            if resp.status != 200:
                sent.failed += 1
                if len(sent.errors) < 5:
                    sent.errors.append(f"{resp.status}: {text[:200]}")
                return False, done
            answer = json.loads(text)
            sent.events += int(answer.get("accepted", 0))
            sent.rejected += len(answer.get("rejected") or [])
            return int(answer.get("accepted", 0)) == n, done
    except Exception as exc:  # noqa: BLE001 - counted; the load goes on
        sent.requests += 1
        sent.failed += 1
        if len(sent.errors) < 5:
            sent.errors.append(f"{type(exc).__name__}: {exc}"[:200])
        return False, time.perf_counter()


async def _drive(url: str, key: str, phases: list[Callable[[], None]], seconds: float,
                 rate: float, traffic: Traffic, follower: Follower, sent: Sent) -> float:
    """Batches of BATCH events on a fixed clock and a marker every second, for `seconds` per
    phase; each phase's callable runs when it begins (its markers carry its index). Returns
    the load's wall time."""
    import aiohttp

    interval = BATCH / rate
    every = max(1, round(1 / interval))
    headers = {"X-Write-Key": key, "Content-Type": "application/json"}
    tasks: set[asyncio.Task[Any]] = set()

    async def marker(n: int, phase: int) -> None:
        mid = f"{PREFIX}{traffic.run}-m{n}"
        event = _web_event("page_view", _now_iso(), mid, mid, USER_AGENTS[0],
                           "/bench/freshness", "Freshness marker", {"run": traffic.run})
        ok, at = await _post(session, url, headers, json.dumps(event).encode(), 1, sent)
        if ok:
            follower.submit(Marker(n, event["event_id"], at, phase))
        else:
            sent.markers_failed += 1

    def spawn(coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    connector = aiohttp.TCPConnector(limit=64)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.perf_counter()
        k = 0
        phase = -1
        while k * interval < seconds * len(phases):
            if int(k * interval // seconds) > phase:
                phase += 1
                phases[phase]()
            delay = start + k * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            ts = _now_iso()
            body = json.dumps({"batch": [traffic.event(ts) for _ in range(BATCH)],
                               "sent_at": ts}).encode()
            spawn(_post(session, url, headers, body, BATCH, sent))
            if k % every == 0:
                spawn(marker(k // every, phase))
            k += 1
        wall = time.perf_counter() - start
        if tasks:
            await asyncio.gather(*tasks)
    return wall


# --- the programs, CPU and logs -------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its live children, plus what its reaped children used."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in [pid, *engines._children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[0] is the state (field 3): utime, stime, cutime, cstime are fields 14-17.
        total += sum(int(x) for x in fields[11:15])
    return total / ticks


def _self_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _start(name: str, module: str, args: list[str], env: dict[str, str], log: Path
           ) -> engines.Proc:
    if log.exists():
        log.unlink()
    return engines._spawn(name, [sys.executable, "-m", module, *args], log, env)


def _stop_all(procs: list[engines.Proc], timeout: float = 15) -> dict[str, int | None]:
    for p in procs:
        if p.proc.poll() is None:
            p.proc.send_signal(signal.SIGTERM)
    codes: dict[str, int | None] = {}
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            p.proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.proc.kill()
            p.proc.wait(10)
        codes[p.name] = p.proc.returncode
    return codes


_ERROR_LINE = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback")


def log_errors(log: Path) -> dict[str, Any]:
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    bad = [line for line in lines if _ERROR_LINE.search(line)]
    return {"log": str(log), "lines": len(lines), "error_lines": len(bad),
            "first_errors": [line[:300] for line in bad[:3]]}


def _figures(values: list[float], missing: int = 0, missing_as: float = MARKER_TIMEOUT_S
             ) -> dict[str, float | int | None]:
    """p50/p95/p99/max; `missing` values (markers never seen) count as `missing_as`."""
    n = len(values)
    values = values + [missing_as] * missing
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None}
    return {"n": n, "p50": percentile(values, 50), "p95": percentile(values, 95),
            "p99": percentile(values, 99), "max": max(values)}


# --- named queries under load ---------------------------------------------------------------

def _query_params(now_ms: int, session_id: str | None) -> tuple[dict[str, Any],
                                                                 dict[str, str]]:
    from metadata.projects import require_project

    tz = require_project(PROJECT).settings.timezone
    d_from, d_to = queries_bench.date_range(now_ms, tz)
    base = {"project": PROJECT, "from": d_from.isoformat(), "to": d_to.isoformat()}
    found = queries_bench.subjects(base)
    if session_id:
        found["session"] = session_id
    return base, found


def _queries_loop(stop: threading.Event, base: dict[str, Any], found: dict[str, str],
                  timings: dict[str, list[float]], errors: dict[str, str],
                  rounds: list[int]) -> None:
    """Every named query in turn, over and over, until `stop` (so each gets as many runs as
    the others, ± 1)."""
    from metadata.access import OPERATOR
    from queries.runner import run

    i = 0
    while not stop.is_set():
        label, name, extra, _page = queries_bench.CASES[i % len(queries_bench.CASES)]
        params = queries_bench.case_params(name, extra, base, found)
        t0 = time.perf_counter()
        try:
            run(name, params, OPERATOR)
            timings[label].append(time.perf_counter() - t0)
        except Exception as exc:  # noqa: BLE001 - reported per query
            errors[label] = f"{type(exc).__name__}: {exc}"[:300]
        i += 1
        rounds[0] = i // len(queries_bench.CASES)


# --- the run --------------------------------------------------------------------------------

def run(stack: engines.Stack, directory: Path, now_ms: int, session_id: str | None = None,
        log: Callable[..., None] = print) -> dict[str, Any]:
    """The whole measurement against `stack` (Redis and the warehouse of one dataset size)."""
    from metadata.projects import issue_write_key
    from warehouse.client import new_client

    seconds = float(os.environ.get("BENCH_FRESHNESS_SECONDS", 60))
    rate = float(os.environ.get("BENCH_FRESHNESS_RATE", 1000))
    with_queries = os.environ.get("BENCH_FRESHNESS_QUERIES", "1") != "0"
    with_model = os.environ.get("BENCH_FRESHNESS_MODEL", "1") != "0"
    run_id = uuid.uuid4().hex[:8]
    out: dict[str, Any] = {"seconds_asked": seconds, "rate_asked": rate, "batch": BATCH,
                           "poll_s": POLL_S, "marker_timeout_s": MARKER_TIMEOUT_S,
                           "run_id": run_id, "queries_under_load": with_queries,
                           "model_worker": with_model}
    logs = directory / "freshness"
    logs.mkdir(parents=True, exist_ok=True)
    key = issue_write_key(PROJECT)
    port = free_port()
    env = dict(stack.env)
    env["COLLECTOR_PORT"] = str(port)
    url = f"http://127.0.0.1:{port}"
    procs: list[engines.Proc] = []
    client = new_client()
    try:
        procs.append(_start("collector", "collector.app", ["--host", "127.0.0.1", "--port",
                                                           str(port)], env,
                            logs / "collector.log"))
        engines._wait(lambda: engines._http_ok(f"{url}/v1/health"), "collector", procs[0], 60)
        procs.append(_start("processor", "processor.worker",
                            ["--consumer", f"bench-freshness-{run_id}"], env,
                            logs / "processor.log"))
        if with_model:
            procs.append(_start("journeys worker", "journeys.worker", [], env,
                                logs / "journeys.log"))
        pids = {p.name: p.pid for p in procs}
        pids["warehouse"] = stack.warehouse.proc.pid
        pids["redis"] = stack.redis.pid

        # Ready: one marker, without load, until it is in its session.
        goal = "in its session" if with_model else "stored"
        log(f"  freshness: programs started (logs in {logs}); waiting for a first event to be "
            f"{goal}")
        warm = Follower(with_model)
        t_ready = time.perf_counter()
        ok, _ = asyncio.run(_one_marker(url, key, run_id, warm))
        warm.wait()
        if ok and warm.markers:
            m = warm.markers[0]
            out["warmup"] = {"stored_s": m.stored, "in_session_s": m.in_session,
                             "poll_error": warm.last_error}
        else:
            out["warmup"] = {"error": "the collector did not take the warm-up event"}
        out["warmup"]["waited_s"] = time.perf_counter() - t_ready
        for p in procs:
            if p.proc.poll() is not None:
                raise RuntimeError(f"{p.name} exited ({p.proc.returncode}): {p.tail(1500)}")
        ready = out["warmup"].get("in_session_s" if with_model else "stored_s")
        if ready is None:
            log(f"  freshness: the warm-up event was not {goal} after "
                f"{out['warmup']['waited_s']:.0f} s ({out['warmup']}); measuring anyway")
        else:
            log(f"  freshness: ready (the warm-up event {goal} after {ready:.2f} s)")

        phases = ["ingestion"] + (["ingestion + named queries"] if with_queries else [])
        log(f"  freshness: {rate:.0f} events/s for {seconds:.0f} s"
            + (f", then {seconds:.0f} s more with the named queries running" if with_queries
               else ""))
        follower = Follower(with_model)
        traffic = Traffic(run_id)
        sent = Sent()
        sampler = engines.RssSampler(pids)
        sampler.phase(phases[0])
        stop = threading.Event()
        timings: dict[str, list[float]] = {label: [] for label, *_ in queries_bench.CASES}
        q_errors: dict[str, str] = {}
        rounds = [0]
        q_thread: threading.Thread | None = None
        if with_queries:
            base, sid = _query_params(now_ms, session_id)
            q_thread = threading.Thread(target=_queries_loop, daemon=True, name="queries",
                                        args=(stop, base, sid, timings, q_errors, rounds))
        current = [0]
        lags: list[tuple[int, float]] = []
        lag_thread = threading.Thread(target=_model_lag, args=(stop, current, lags),
                                      daemon=True, name="model-lag")
        # CPU readings at each phase's start and at the end: (perf_counter, {program: s}, self)
        readings: list[tuple[float, dict[str, float], float]] = []

        def read_cpu() -> None:
            readings.append((time.perf_counter(),
                             {name: cpu_seconds(pid) for name, pid in pids.items()},
                             _self_cpu()))

        def begin(i: int) -> Callable[[], None]:
            def go() -> None:
                read_cpu()
                current[0] = follower.phase = i
                sampler.phase(phases[i])
                if i == 1 and q_thread is not None:
                    q_thread.start()
                if i:
                    log(f"  freshness: {phases[i]}")
            return go

        started_at = datetime.now(UTC)
        with sampler:
            if with_model:
                lag_thread.start()
            wall = asyncio.run(_drive(f"{url}/v1/capture", key,
                                      [begin(i) for i in range(len(phases))], seconds, rate,
                                      traffic, follower, sent))
            read_cpu()
            stop.set()
            out["exited_during_load"] = [p.name for p in procs if p.proc.poll() is not None]
            if out["exited_during_load"]:
                log(f"  freshness: exited during the load: {out['exited_during_load']}")
            log(f"  freshness: load done ({sent.events:,} events in {wall:.1f} s); waiting for "
                "the markers")
            follower.wait()
            if q_thread is not None:
                q_thread.join(timeout=900)
            if with_model:
                lag_thread.join(10)
        out["load"] = {
            "started_at": started_at.isoformat(timespec="seconds"), "wall_s": wall,
            "events": sent.events, "events_per_s": sent.events / wall if wall else None,
            "requests": sent.requests, "failed_requests": sent.failed,
            "rejected_events": sent.rejected, "markers_not_taken": sent.markers_failed,
            "errors": sent.errors,
            "request_p50_s": percentile(sent.latencies, 50) if sent.latencies else None,
            "request_p99_s": percentile(sent.latencies, 99) if sent.latencies else None,
            "visitors_seen": traffic.made,
        }
        out["phases"] = []
        for i, name in enumerate(phases):
            (t0, cpu0, self0), (t1, cpu1, self1) = readings[i], readings[i + 1]
            window = t1 - t0
            cpu = {prog: {"seconds": cpu1[prog] - cpu0[prog],
                          "pct_of_core": 100 * (cpu1[prog] - cpu0[prog]) / window}
                   for prog in pids}
            cpu["bench (load, polls, queries)"] = {
                "seconds": self1 - self0, "pct_of_core": 100 * (self1 - self0) / window}
            markers = [m for m in follower.markers if m.phase == i]
            phase: dict[str, Any] = {
                "name": name, "seconds": window, "cpu": cpu,
                "rss": {prog: peak for (prog, ph), peak in sampler.peaks.items() if ph == name},
                "markers": {
                    "followed": len(markers),
                    "stored": _figures([m.stored for m in markers if m.stored is not None],
                                       sum(m.stored is None for m in markers)),
                    "in_session": _figures([m.in_session for m in markers
                                            if m.in_session is not None],
                                           sum(m.in_session is None for m in markers)
                                           if with_model else 0),
                    "never_stored": sum(m.stored is None for m in markers),
                    "never_in_session": (sum(m.in_session is None for m in markers)
                                         if with_model else None),
                },
                "poll_queries": _figures([d for ph, d in follower.poll_seconds if ph == i]),
                "model_lag_s": _figures([lag for ph, lag in lags if ph == i]),
            }
            if i == 1:
                phase["queries"] = _query_figures(timings, q_errors)
                phase["query_rounds"] = rounds[0]
            out["phases"].append(phase)
        out["poll_errors"] = {"failed": follower.errors, "last": follower.last_error}
        out["after_load"] = _after_load(client, run_id, sent.events)
        _report(out, log)
    finally:
        out["exit_codes"] = _stop_all(procs)
        out["logs"] = {p.name: log_errors(p.log) for p in procs}
        for name, info in out["logs"].items():
            if info["error_lines"]:
                log(f"  freshness: {info['error_lines']} error lines in the {name}'s log "
                    f"({info['log']}): {info['first_errors'][0]}")
        out["cleanup"] = cleanup(client)
    return out


def _model_lag(stop: threading.Event, phase: list[int], lags: list[tuple[int, float]]) -> None:
    """Every second: how far the model's watermark is behind the warehouse's clock (the time
    since the start of the worker's last finished pass over the project)."""
    from journeys import progress
    from warehouse.client import new_client

    client = new_client()
    while not stop.wait(1.0):
        try:
            state = progress.read(client, PROJECT)
            if state is not None:
                lag = (progress.server_now(client) - state.watermark).total_seconds()
                lags.append((phase[0], lag))
        except Exception:  # noqa: BLE001 - a missed sample
            pass


async def _one_marker(url: str, key: str, run_id: str, follower: Follower) -> tuple[bool, float]:
    import aiohttp

    mid = f"{PREFIX}{run_id}-warmup"
    event = _web_event("page_view", _now_iso(), mid, mid, USER_AGENTS[0], "/bench/freshness",
                       "Freshness marker", {"run": run_id})
    sent = Sent()
    async with aiohttp.ClientSession() as session:
        ok, at = await _post(session, f"{url}/v1/capture",
                             {"X-Write-Key": key, "Content-Type": "application/json"},
                             json.dumps(event).encode(), 1, sent)
    if ok:
        follower.submit(Marker(-1, event["event_id"], at, timeout=READY_TIMEOUT_S))
    return ok, at


def _query_figures(timings: dict[str, list[float]], errors: dict[str, str]
                   ) -> list[dict[str, Any]]:
    rows = []
    for label, name, _extra, page in queries_bench.CASES:
        t = timings[label]
        rows.append({"label": label, "name": name, "page": page, "runs": len(t),
                     "median": percentile(t, 50) if t else None,
                     "p95": percentile(t, 95) if t else None, "max": max(t) if t else None,
                     "error": errors.get(label, "")})
    return rows


def _after_load(client: Any, run_id: str, sent: int) -> dict[str, Any]:
    """How long after the load every event it sent was stored, and how far the model's
    watermark is behind the warehouse's clock then."""
    from journeys import progress

    t0 = time.perf_counter()
    stored = 0
    all_after: float | None = None
    while time.perf_counter() - t0 < 60:
        stored = int(client.command(
            "SELECT count() FROM events WHERE project_id = {p:String} "
            "AND timestamp >= now64(3) - INTERVAL 1 HOUR AND startsWith(anonymous_id, {pre:String})"
            " AND anonymous_id != {warm:String}",
            parameters={"p": PROJECT, "pre": f"{PREFIX}{run_id}-",
                        "warm": f"{PREFIX}{run_id}-warmup"}))
        if stored >= sent:
            all_after = time.perf_counter() - t0
            break
        time.sleep(0.5)
    state = progress.read(client, PROJECT)
    lag = ((progress.server_now(client) - state.watermark).total_seconds()
           if state is not None else None)
    return {"load_events_stored": stored, "all_stored_after_s": all_after,
            "model_watermark_lag_s": lag}


def cleanup(client: Any) -> dict[str, Any]:
    """Delete the load's events and their model rows (every id starts with PREFIX)."""
    t0 = time.perf_counter()
    settings = {"mutations_sync": 1}
    pre = {"p": PROJECT, "pre": PREFIX}
    try:
        client.command(
            "ALTER TABLE journey_sessions DELETE WHERE project_id = {p:String} "
            "AND (startsWith(anonymous_id, {pre:String}) OR session_id IN (SELECT session_id "
            "FROM journey_events WHERE project_id = {p:String} "
            "AND startsWith(anonymous_id, {pre:String})))", parameters=pre, settings=settings)
        for table in ("journey_events", "events"):
            client.command(f"ALTER TABLE {table} DELETE WHERE project_id = {{p:String}} "
                           "AND startsWith(anonymous_id, {pre:String})", parameters=pre,
                           settings=settings)
        left = int(client.command("SELECT count() FROM events WHERE project_id = {p:String} "
                                  "AND startsWith(anonymous_id, {pre:String})", parameters=pre))
        return {"seconds": time.perf_counter() - t0, "events_left": left}
    except Exception as exc:  # noqa: BLE001 - the figures stand; say the dataset grew
        return {"seconds": time.perf_counter() - t0,
                "error": f"{type(exc).__name__}: {exc}"[:300]}


def _ms(x: float | None) -> str:
    return "—" if x is None else f"{x * 1000:.0f} ms"


def _report(out: dict[str, Any], log: Callable[..., None]) -> None:
    ld = out["load"]
    log(f"  load: {ld['events']:,} events in {ld['wall_s']:.1f} s = {ld['events_per_s']:.0f}/s, "
        f"{ld['failed_requests']} failed requests, request p50 {_ms(ld['request_p50_s'])} "
        f"p99 {_ms(ld['request_p99_s'])}")
    for ph in out["phases"]:
        mk = ph["markers"]
        log(f"  [{ph['name']}] {ph['seconds']:.0f} s")
        for what in ("stored", "in_session") if out["model_worker"] else ("stored",):
            f = mk[what]
            log(f"    {what:10} p50 {_ms(f['p50'])}  p95 {_ms(f['p95'])}  p99 {_ms(f['p99'])}  "
                f"max {_ms(f['max'])}  ({f['n']} of {mk['followed']} markers; never "
                f"{mk['never_' + what]})")
        pq, lag = ph["poll_queries"], ph["model_lag_s"]
        log(f"    poll queries: {pq['n']:,}, p50 {_ms(pq['p50'])} p95 {_ms(pq['p95'])}; model "
            f"watermark behind the clock p50 {_ms(lag['p50'])} max {_ms(lag['max'])}")
        for name, c in ph["cpu"].items():
            log(f"    cpu {name:30} {c['pct_of_core']:6.1f} % of a core  peak RSS "
                f"{ph['rss'].get(name, 0) / 2**20:,.0f} MiB")
        for q in ph.get("queries", []):
            log(f"    {q['label']:32} median {_ms(q['median']):>9}  p95 {_ms(q['p95']):>9}"
                f"  ({q['runs']} runs){'  ' + q['error'] if q['error'] else ''}")
    log(f"  after the load: {out['after_load']}")
