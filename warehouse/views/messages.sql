-- messages(project, start, end, timeout_s, session_timeout_s): the REFERENCE computation of the
-- outbound WhatsApp messages with their receipts (warehouse/journey/messages.sql) over all the
-- project's events, for the messages first sent in [start, end). The model worker stores the
-- same rows in journey_messages; tests/test_whatsapp.py checks they agree. Queries read
-- journey_messages.
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file or its
-- template changed (warehouse/migrate.py).
SELECT * FROM (
{{ messages: (
    {{ membership: events WHERE project_id = {project:String} }}
) }}
)
WHERE sent_at >= {start:DateTime64(3, 'UTC')} AND sent_at < {end:DateTime64(3, 'UTC')}
