"""Views are code: an installation picks up a changed view file on its next migrate (every start
migrates), an unchanged view is not re-applied, and a missing one is re-created."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from clickhouse_connect.driver.exceptions import ClickHouseError

from warehouse.migrate import VIEWS_DIR, migrate, migration_files, view_files, view_statement

START = datetime(2026, 3, 10, tzinfo=UTC)
END = datetime(2026, 3, 11, tzinfo=UTC)
ALL_VIEWS = [f"views/{p.name}" for p in view_files()]


def _installation(stack) -> str:
    """A database of its own on the test warehouse (the writer's URL)."""
    return f"{stack.warehouse.url}/views_{uuid.uuid4().hex[:10]}"


def _columns(client, view: str, **extra: object) -> list[str]:
    """The columns a view answers with (its definition as it is now)."""
    args = ", ".join(f"{k} = {{{k}:{_TYPES[k]}}}" for k in ["project", "start", "end",
                                                            "timeout_s", *extra])
    params = {"project": "p", "start": START, "end": END, "timeout_s": 1800, **extra}
    return list(client.query(f"SELECT * FROM {view}({args})", parameters=params).column_names)


_TYPES = {"project": "String", "start": "DateTime64(3, 'UTC')", "end": "DateTime64(3, 'UTC')",
          "timeout_s": "UInt32", "session_timeout_s": "UInt32",
          "conversion_events": "Array(String)"}


def _edit(views: Path, name: str, old: str, new: str) -> None:
    path = views / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_an_installation_from_before_views_were_code_gets_the_current_views(stack, tmp_path):
    from warehouse.client import new_client

    url = _installation(stack)
    # What an installation had before views were code: the table migrations, and the views as
    # migration 0003 created them when it first ran (a fixed 30-minute web timeout), with no
    # record of them.
    no_views = tmp_path / "none"
    no_views.mkdir()
    assert migrate(url, views_dir=no_views) == [p.name for p in migration_files()]
    client = new_client(url)
    client.command("DROP TABLE njia_views")
    old = tmp_path / "old"
    old.mkdir()
    (old / "session_events.sql").write_text(
        "SELECT event_id, '' AS session_id FROM events WHERE project_id = {project:String} "
        "AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')} "
        "AND {timeout_s:UInt32} > 0")
    for path in view_files(old):
        client.command(view_statement(path))
    assert "session_id" in _columns(client, "session_events")  # no session_timeout_s needed

    # The next start migrates: the views are re-created from warehouse/views/.
    assert migrate(url) == ALL_VIEWS
    with pytest.raises(ClickHouseError, match="session_timeout_s"):
        _columns(client, "session_events")
    assert "session_id" in _columns(client, "session_events", session_timeout_s=1800)

    # Nothing changed: nothing is applied again.
    assert migrate(url) == []


def test_a_changed_view_file_is_reapplied_and_an_unchanged_one_is_not(stack, tmp_path):
    from warehouse.client import new_client

    url = _installation(stack)
    assert migrate(url)[-len(ALL_VIEWS):] == ALL_VIEWS
    client = new_client(url)
    applied_at = dict(client.query(
        "SELECT name, max(applied_at) FROM njia_views GROUP BY name").result_rows)

    views = tmp_path / "views"
    shutil.copytree(VIEWS_DIR, views)
    _edit(views, "sessions.sql", "SELECT * FROM (", "SELECT *, 'v2' AS definition FROM (")
    session_args = {"session_timeout_s": 1800, "conversion_events": ["return_filed"]}
    assert "definition" not in _columns(client, "sessions", **session_args)

    assert migrate(url, views_dir=views) == ["views/sessions.sql"]
    assert _columns(client, "sessions", **session_args)[-1] == "definition"
    # session_events was not touched: its recorded application is the first one.
    now = dict(client.query(
        "SELECT name, max(applied_at) FROM njia_views GROUP BY name").result_rows)
    assert now["session_events"] == applied_at["session_events"]
    assert now["sessions"] > applied_at["sessions"]
    assert migrate(url, views_dir=views) == []

    # Back to the shipped file: re-applied again (the hash is the file's, not a version number).
    assert migrate(url) == ["views/sessions.sql"]
    assert "definition" not in _columns(client, "sessions", **session_args)


def test_a_dropped_view_is_recreated(stack):
    from warehouse.client import new_client

    url = _installation(stack)
    migrate(url)
    new_client(url).command("DROP VIEW sessions")
    assert migrate(url) == ["views/sessions.sql"]


def test_a_view_whose_file_was_deleted_is_dropped(stack, tmp_path):
    """Views are code: one whose file is gone is dropped by the next migrate (and one that comes
    back is created again)."""
    from warehouse.client import new_client

    url = _installation(stack)
    migrate(url)
    client = new_client(url)
    views = tmp_path / "views"
    shutil.copytree(VIEWS_DIR, views)
    (views / "stored_errors.sql").unlink()

    assert migrate(url, views_dir=views) == ["views/stored_errors.sql (dropped)"]
    assert "stored_errors" not in {r[0] for r in client.query("SHOW TABLES").result_rows}
    assert migrate(url, views_dir=views) == []
    assert migrate(url) == ["views/stored_errors.sql"]
