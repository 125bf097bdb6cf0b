-- session_events(project, start, end, timeout_s, session_timeout_s): the REFERENCE computation
-- of membership — the project's events in [start, end) with the session each belongs to ('' for
-- none), computed over ALL the project's events, so a session is never cut at a range margin.
-- Pages read the stored model (stored_session_events); this view defines it and is the oracle
-- the stored model is tested against (tests/test_journey_equivalence.py). It reads every event
-- of the project: slow on purpose, never on a page.
--
-- Each event's person is its key's (event_key), through person_map now (journey/person.sql).
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file or its
-- template changed (warehouse/migrate.py).
SELECT * FROM (
{{ person: (SELECT *, event_key AS person_key FROM (
{{ membership: events WHERE project_id = {project:String} }}
)) }}
)
WHERE timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
