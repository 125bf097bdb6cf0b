"""Recomputing the stored journey model for the chains a set of events touches.

One recompute, for one project and a source of events (new arrivals, or a day of a rebuild):
1. the chains the events touch (and any the caller names: those an identity merge changed) go
   into `journey_touched` under a fresh version;
2. every event of those chains is re-assigned by `warehouse/journey/membership.sql` — the very
   SQL of the reference view — given its person by `person.sql` (person_map as it is now), and
   written to `journey_events` with that version;
3. an event whose chain changed (a receipt whose message arrived) gets a `deleted` row under its
   old key, and that key is recomputed too;
4. the sessions of those chains are re-aggregated by `session_rows.sql`, given their persons,
   into `journey_sessions`; sessions that no longer exist (two merged by a late event) get
   `deleted` rows; the chains' rollups (`ROLLUPS`: activity per 15 minutes, page views) likewise.
A chain is recomputed whole from `events`, so the result is what the reference views give over
all events, whatever order events came in. Steps are separate statements: a reader between them
sees a chain half updated for a moment, never a wrong chain afterwards.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from clickhouse_connect.driver.client import Client

from warehouse.journey_sql import (
    chains_from_events,
    chains_from_model,
    membership,
    person,
    render,
    session_rows,
    touched,
)

log = logging.getLogger("njia.journeys")

# journey_events' columns after (project_id, journey_key, timestamp, event_id, version, deleted),
# as membership.sql names them.
MEMBER_COLUMNS = (
    "session_id", "session_channel", "event_key", "event_name", "channel", "anonymous_id",
    "user_id", "phone", "own_phone", "email", "sdk_session_id", "page_path", "page_title",
    "device_type", "browser", "os", "country", "city", "is_bot", "message_id", "chat_id",
    "direction", "agent_id", "person_id",
)
SESSION_COLUMNS = (
    "channel", "journey_key", "person_key", "person_id", "end", "event_count", "entry_page",
    "exit_page", "event_names", "inbound", "outbound", "resolved", "handed_off", "dropped",
    "device_type", "browser", "os", "country", "is_bot", "phone", "anonymous_id", "user_id",
)


@dataclass(frozen=True)
class Rollup:
    """A table of the chains' rows rolled up by a template (`warehouse/journey/<template>.sql`):
    `key`, its replacing key after project_id (the template's grouping); `values`, the rest."""

    table: str
    template: str
    key: tuple[str, ...]
    values: tuple[str, ...]


ROLLUPS = (
    Rollup("journey_activity", "activity",
           ("journey_key", "bucket", "person_id", "channel", "is_bot", "sessioned"), ("events",)),
    Rollup("journey_pages", "pages",
           ("journey_key", "bucket", "page_path", "session_id", "person_id", "is_bot"),
           ("views", "first_bucket", "first")),
    Rollup("journey_messages", "messages", ("journey_key", "sent_at", "message_id"),
           ("session_id", "sends", "delivered", "read", "failed", "replied", "is_bot")),
    Rollup("journey_conversations", "conversations", ("journey_key", "start", "session_id"),
           ("last_inbound_at", "last_message_at", "replied", "first_outbound_at",
            "first_response_s", "resolved_at", "resolution_s", "crm_resolution_s",
            "crm_duration_minutes", "crm_message_count", "outcome", "csat_rating", "csat_at",
            "csat_responses", "service_name", "first_intent", "agent_id", "first_assigned_at",
            "assignments", "agent_first_response_s", "responses", "is_bot",
            "messages")),
)
# What membership.sql reads of an event (the `events` columns it names). Not `properties`: the
# model never needs them, and reading a JSON column back for every touched chain cost 4× the
# rest of a pass; queries that show them join `events` (warehouse/views/stored_session.sql).
SOURCE_COLUMNS = (
    "event_id", "event_name", "channel", "timestamp", "anonymous_id", "user_id", "phone", "email",
    "session_id", "page_path", "page_title", "device_type", "browser", "os", "country", "city",
    "is_bot", "message_id", "chat_id", "direction", "agent_id",
)
# Every identifier the chains' events carry: a superset of the keys whose persons a recompute
# attaches (events' keys, and sessions' keys, which are made of the same columns), so it reads
# those rows of person_map by its primary key instead of all of them.
_IDENTIFIERS = (
    "identifier IN (SELECT arrayJoin([concat('user:', user_id), concat('anon:', anonymous_id), "
    "concat('phone:', phone), concat('email:', email)]) FROM journey_scratch "
    "WHERE version = {version:UInt64})")
_TOUCHED = ("(SELECT journey_key FROM journey_touched WHERE version = {version:UInt64} "
            "AND project_id = {project:String})")


# Rows of events written in this version under another chain than the one they were in.
_NEW_ROWS = ("(SELECT event_id, journey_key FROM journey_events "
             "WHERE project_id = {project:String} AND version = {version:UInt64})")
_MOVED_FROM_SCRATCH = (
    "FROM (SELECT * FROM journey_events WHERE project_id = {project:String} AND deleted = 0 "
    "AND version < {version:UInt64} AND (journey_key, timestamp, event_id) IN ("
    "  SELECT s.old_key, s.timestamp, s.event_id FROM journey_scratch AS s "
    f"  INNER JOIN {_NEW_ROWS} AS n ON n.event_id = s.event_id "
    "  WHERE s.version = {version:UInt64} AND s.old_key != '' AND s.old_key != n.journey_key))")
_MOVED_BY_SEARCH = (
    "FROM (SELECT * FROM journey_events WHERE project_id = {project:String} AND deleted = 0 "
    "AND version < {version:UInt64} "
    f"AND event_id IN (SELECT event_id FROM {_NEW_ROWS}) "
    f"AND (event_id, journey_key) NOT IN {_NEW_ROWS})")


@dataclass(frozen=True)
class Timeouts:
    """The project's timeouts the model is computed with (its settings)."""

    session_timeout_s: int
    timeout_s: int


@dataclass
class Recomputed:
    version: int
    chains: int
    events: int
    sessions: int
    seconds: float


_version_lock = threading.Lock()
_last_version = 0


def next_version() -> int:
    """A version above every earlier one of this process: nanoseconds of the wall clock."""
    global _last_version
    with _version_lock:
        _last_version = max(time.time_ns(), _last_version + 1)
        return _last_version


def recompute(client: Client, project_id: str, source: str, timeouts: Timeouts,
              params: dict[str, object] | None = None, *, from_model: bool = True,
              chains: str | None = None) -> Recomputed:
    """Recompute every chain the events of `source` touch (`source`: a table expression over
    `events`, our own SQL, with its own bound `params`), and the chains `chains` names (a query
    of journey keys, e.g. those whose persons a merge changed). `from_model`: read the chains'
    earlier events from journey_events (incremental: it holds every earlier event); else scan
    `events` (a rebuild, which must not trust journey_events)."""
    began = time.perf_counter()
    version = next_version()
    bound = {**(params or {}), "project": project_id, "version": version,
             "timeout_s": timeouts.timeout_s, "session_timeout_s": timeouts.session_timeout_s}
    client.command(
        "INSERT INTO journey_touched (version, project_id, journey_key) "
        "SELECT {version:UInt64}, {project:String}, journey_key FROM (" + touched(source)
        + (f" UNION DISTINCT {chains}" if chains else "") + ")",
        # `chains` may find rows by skip index under FINAL (journeys/worker.py STALE_CHAINS).
        parameters=bound, settings={"use_skip_indexes_if_final": 1})
    n_chains = int(client.command(
        "SELECT count() FROM journey_touched WHERE version = {version:UInt64}",
        parameters=bound))
    if n_chains == 0:
        return Recomputed(version, 0, 0, 0, time.perf_counter() - began)
    source_cols = ", ".join(SOURCE_COLUMNS)
    if from_model:
        chain_events, old_key = chains_from_model(source), "old_key"
    else:
        chain_events, old_key = chains_from_events(), "''"
    client.command(
        f"INSERT INTO journey_scratch (version, {source_cols}, old_key) "
        f"SELECT {{version:UInt64}}, {source_cols}, {old_key} FROM {chain_events}",
        # Skip indexes find receipts and chat events by id under FINAL: ids never change
        # between versions of a row, so no newer version can be skipped.
        parameters=bound, settings={"use_skip_indexes_if_final": 1})
    member_cols = ", ".join(MEMBER_COLUMNS)
    client.command(
        "INSERT INTO journey_events (project_id, journey_key, timestamp, event_id, version, "
        f"deleted, {member_cols}) "
        "SELECT {project:String}, journey_key, timestamp, event_id, {version:UInt64}, 0, "
        f"{member_cols} FROM ("
        + person("(SELECT *, event_key AS person_key FROM ("
                 + membership(f"(SELECT {source_cols} FROM journey_scratch "
                              "WHERE version = {version:UInt64})") + "))", _IDENTIFIERS) + ") "
        f"WHERE journey_key IN {_TOUCHED}",
        parameters=bound)
    # Events now in another chain than before: delete their old rows, recompute the old chain.
    # Incremental: the rows read say which chain each was in. A rebuild read `events`, so it
    # looks the old rows up.
    moved = _MOVED_FROM_SCRATCH if from_model else _MOVED_BY_SEARCH
    client.command(
        "INSERT INTO journey_touched (version, project_id, journey_key) "
        "SELECT DISTINCT {version:UInt64}, {project:String}, journey_key " + moved,
        parameters=bound)
    # (REPLACE's aliases would shadow the columns in a WHERE beside them: filter in a subquery.)
    client.command(
        "INSERT INTO journey_events SELECT * REPLACE ({version:UInt64} AS version, 1 AS deleted) "
        + moved, parameters=bound)
    session_cols = ", ".join(SESSION_COLUMNS)
    client.command(
        "INSERT INTO journey_sessions (project_id, start, session_id, version, deleted, "
        f"{session_cols}) "
        "SELECT {project:String}, start, session_id, {version:UInt64}, 0, "
        f"{session_cols} FROM ("
        + person("(" + session_rows("(SELECT * FROM journey_events FINAL "
                                    "WHERE project_id = {project:String} "
                                    f"AND journey_key IN {_TOUCHED})") + ")", _IDENTIFIERS)
        + ")",
        parameters=bound)
    client.command(
        "INSERT INTO journey_sessions SELECT * REPLACE ({version:UInt64} AS version, 1 AS deleted) "
        "FROM (SELECT * FROM journey_sessions WHERE project_id = {project:String} AND deleted = 0 "
        f"AND version < {{version:UInt64}} AND journey_key IN {_TOUCHED} "
        "AND session_id NOT IN (SELECT session_id FROM journey_sessions "
        "  WHERE project_id = {project:String} AND version = {version:UInt64}))",
        parameters=bound)
    for rollup in ROLLUPS:
        _write_rollup(client, rollup, bound)
    written = client.query(
        "SELECT (SELECT count() FROM journey_events WHERE project_id = {project:String} "
        "        AND version = {version:UInt64} AND deleted = 0), "
        "       (SELECT count() FROM journey_sessions WHERE project_id = {project:String} "
        "        AND version = {version:UInt64} AND deleted = 0)",
        parameters=bound).result_rows[0]
    return Recomputed(version, n_chains, int(written[0]), int(written[1]),
                      time.perf_counter() - began)


def _write_rollup(client: Client, rollup: Rollup, bound: dict[str, object]) -> None:
    """The touched chains' rows of `rollup` under this version, and `deleted` rows for those of
    its rows that no longer exist (a person re-mapped, an event moved, a session merged)."""
    cols = ", ".join(rollup.key + rollup.values)
    client.command(
        f"INSERT INTO {rollup.table} (project_id, version, deleted, {cols}) "
        f"SELECT {{project:String}}, {{version:UInt64}}, 0, {cols} FROM ("
        + render(rollup.template,
                 "(SELECT * FROM journey_events FINAL WHERE project_id = {project:String} "
                 f"AND journey_key IN {_TOUCHED} AND deleted = 0)") + ")",
        parameters=bound)
    key = ", ".join(rollup.key)
    client.command(
        f"INSERT INTO {rollup.table} "
        "SELECT * REPLACE ({version:UInt64} AS version, 1 AS deleted) "
        f"FROM (SELECT * FROM {rollup.table} WHERE project_id = {{project:String}} AND deleted = 0 "
        f"AND version < {{version:UInt64}} AND journey_key IN {_TOUCHED} "
        f"AND ({key}) NOT IN (SELECT {key} FROM {rollup.table} "
        "  WHERE project_id = {project:String} AND version = {version:UInt64}))",
        parameters=bound)
