-- The chains a set of events (the source) touches, as journey keys (membership.sql names them):
-- their web keys, the numbers of their WhatsApp messages, receipts (through the message they
-- name) and conversation events (through their chat), and each event itself. Messages and chats
-- seen before are looked up in the stored model (journey_events).
SELECT DISTINCT journey_key FROM (
    SELECT concat('w:', multiIf(session_id != '', concat('s:', session_id),
                                anonymous_id != '', concat('a:', anonymous_id),
                                concat('u:', user_id))) AS journey_key
    FROM __SOURCE__
    WHERE channel IN ('web', 'server') AND (anonymous_id != '' OR user_id != '' OR session_id != '')
    UNION ALL
    SELECT concat('p:', phone)
    FROM __SOURCE__
    WHERE phone != '' AND (event_name IN ('message.received', 'message.sent', 'message.delivered',
                                          'message.read', 'message.failed', 'agent.handoff',
                                          'chat.assigned', 'chat.resolved', 'csat.submitted')
                           OR channel = 'ai')
    UNION ALL
    SELECT concat('p:', phone)
    FROM (
        SELECT phone, message_id, event_name FROM __SOURCE__
        UNION ALL
        SELECT own_phone, message_id, event_name FROM journey_events
        WHERE project_id = {project:String} AND message_id != ''
          AND message_id IN (SELECT message_id FROM __SOURCE__ WHERE message_id != '')
    )
    WHERE phone != '' AND event_name IN ('message.received', 'message.sent')
      AND message_id IN (SELECT message_id FROM __SOURCE__
                         WHERE message_id != ''
                           AND event_name IN ('message.delivered', 'message.read',
                                              'message.failed'))
    UNION ALL
    SELECT concat('p:', phone)
    FROM (
        SELECT phone, chat_id FROM __SOURCE__
        UNION ALL
        SELECT own_phone, chat_id FROM journey_events
        WHERE project_id = {project:String} AND chat_id != ''
          AND chat_id IN (SELECT chat_id FROM __SOURCE__ WHERE chat_id != '')
    )
    WHERE phone != '' AND chat_id IN (SELECT chat_id FROM __SOURCE__ WHERE chat_id != '')
    UNION ALL
    SELECT concat('e:', toString(event_id)) FROM __SOURCE__
)
