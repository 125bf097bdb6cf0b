-- The outbound WhatsApp messages of the source's membership rows, one row per chain and
-- `message_id` of a `message.sent`: when it was first sent, its conversation ('' for an
-- outbound-only message: a campaign send, a reply after the timeout), which receipts it got
-- (whenever they arrived: receipts are in their message's chain) and whether an inbound message
-- of its conversation followed it. Kept by the model worker per chain as the rollup
-- `journey_messages` (journeys/model.py ROLLUPS), so the message rates and the funnel read a
-- row per message instead of grouping every send and receipt by message id. Definitions:
-- docs/metrics.md "WhatsApp" (a read message was delivered).
SELECT
    journey_key, sent_at, message_id, conversation AS session_id, sends, delivered, read, failed,
    -- An inbound message of its conversation came after it (strictly: a reply comes after what
    -- it answers, as the dropped rule has it).
    toUInt8(conversation != '' AND last_inbound > sent_at) AS replied,
    bot AS is_bot
FROM (
    SELECT
        journey_key,
        message_id,
        minIf(timestamp, event_name = 'message.sent') AS sent_at,
        argMinIf(session_id, (timestamp, event_id), event_name = 'message.sent') AS conversation,
        countIf(event_name = 'message.sent') AS sends,
        toUInt8(max(event_name IN ('message.delivered', 'message.read'))) AS delivered,
        toUInt8(max(event_name = 'message.read')) AS read,
        toUInt8(max(event_name = 'message.failed')) AS failed,
        max(session_last_inbound) AS last_inbound,
        toUInt8(max(event_name = 'message.sent' AND is_bot)) AS bot
    FROM (
        SELECT
            journey_key, event_id, event_name, timestamp, message_id, session_id, is_bot,
            max(if(event_name = 'message.received', timestamp, toDateTime64(0, 3, 'UTC')))
                OVER (PARTITION BY journey_key, session_id) AS session_last_inbound
        FROM __SOURCE__
        WHERE event_name IN ('message.received', 'message.sent', 'message.delivered',
                             'message.read', 'message.failed')
    )
    WHERE message_id != '' AND event_name != 'message.received'
    GROUP BY journey_key, message_id
    HAVING sends > 0
)
