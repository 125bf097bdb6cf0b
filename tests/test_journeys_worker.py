"""The model worker and `njia rebuild`: a backlog is taken in turns (so one project's backfill
does not hold another's events back), events inserted straight into ClickHouse arrive like any
others, and a rebuild gives what the incremental path stored."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from contract.record import EventRecord
from processor.rows import COLUMNS, to_row
from tests.sessions_helpers import BASE, reference_sessions, stored_sessions


def _backfill(stack, project: str, n: int, browsers: int = 50) -> None:
    """`n` page views straight into `events` (as a backfill does), one every 7 minutes per
    browser, so some sessions split and some do not."""
    records = [EventRecord(project_id=project, event_id=uuid.uuid4(), event_name="page_view",
                           channel="web", timestamp=BASE + timedelta(minutes=7 * (i // browsers)
                                                                     + (i % 3) * 20),
                           received_at=datetime.now(), anonymous_id=f"b{i % browsers}",
                           context={"page": {"path": f"/p{i % 4}"}})
               for i in range(n)]
    # In inserts of 1 000 (one insert's rows share an arrival time, and a pass takes them all).
    for i in range(0, n, 1000):
        stack.ch().insert("events", [to_row(r, []) for r in records[i:i + 1000]],
                          column_names=list(COLUMNS))
        time.sleep(0.01)


def _pending(stack, project: str) -> int:
    from metadata.access import OPERATOR
    from queries.runner import run

    return int(run("model_status", {"project": project}, OPERATOR)["pending_events"].iloc[0])


@pytest.fixture
def small_passes() -> Iterator[None]:
    from config.settings import get_settings

    os.environ["JOURNEYS_MAX_EVENTS_PER_PASS"] = "1000"
    get_settings.cache_clear()
    yield
    del os.environ["JOURNEYS_MAX_EVENTS_PER_PASS"]
    get_settings.cache_clear()


def test_a_backlog_is_taken_in_turns_and_other_projects_are_not_held_back(stack, small_passes):
    from journeys.worker import Worker

    big, small = stack.project()["project_id"], stack.project()["project_id"]
    stack.update_model()  # both projects known to the model (nothing in them yet)
    _backfill(stack, big, 3000)
    _backfill(stack, small, 20, browsers=5)
    Worker().run_once()
    # One pass: the small project is current, the big one has had its first 1 000.
    assert _pending(stack, small) == 0
    assert 0 < _pending(stack, big) <= 2000
    stack.update_model()
    assert _pending(stack, big) == 0
    for project in (big, small):
        assert stored_sessions(stack, project) == reference_sessions(stack, project)


def test_njia_rebuild_equals_the_incremental_model(stack, capsys):
    from cli.main import main

    project = stack.project()["project_id"]
    stack.update_model()
    _backfill(stack, project, 400, browsers=20)
    stack.update_model()
    incremental = stored_sessions(stack, project)
    assert incremental == reference_sessions(stack, project)

    assert main(["rebuild", "--project", project]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["project_id"] == project and out[0]["events"] == 400
    assert stored_sessions(stack, project) == incremental

    day = BASE.date().isoformat()
    assert main(["rebuild", "--project", project, "--from", day, "--to", day]) == 0
    assert stored_sessions(stack, project) == incremental
    assert main(["rebuild", "--project", project, "--from", day]) == 2  # both or neither


def test_rows_computed_with_other_journey_sql_are_rebuilt(stack):
    """An upgrade that changes the journey SQL (warehouse/journey/) rebuilds the model: the
    progress row names the SQL's hash the rows were computed with."""
    from journeys import progress
    from journeys.worker import Worker, timeouts_of
    from metadata.projects import get_project
    from warehouse.journey_sql import definition

    pid = stack.project()["project_id"]
    _backfill(stack, pid, 40, browsers=4)
    stack.update_model()
    expected = reference_sessions(stack, pid)
    assert stored_sessions(stack, pid) == expected
    client = stack.ch()
    # What an older definition left, say: nothing (this project's rows only: the stack is shared).
    client.command("DELETE FROM journey_sessions WHERE project_id = {p:String}",
                   parameters={"p": pid})
    assert stored_sessions(stack, pid) == []
    timeouts = timeouts_of(get_project(pid))
    state = progress.read(client, pid)
    progress.write(client, pid, state.watermark, timeouts, defined="an-older-hash")
    assert not progress.read(client, pid).current(timeouts)

    Worker().run_once()
    assert progress.read(client, pid).definition == definition()
    assert stored_sessions(stack, pid) == expected
