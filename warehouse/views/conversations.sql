-- conversations(project, start, end, timeout_s, session_timeout_s): the REFERENCE computation of
-- the WhatsApp conversations' facts (warehouse/journey/conversations.sql) over all the
-- project's events, for the conversations whose start is in [start, end). The model worker
-- stores the same rows in journey_conversations; tests/test_journey_equivalence.py checks they
-- agree. Pages read stored_conversations.
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file or its
-- template changed (warehouse/migrate.py).
SELECT * FROM (
{{ conversations: (
    {{ membership: events WHERE project_id = {project:String} }}
) }}
)
WHERE start >= {start:DateTime64(3, 'UTC')} AND start < {end:DateTime64(3, 'UTC')}
