"""The processor: a consumer in the Redis streams' group that stores events in the warehouse.

It reads every project's stream (contract/stream.py) in one XREADGROUP, up to a share of the
batch from each, so one project's backlog never holds another project's events back.
Loop: read a batch (own pending entries first — after a start or an error —, then reclaimed ones
of dead consumers, then new), validate → enrich → claim (exactly-once) → insert → XACK + XDEL.
XACK only after the insert succeeded; during a warehouse outage the same batch is retried with
capped exponential back-off while this consumer keeps its entries (re-claiming them so no other
consumer takes them over). `run` stores one batch on a thread while it reads, validates and
enriches the next. SIGTERM finishes the batches in hand.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import random
import signal
import socket
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import redis
from pydantic import TypeAdapter, ValidationError

from config.logs import setup_logging
from config.settings import Settings, get_settings
from contract.masking import mask_text
from contract.metrics import PROCESSOR_COUNTERS_KEY, REFUSED_COUNTER_PREFIX
from contract.record import EventRecord
from contract.stream import FIELD, registry, streams
from metadata.projects import ProjectSettings, get_project
from processor import dedup, identity
from processor.deadletter import dead_letter
from processor.enrich import Enricher, default_enrichers
from processor.rows import COLUMNS, to_row
from processor.sink import Outage, insert_isolating_poison
from warehouse.client import new_client
from warehouse.events_store import stored_event_ids

log = logging.getLogger("njia.processor")

Validator = Callable[[EventRecord], None]
# One validation over the whole batch (a JSON array of the entries' payloads) is ~2× faster than
# one per entry; a batch with an invalid entry falls back to one per entry.
_BATCH = TypeAdapter(list[EventRecord])
# How often the list of project streams is read again (a new project's first events wait at
# most this long), and the least a stream may take of one read.
STREAMS_REFRESH_SECONDS = 2.0
MIN_SHARE = 100


@dataclass
class Entry:
    entry_id: str
    payload: str
    stream: str
    record: EventRecord | None = None
    row: list[Any] | None = None  # its `events` row, built (and enriched) before the claim


def _load_hook(path: str | None) -> Validator | None:
    if not path:
        return None
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


class Processor:
    def __init__(
        self,
        settings: Settings | None = None,
        consumer: str | None = None,
        enrichers: list[Enricher] | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.redis = redis.Redis.from_url(
            self.settings.effective_redis_url, socket_timeout=10, socket_connect_timeout=3
        )
        self.enrichers = enrichers if enrichers is not None else default_enrichers()
        self.dedup = dedup.Dedup.from_settings(self.redis, self.settings)
        self.identities = identity.IdentityGraph(
            self.redis,
            max_component=self.settings.identity_max_component,
            max_replay_ms=self.settings.identity_max_replay_ms,
        )
        # Identity links refused in the batch in hand, counted once it is stored.
        self._refused_links: Counter[str] = Counter()
        self.validation_hook = _load_hook(self.settings.validation_hook)
        self._client: Any = None
        self._stop = False
        self._project_cache: dict[str, tuple[float, ProjectSettings]] = {}
        self._last_autoclaim = 0.0
        # The streams read (the base stream and each project's), re-listed every few seconds.
        self._streams: list[str] = []
        self._streams_at = 0.0
        # Own pending entries are read after a start or an error (entries of a batch that failed
        # half-way); otherwise there are none, and reading them would cost a round trip a batch.
        self._recover = True
        # Entries read and prepared while the batch before them is being stored: kept from
        # other consumers during an outage too (see _hold).
        self._waiting: list[Entry] = []

    # --- lifecycle ---------------------------------------------------------------------------
    def stop(self, *_: object) -> None:
        log.info("stop requested: finishing the batch in hand")
        self._stop = True

    def ensure_group(self, stream: str | None = None) -> None:
        try:
            self.redis.xgroup_create(
                stream or self.settings.stream_key, self.settings.consumer_group, id="0",
                mkstream=True
            )
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def streams(self) -> list[str]:
        """The streams to read: the base stream and every project's (re-listed every
        STREAMS_REFRESH_SECONDS; a new one gets the consumer group)."""
        now = time.monotonic()
        if self._streams and now - self._streams_at < STREAMS_REFRESH_SECONDS:
            return self._streams
        base = self.settings.stream_key
        found = streams(base, self.redis.smembers(registry(base)))
        for stream in found:
            if stream not in self._streams:
                self.ensure_group(stream)
        self._streams, self._streams_at = found, now
        return found

    def run(self) -> None:
        self.ensure_group()
        self._warm_up()
        log.info("processor %s consuming %s and its project streams", self.consumer,
                 self.settings.stream_key)
        # One batch is stored (claims, insert, identities, ack: mostly waits on Redis and the
        # warehouse, which release the GIL) on a thread while this one reads, validates and
        # enriches the next.
        with ThreadPoolExecutor(1, thread_name_prefix="store") as storer:
            storing: Future[None] | None = None
            while not self._stop:
                try:
                    batch = self._prepare(self._next_entries(None))
                    if storing is not None:
                        self._waiting = batch
                        storing, done = None, storing
                        done.result()
                    self._waiting = []
                    if batch:
                        storing = storer.submit(self._finish, batch)
                except redis.RedisError as exc:
                    self._recover = True
                    if storing is not None:
                        storing, failed = None, storing
                        self._settle(failed)
                    log.error("redis unavailable: %s; retrying in 1 s", exc)
                    time.sleep(1)
                except BaseException:
                    self._recover = True
                    raise
            if storing is not None:
                storing.result()
        log.info("processor %s stopped", self.consumer)

    def _settle(self, storing: Future[None]) -> None:
        """Wait for a batch being stored when the loop failed: its entries must be acknowledged
        or given up before own pending entries are read again."""
        try:
            storing.result()
        except redis.RedisError as exc:
            log.error("storing a batch failed: %s; its entries stay pending", exc)

    def _warm_up(self) -> None:
        """Open the warehouse client and resolve clickhouse-connect's lazy pandas import (~0.7 s
        at its first insert) before the first read, not while the first batch waits."""
        from clickhouse_connect.driver import options

        _ = options.pd
        try:
            _ = self.client
        except Outage as exc:
            log.warning("warehouse not reachable yet: %s", mask_text(exc)[:300])

    # --- reading -----------------------------------------------------------------------------
    def run_once(self, block_ms: int | None = None) -> int:
        """Read and handle one batch; returns the number of entries handled."""
        try:
            entries = self._next_entries(block_ms)
            if entries:
                self.handle(entries)
        except BaseException:
            self._recover = True
            raise
        return len(entries)

    def _next_entries(self, block_ms: int | None) -> list[Entry]:
        if self._recover:
            own = self._read_own_pending()
            if own:
                return own
            self._recover = False
        return self._autoclaim() or self._read_new(block_ms)

    def _read_own_pending(self) -> list[Entry]:
        # Entries delivered to this consumer name before a crash (stable name per slot).
        return self._read("0", block_ms=None)

    def _read_new(self, block_ms: int | None) -> list[Entry]:
        return self._read(
            ">", block_ms=self.settings.processor_block_ms if block_ms is None else block_ms
        )

    def _read(self, start: str, block_ms: int | None) -> list[Entry]:
        names = self.streams()
        # COUNT applies per stream: each project gets its share of a batch in every read.
        share = max(MIN_SHARE, self.settings.processor_batch_size // len(names))
        try:
            response = self.redis.xreadgroup(
                self.settings.consumer_group,
                self.consumer,
                dict.fromkeys(names, start),
                count=share,
                block=block_ms,
            )
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            # A stream was deleted (and its group with it): list and set up the streams again.
            self._streams = []
            return []
        entries, gone = [], []
        for stream, items in response or []:
            name = stream.decode() if isinstance(stream, bytes) else str(stream)
            for entry_id, fields in items:
                entry = _entry(entry_id, fields or {}, name)
                # Deleted while still pending: nothing left to store.
                (entries if fields else gone).append(entry)
        if gone:
            self._ack(gone)
        return entries

    def _autoclaim(self) -> list[Entry]:
        now = time.monotonic()
        if now - self._last_autoclaim < 5:
            return []
        self._last_autoclaim = now
        entries: list[Entry] = []
        for stream in self.streams():
            result = self.redis.xautoclaim(
                stream,
                self.settings.consumer_group,
                self.consumer,
                min_idle_time=self.settings.processor_claim_idle_ms,
                start_id="0-0",
                count=self.settings.processor_batch_size - len(entries),
            )
            items = result[1] if result else []
            entries += [_entry(i, f, stream) for i, f in items if f]
            if len(entries) >= self.settings.processor_batch_size:
                break
        if entries:
            log.info(
                "reclaimed %d entries idle > %d ms",
                len(entries),
                self.settings.processor_claim_idle_ms,
            )
        return entries

    # --- handling ----------------------------------------------------------------------------
    def handle(self, entries: list[Entry]) -> None:
        self._finish(self._prepare(entries))

    def _prepare(self, entries: list[Entry]) -> list[Entry]:
        """Validate and enrich; dead-letters invalid entries and returns the valid ones."""
        valid: list[Entry] = []
        unchecked = entries
        if not self.validation_hook:
            try:
                records = _BATCH.validate_json("[" + ",".join(e.payload for e in entries) + "]")
            except (ValidationError, ValueError):
                records = None
            if records is not None and len(records) == len(entries):
                for entry, record in zip(entries, records, strict=True):
                    entry.record = record
                unchecked, valid = [], list(entries)
        for entry in unchecked:
            try:
                entry.record = EventRecord.from_stream(entry.payload)
                if self.validation_hook:
                    self.validation_hook(entry.record)
            except (ValidationError, ValueError) as exc:
                self._dead_letter(entry, f"invalid event: {_problems(exc)}", "validation")
                continue
            valid.append(entry)
        for entry in valid:
            assert entry.record is not None
            entry.row = to_row(entry.record, self.enrichers)
        return valid

    def _finish(self, valid: list[Entry]) -> None:
        """Store valid entries (retrying through outages), then acknowledge them."""
        delay = 0.5
        while True:
            try:
                stored, duplicates, poison = self._store(valid)
                break
            except Outage as exc:
                self._count("outage_retries", 1)
                if self._stop:
                    log.warning("stopping during an outage; %d entries stay pending", len(valid))
                    return
                log.error(
                    "warehouse outage (%s); retrying %d events in %.1f s",
                    mask_text(exc)[:300],
                    len(valid),
                    delay,
                )
                self._hold(valid, delay)
                delay = min(delay * 2, self.settings.processor_max_backoff_seconds)

        for entry, reason in poison:
            self._dead_letter(entry, reason, "warehouse")
        if poison:
            self.dedup.release(
                [(e.record.project_id, str(e.record.event_id)) for e, _ in poison if e.record],
            )
        self._ack(valid)
        self._count_many({"inserted": stored, "duplicates": duplicates, "batches": 1,
                          **{f"{REFUSED_COUNTER_PREFIX}{reason}": n
                             for reason, n in self._refused_links.items()}})

    def _store(self, entries: Sequence[Entry]) -> tuple[int, int, list[tuple[Entry, str]]]:
        """Claim, check redeliveries, insert. Returns (stored, duplicates, poison)."""
        first: dict[tuple[str, str], Entry] = {}
        duplicates = 0
        for entry in entries:
            assert entry.record is not None
            key = (entry.record.project_id, str(entry.record.event_id))
            if key in first:
                duplicates += 1  # the same event twice in one batch: first copy wins
            else:
                first[key] = entry
        unique = list(first.values())
        claims = self.dedup.claim(
            [
                dedup.ClaimRequest(
                    e.record.project_id,
                    str(e.record.event_id),
                    e.entry_id,
                    self._project(e.record.project_id).max_event_age_seconds,
                )
                for e in unique
                if e.record
            ],
        )
        to_insert = [e for e, c in zip(unique, claims, strict=True) if c is dedup.Claim.NEW]
        # Redeliveries and Bloom positives: stored already? (by project and event id)
        redelivered = [
            e for e, c in zip(unique, claims, strict=True)
            if c is dedup.Claim.REDELIVERY or c is dedup.Claim.MAYBE
        ]
        duplicates += sum(1 for c in claims if c is dedup.Claim.DUPLICATE)
        if redelivered:
            already = self._already_stored(redelivered)
            duplicates += len(already)
            to_insert += [e for e in redelivered if e.entry_id not in already]
        rows = [e.row for e in to_insert if e.row is not None]
        result = insert_isolating_poison(self._insert, rows)
        poison = [(to_insert[i], reason) for i, reason in result.poison]
        rejected = {id(e) for e, _ in poison}
        self._link_identities([e.record for e in unique if e.record and id(e) not in rejected])
        return len(result.stored), duplicates, poison

    def _link_identities(self, records: Sequence[EventRecord]) -> None:
        """Apply the batch's identity links (idempotent), then publish person changes."""
        by_project: dict[str, list[identity.Link]] = {}
        for record in records:
            links = identity.links_from(record)
            if links:
                by_project.setdefault(record.project_id, []).extend(links)
        # Assigned, not added to: a batch retried after an outage counts its refusals once.
        self._refused_links = Counter()
        for project_id, links in by_project.items():
            self._refused_links += self.identities.link(project_id, links).refused
        try:
            self.identities.flush_outbox(self._insert_person_map)
        except Exception as exc:
            raise Outage(f"cannot write person_map: {exc}") from exc

    def _insert_person_map(self, rows: Sequence[Sequence[Any]]) -> None:
        self.client.insert("person_map", rows,
                           column_names=["project_id", "identifier", "person_id", "version"])

    def _already_stored(self, entries: Sequence[Entry]) -> set[str]:
        """Entry ids whose event is already in the warehouse (stored before a crash)."""
        by_project: dict[str, dict[str, str]] = {}
        for e in entries:
            assert e.record is not None
            by_project.setdefault(e.record.project_id, {})[str(e.record.event_id)] = e.entry_id
        found: set[str] = set()
        for project_id, ids in by_project.items():
            try:
                stored = stored_event_ids(self.client, project_id, list(ids))
            except Exception as exc:
                raise Outage(f"cannot check redelivered events: {exc}") from exc
            found.update(ids[event_id] for event_id in stored)
        return found

    def _insert(self, rows: Sequence[Sequence[Any]]) -> None:
        self.client.insert("events", rows, column_names=list(COLUMNS))

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                self._client = new_client(self.settings.effective_clickhouse_url)
            except Exception as exc:
                raise Outage(f"warehouse unreachable: {exc}") from exc
        return self._client

    def _hold(self, entries: Sequence[Entry], seconds: float) -> None:
        """Sleep through a back-off while keeping ownership of the entries in hand."""
        deadline = time.monotonic() + seconds * (0.8 + 0.4 * random.random())
        while time.monotonic() < deadline and not self._stop:
            # Resetting their idle time keeps XAUTOCLAIM of other consumers away from them.
            for stream, ids in _by_stream([*entries, *self._waiting]).items():
                self.redis.xclaim(stream, self.settings.consumer_group, self.consumer, 0, ids,
                                  justid=True)
            time.sleep(min(1.0, max(deadline - time.monotonic(), 0)))

    def _ack(self, entries: Sequence[Entry]) -> None:
        if not entries:
            return
        pipe = self.redis.pipeline(transaction=True)
        for stream, ids in _by_stream(entries).items():
            pipe.xack(stream, self.settings.consumer_group, *ids)
            # Stored entries leave the stream; unprocessed ones are never trimmed.
            pipe.xdel(stream, *ids)
        pipe.execute()

    def _dead_letter(self, entry: Entry, reason: str, stage: str) -> None:
        # Masked before it is cut, so no half of a phone number is left in clear.
        log.warning("dead-lettering entry %s (%s): %s", entry.entry_id, stage,
                    mask_text(reason)[:300])
        dead_letter(self.redis, entry.payload, reason, entry.entry_id, stage)
        self._ack([entry])
        self._count("dead_lettered", 1)

    def _project(self, project_id: str) -> ProjectSettings:
        now = time.monotonic()
        hit = self._project_cache.get(project_id)
        if hit and hit[0] > now:
            return hit[1]
        project = get_project(project_id)
        settings = project.settings if project else ProjectSettings()
        self._project_cache[project_id] = (now + 30, settings)
        return settings

    def _count(self, name: str, value: int) -> None:
        self._count_many({name: value})

    def _count_many(self, values: dict[str, int]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for name, value in values.items():
            if value:
                pipe.hincrby(PROCESSOR_COUNTERS_KEY, name, value)
        pipe.execute()


def _problems(exc: ValueError) -> str:
    """What is wrong with an event, without its values: pydantic quotes each invalid field's
    input (a phone, an email…), and the payload is kept beside the reason anyway."""
    if not isinstance(exc, ValidationError):
        return str(exc)
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'event'}: {err['msg']}"
        for err in exc.errors(include_input=False, include_url=False)
    )


def _entry(entry_id: Any, fields: dict[Any, Any], stream: str) -> Entry:
    eid = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
    raw = fields.get(FIELD.encode(), fields.get(FIELD, b""))
    return Entry(eid, raw.decode() if isinstance(raw, bytes) else str(raw), stream)


def _by_stream(entries: Sequence[Entry]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for entry in entries:
        out.setdefault(entry.stream, []).append(entry.entry_id)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Njia processor")
    parser.add_argument("--consumer", help="stable consumer name (default: host-slot)")
    args = parser.parse_args(argv)
    setup_logging("processor")
    # A batch allocates ~100 k short-lived objects: the default GC thresholds collect many times
    # per batch for nothing (no cycles); the start-up objects are frozen out of every collection.
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    # supervisord gives each of numprocs a stable process_num: reuse it so a restarted
    # processor reads its own pending entries at once.
    slot = os.environ.get("NJIA_PROCESS_NUM", str(os.getpid()))
    processor = Processor(consumer=args.consumer or f"{socket.gethostname()}-{slot}")
    signal.signal(signal.SIGTERM, processor.stop)
    signal.signal(signal.SIGINT, processor.stop)
    processor.run()


if __name__ == "__main__":
    main()
