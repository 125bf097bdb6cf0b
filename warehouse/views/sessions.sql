-- sessions(project, start, end, timeout_s, session_timeout_s, conversion_events): the REFERENCE
-- computation of sessions — one row per web session or WhatsApp conversation whose start is in
-- [start, end), computed over all the project's events (never cut at a range margin). Pages read
-- stored_sessions; this view defines it and is the test oracle.
--
-- Each session's person is its person_key's, through person_map now (journey/person.sql).
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file or its
-- template changed (warehouse/migrate.py).
SELECT * FROM (
{{ session_projection: (
{{ person: (
{{ session_rows: (
    {{ membership: events WHERE project_id = {project:String} }}
) }}
) }}
) }}
)
WHERE start >= {start:DateTime64(3, 'UTC')} AND start < {end:DateTime64(3, 'UTC')}
