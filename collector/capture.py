"""POST /v1/capture — the Njia SDK's endpoint: a batch or one bare event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from collector.body import read_json
from collector.capture_batch import Batch, entry, validate_batch
from collector.ingest import (
    Admission,
    accept,
    admit,
    client_ip,
    json_error,
    require_project,
)
from collector.validation import CaptureEvent, error_messages, parse_time, to_record
from metadata.projects import Project


def split_batch(body: Any) -> tuple[list[Any], Any] | None:
    """(events, sent_at) from `{"batch": [...], "sent_at": …}` or one bare event.

    None when the body is neither.
    """
    if isinstance(body, dict) and "batch" in body:
        batch = body["batch"]
        return (batch if isinstance(batch, list) else None), body.get("sent_at")
    if isinstance(body, dict):
        return [body], body.get("sent_at")
    if isinstance(body, list):
        return body, None
    return None


async def capture(request: web.Request) -> web.Response:
    received_at = datetime.now(UTC)
    body = await read_json(request)
    project = await require_project(request, body)
    settings = request.app["settings"]
    split = split_batch(body)
    if split is None or split[0] is None:
        return json_error(
            400, 'body: expected {"batch": [event, …], "sent_at": ISO 8601} or one event object'
        )
    events, sent_at_raw = split
    if len(events) > settings.max_batch_events:
        return json_error(
            413, f"batch: {len(events)} events exceeds the limit of {settings.max_batch_events}"
        )
    sent_at = parse_time(sent_at_raw) if sent_at_raw is not None else None
    if sent_at_raw is not None and sent_at is None:
        return json_error(400, f"sent_at: {str(sent_at_raw)[:40]!r} is not an ISO 8601 timestamp "
                               "from 1970 to 2199")

    ip = client_ip(request)
    outcome = Admission()
    batch = Batch(project.project_id, received_at, sent_at, ip, project.settings.phone_region,
                  project.settings.max_event_age_seconds, settings.max_future_seconds)
    admit_events(outcome, events, project, batch)
    return await accept(request, outcome, "capture")


def admit_events(outcome: Admission, events: list[Any], project: Project, batch: Batch) -> None:
    """Each event kept or rejected (index and reasons): the fast path decides what it can, the
    models decide (and explain) the rest."""
    for index, event in enumerate(validate_batch(events)):
        decided = entry(event, batch) if event is not None else None
        if decided is None:
            capture_one(outcome, index, events[index], project, batch)
        elif type(decided) is str:
            outcome.reject(index, [decided], "out_of_time_range")
        else:
            outcome.keep(decided, project.project_id)


def capture_one(outcome: Admission, index: int, raw: Any, project: Project, batch: Batch) -> None:
    """One event through the models: CaptureEvent, then the EventRecord it maps to."""
    if not isinstance(raw, dict):
        outcome.reject(index, ["event: expected a JSON object"], "validation")
        return
    try:
        event = CaptureEvent.model_validate(raw)
    except ValidationError as exc:
        outcome.reject(index, error_messages(exc), "validation")
        return
    record = to_record(event, project.project_id, batch.received_at, batch.sent_at, batch.ip,
                       project.settings.phone_region)
    admit(outcome, index, record, project, batch.max_future)
