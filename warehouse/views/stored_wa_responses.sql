-- stored_wa_responses(project, start, end): one row per inbound WhatsApp message
-- (`message.received`) in [start, end) that belongs to a conversation — bot conversations
-- excluded, as in stored_conversations — with the next outbound `message.sent` (bot or agent) of
-- the same conversation: its response (docs/metrics.md "WhatsApp": response time). Three inbound
-- messages in a row are three rows, each answered by the same reply. The reply is strictly
-- after the message (a reply comes after what it answers, as the model's dropped rule has it);
-- NULL when none came inside the conversation (a reply after the timeout is outbound-only and
-- answers nothing).
--
-- Read from the conversations rollup (journey_conversations `responses`, kept by the model
-- worker with the chain, warehouse/journey/conversations.sql): a conversation holding an inbound
-- message of the range began before its end and its last inbound message is at or after its
-- start — also one that began before the range, and its reply may come after the range, so the
-- answer never depends on the range asked.
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file changed.
SELECT
    session_id,
    r.1 AS inbound_at,
    if(r.2 IS NULL, NULL, r.1 + toIntervalMillisecond(toInt64(round(r.2 * 1000)))) AS reply_at,
    r.2 AS response_s
FROM journey_conversations FINAL
ARRAY JOIN responses AS r
WHERE project_id = {project:String}
  AND start < {end:DateTime64(3, 'UTC')} AND last_inbound_at >= {start:DateTime64(3, 'UTC')}
  AND r.1 >= {start:DateTime64(3, 'UTC')} AND r.1 < {end:DateTime64(3, 'UTC')}
  AND is_bot = 0
