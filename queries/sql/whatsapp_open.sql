-- WhatsApp conversations open now (`now`, bound when the query runs): the last message within
-- the conversation timeout, no chat.resolved — Njia's definition (stored_wa_open), which may
-- differ from the CRM's inbox. Most recent first, at most `limit`.
SELECT
    session_id, start, last_message_at,
    dateDiff('millisecond', last_message_at, {now:DateTime64(3, 'UTC')}) / 1000 AS idle_s,
    waiting, handed_off, agent_id, phone, person_key, person_id
FROM stored_wa_open(project = {project:String}, at = {now:DateTime64(3, 'UTC')},
                    timeout_s = {timeout_s:UInt32})
ORDER BY last_message_at DESC, session_id
LIMIT {limit:UInt32}
