"""Collector counters (Prometheus text at GET /metrics), plus the processors' counters and the
stream's lag and pending, which the processors keep in Redis so every process's work adds up."""

from __future__ import annotations

import logging

import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from contract.metrics import PROCESSOR_COUNTERS_KEY, REFUSAL_REASONS, REFUSED_COUNTER_PREFIX
from contract.stream import registry, streams

log = logging.getLogger("njia.collector")



class CollectorMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "njia_collector_requests",
            "HTTP requests by endpoint and status",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.accepted = Counter(
            "njia_collector_events_accepted",
            "Events accepted (valid) by source",
            ["source"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "njia_collector_events_rejected",
            "Events rejected, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.enqueued = Counter(
            "njia_collector_events_enqueued",
            "Events written to the Redis stream",
            registry=self.registry,
        )

    async def render(
        self, redis: aioredis.Redis, stream: str, group: str, dead_letters: str
    ) -> bytes:
        text = generate_latest(self.registry)
        try:
            extra = await _pipeline_families(redis, stream, group, dead_letters)
        except Exception as exc:  # metrics must still answer while Redis is down
            log.warning("metrics: cannot read pipeline state from Redis: %s", exc)
            extra = []
        registry = CollectorRegistry()

        class _Static:
            def collect(self):  # noqa: ANN202
                return extra

        registry.register(_Static())
        return text + generate_latest(registry)


async def _pipeline_families(
    redis: aioredis.Redis, stream: str, group: str, dead_letters: str
) -> list:
    counters = await redis.hgetall(PROCESSOR_COUNTERS_KEY)
    families = []
    for name in ("inserted", "duplicates", "dead_lettered", "batches", "outage_retries"):
        fam = CounterMetricFamily(f"njia_processor_{name}", f"Processor events {name}")
        fam.add_metric([], float(counters.get(name.encode(), 0) or 0))
        families.append(fam)
    refused = CounterMetricFamily(
        "njia_processor_identity_links_refused",
        "Identity links refused: pin_conflict (the two-PIN guardrail kept them apart), "
        "component_too_large / replay_too_slow (IDENTITY_MAX_COMPONENT / _REPLAY_MS)",
        labels=["reason"],
    )
    for reason in REFUSAL_REASONS:
        field = f"{REFUSED_COUNTER_PREFIX}{reason}".encode()
        refused.add_metric([reason], float(counters.get(field, 0) or 0))
    families.append(refused)
    # Over every project's stream and the base stream (contract/stream.py).
    length = pending = 0
    for name in streams(stream, await redis.smembers(registry(stream))):
        if not await redis.exists(name):
            continue
        length += await redis.xlen(name)
        try:
            summary = await redis.xpending(name, group)
            pending += int(summary.get("pending", 0)) if isinstance(summary, dict) else 0
        except aioredis.ResponseError:
            pass  # no group on it yet: nothing delivered
    # The processor deletes entries once stored, so the stream holds exactly the entries not
    # yet delivered plus those delivered but unacknowledged: lag = length − pending.
    lag = GaugeMetricFamily("njia_stream_lag", "Stream entries not yet delivered to a processor")
    lag.add_metric([], float(max(length - pending, 0)))
    pend = GaugeMetricFamily("njia_stream_pending", "Entries delivered but not yet acknowledged")
    pend.add_metric([], float(pending))
    dl = GaugeMetricFamily("njia_deadletters", "Entries in the dead-letter stream")
    dl.add_metric([], float(await redis.xlen(dead_letters)))
    families += [lag, pend, dl]
    return families
