-- stored_wa_open(project, at, timeout_s): the WhatsApp conversations open at `at` — the current
-- instant (the queries bind it when they run) — by Njia's definition (docs/metrics.md
-- "WhatsApp": open now), which may differ from the CRM's inbox: the conversation's last message
-- (either direction) is within the conversation timeout before `at`, and it has no
-- `chat.resolved`. Bots excluded. One row each, with who holds it (its last `chat.assigned`, ''
-- for none) and whether the taxpayer is waiting (the last message is theirs). The facts are the
-- stored model's as it is now (its session row and the conversations rollup), so `at` is meant
-- to be now: for an instant in the past, a later resolution would already count.
--
-- Found through the messages of the last `timeout_s` seconds (an open conversation has one
-- there): a few minutes of messages, then a few granules of the session and conversation rows
-- (by their session id's bloom filter), whatever the project's history.
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file changed.
WITH
    recent AS (
        SELECT DISTINCT session_id
        FROM stored_by_name(
            project = {project:String},
            start = {at:DateTime64(3, 'UTC')} - toIntervalSecond({timeout_s:UInt32}),
            end = {at:DateTime64(3, 'UTC')} + toIntervalMillisecond(1),
            names = ['message.received', 'message.sent'])
        WHERE session_channel = 'whatsapp'
    )
SELECT
    c.session_id AS session_id,
    c.phone AS phone,
    c.person_key AS person_key,
    c.person_id AS person_id,
    c.start AS start,
    a.last_message_at AS last_message_at,
    -- The last message is inbound (at the same instant as an outbound one: not answered, as
    -- the dropped rule has it).
    toUInt8(a.last_inbound_at >= a.last_message_at) AS waiting,
    c.handed_off AS handed_off,
    a.agent_id AS agent_id
FROM (
    SELECT session_id, phone, person_key, person_id, start, handed_off, resolved, is_bot
    FROM journey_sessions FINAL
    WHERE project_id = {project:String} AND start <= {at:DateTime64(3, 'UTC')}
      AND channel = 'whatsapp' AND session_id IN (SELECT session_id FROM recent)
) AS c
INNER JOIN (
    SELECT session_id, agent_id, last_message_at, last_inbound_at
    FROM journey_conversations FINAL
    WHERE project_id = {project:String} AND start <= {at:DateTime64(3, 'UTC')}
      AND session_id IN (SELECT session_id FROM recent)
) AS a ON a.session_id = c.session_id
WHERE c.resolved = 0 AND c.is_bot = 0
  AND a.last_message_at >= {at:DateTime64(3, 'UTC')} - toIntervalSecond({timeout_s:UInt32})
  AND a.last_message_at <= {at:DateTime64(3, 'UTC')}
