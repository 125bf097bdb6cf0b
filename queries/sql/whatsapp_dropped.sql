-- Dropped WhatsApp conversations started in the range (docs/metrics.md: at least one inbound
-- message, no chat.resolved, the last inbound message unanswered inside the conversation),
-- latest first, at most `limit`; bots excluded. `person_key` opens the journey explorer.
SELECT
    session_id, start, last_inbound_at, end, phone, person_key, person_id, inbound, outbound,
    handed_off, agent_id, service_name, first_intent
FROM stored_conversations(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                          end = {end:DateTime64(3, 'UTC')})
WHERE dropped = 1
ORDER BY start DESC, session_id
LIMIT {limit:UInt32}
