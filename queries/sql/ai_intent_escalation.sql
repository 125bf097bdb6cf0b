-- Intent → escalation: per intent, the WhatsApp conversations that started in the range
-- (stored journey model, bots excluded) whose intent it was, how many were handed to an agent
-- (`agent.handoff` in the conversation) and the escalation rate (%, 2 decimals); also how many
-- the bot resolved (resolved without a hand-off). A conversation's intent is the first intent
-- its AI events name (the classification, which comes first; ties: the lower event id), as the
-- stored model keeps it (stored_conversations.first_intent); a conversation without one is
-- '(unclassified)'.
SELECT
    if(first_intent = '', '(unclassified)', first_intent) AS intent,
    count() AS conversations,
    countIf(handed_off = 1) AS escalated,
    round(100 * countIf(handed_off = 1) / count(), 2) AS escalation_rate,
    countIf(resolved = 1 AND handed_off = 0) AS bot_resolved
FROM stored_conversations(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                          end = {end:DateTime64(3, 'UTC')})
GROUP BY intent
ORDER BY conversations DESC, intent
LIMIT {limit:UInt32}
