"""Posts the demo to the collector over HTTP, as the SDK and the CRM would.

`/v1/capture` gets `{"batch": [...], "sent_at": …}` with `sent_at` stamped at send time (the
collector's skew correction then leaves the timestamps as generated); `/v1/webhooks/crm` gets
`{"events": [...]}` signed with the webhook secret. Batches go out in event-time order, a few
at a time; 503/429 are retried after their Retry-After, connection errors with back-off, and
any other refusal stops the load with the collector's message.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from heapq import merge
from typing import Any

import aiohttp
from tqdm import tqdm

from demo.clock import iso
from demo.errors import DemoError
from demo.scenario import Dataset, Timed

CAPTURE_PATH = "/v1/capture"
CRM_PATH = "/v1/webhooks/crm"
MAX_ATTEMPTS = 30


@dataclass(frozen=True)
class Batch:
    path: str
    first_ms: int
    items: list[dict[str, Any]]


@dataclass
class SendReport:
    accepted: Counter[str] = field(default_factory=Counter)  # by path
    rejected: Counter[str] = field(default_factory=Counter)  # by path
    rejections: list[str] = field(default_factory=list)  # the first few reasons
    requests: int = 0
    retries: int = 0
    seconds: float = 0.0


def _chunks(path: str, timed: list[Timed], size: int) -> list[Batch]:
    return [Batch(path, timed[i][0], [item for _, item in timed[i:i + size]])
            for i in range(0, len(timed), size)]


def batches(dataset: Dataset, capture_size: int = 250, crm_size: int = 500) -> list[Batch]:
    """Both endpoints' batches, interleaved by their first event's time."""
    return list(merge(_chunks(CAPTURE_PATH, dataset.capture, capture_size),
                      _chunks(CRM_PATH, dataset.crm, crm_size), key=lambda b: b.first_ms))


def _body(batch: Batch, webhook_secret: str) -> tuple[bytes, dict[str, str]]:
    if batch.path == CAPTURE_PATH:
        # Stamped now, like the SDK: timestamp − sent_at is each event's age.
        sent_at = iso(int(time.time() * 1000))
        raw = json.dumps({"batch": batch.items, "sent_at": sent_at},
                         separators=(",", ":"), ensure_ascii=False).encode()
        return raw, {}
    raw = json.dumps({"events": batch.items}, separators=(",", ":"),
                     ensure_ascii=False).encode()
    signature = hmac.new(webhook_secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"X-Signature": f"sha256={signature}"}


async def _post(session: aiohttp.ClientSession, url: str, batch: Batch, write_key: str,
                webhook_secret: str, report: SendReport) -> dict[str, Any]:
    delay = 0.5
    for attempt in range(1, MAX_ATTEMPTS + 1):
        raw, headers = _body(batch, webhook_secret)  # re-stamped and re-signed per attempt
        headers.update({"Content-Type": "application/json", "X-Write-Key": write_key})
        report.requests += 1
        try:
            async with session.post(url + batch.path, data=raw, headers=headers) as resp:
                text = await resp.text()
                if resp.status == 200:
                    return json.loads(text)
                if resp.status in (429, 503) or resp.status >= 500:
                    wait = float(resp.headers.get("Retry-After") or delay)
                    reason = f"HTTP {resp.status}"
                else:
                    raise DemoError(f"{batch.path}: the collector refused the batch with HTTP "
                                    f"{resp.status}: {text[:500]}")
        except (TimeoutError, aiohttp.ClientConnectionError) as exc:
            wait, reason = delay, f"{exc.__class__.__name__}: {exc}"
        if attempt == MAX_ATTEMPTS:
            raise DemoError(f"{batch.path}: giving up after {attempt} attempts ({reason})")
        report.retries += 1
        await asyncio.sleep(wait)
        delay = min(delay * 2, 10.0)
    raise AssertionError("unreachable")


async def send(dataset: Dataset, collector_url: str, write_key: str, webhook_secret: str,
               *, concurrency: int = 4, progress: bool = True) -> SendReport:
    """Post every batch; returns what the collector accepted and rejected."""
    url = collector_url.rstrip("/")
    report = SendReport()
    queue: asyncio.Queue[Batch] = asyncio.Queue()
    for batch in batches(dataset):
        queue.put_nowait(batch)
    bar = tqdm(total=len(dataset.capture) + len(dataset.crm), unit="ev", unit_scale=True,
               desc="njia demo", file=sys.stderr, disable=not progress, smoothing=0.1,
               mininterval=0.2 if sys.stderr.isatty() else 10)
    started = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=120, connect=10)
    async with aiohttp.ClientSession(timeout=timeout,
                                     connector=aiohttp.TCPConnector(limit=concurrency)) as s:
        async def worker() -> None:
            while not queue.empty():
                batch = queue.get_nowait()
                result = await _post(s, url, batch, write_key, webhook_secret, report)
                report.accepted[batch.path] += int(result.get("accepted", 0))
                for rejection in result.get("rejected", []):
                    report.rejected[batch.path] += 1
                    if len(report.rejections) < 5:
                        report.rejections.append("; ".join(rejection.get("errors", [])))
                bar.update(len(batch.items))

        tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            bar.close()
    report.seconds = time.monotonic() - started
    return report


def check_collector(url: str) -> None:
    """Fail early, before any project is created, when the collector does not answer."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/v1/health", timeout=5) as resp:
            resp.read()
    except urllib.error.HTTPError as exc:
        raise DemoError(f"the collector at {url} is not ready (HTTP {exc.code}: "
                        f"{exc.read()[:200].decode(errors='replace')})") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DemoError(f"cannot reach the collector at {url} ({exc}); is the stack running "
                        "(`njia run`)?") from exc
