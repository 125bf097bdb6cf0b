-- campaign_messages(project, start, end, attribution_s): one row per campaign message (a
-- `message.sent` with a `campaign_id` property) sent in [start, end) — its campaign, recipient
-- (a 64-bit hash of the number), when it was sent, whether it reached the recipient (delivered
-- or read receipt), was read, failed, and whether the recipient wrote within `attribution_s`
-- seconds after it reached them (replied). Receipts and replies are joined whenever they
-- arrive. Definitions: docs/metrics.md "Campaigns"; read by the named queries campaigns and
-- campaigns_kpis (whose headers say why `events` is read directly and keys are hashed).
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file changed.
WITH
    -- The campaign sends of the range.
    sends AS (
        SELECT
            -- A send without a message_id cannot get receipts; it still counts as sent.
            cityHash64(if(message_id != '', message_id, toString(event_id))) AS msg,
            -- LowCardinality: a few campaigns among 0.26 M messages at 10 M events; carried
            -- through two GROUP BYs as a dictionary index, not a string.
            toLowCardinality(toString(properties.campaign_id)) AS campaign_id,
            -- By number; a number the collector could not normalise falls back to the chat.
            cityHash64(if(phone != '', phone, concat('chat:', chat_id))) AS recipient,
            timestamp AS sent_at
        FROM events
        WHERE project_id = {project:String} AND event_name = 'message.sent'
          AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
          -- IS NOT NULL first: it reads the JSON path's null map, and the values only of
          -- the rows that have one (3× cheaper than testing the values of every send).
          AND properties.campaign_id IS NOT NULL AND toString(properties.campaign_id) != ''
    ),
    -- One row per campaign message with its receipts, whenever they arrived. Without a
    -- receipt the join's defaults stand: reached_at 1970-01-01 (never), flags 0.
    messages AS (
        SELECT
            s.msg AS msg, any(s.campaign_id) AS campaign_id, any(s.recipient) AS recipient,
            min(s.sent_at) AS sent_at,
            minIf(r.timestamp, r.event_name IN ('message.delivered', 'message.read'))
                AS reached_at,
            reached_at > toDateTime64(0, 3, 'UTC') AS reached,
            max(r.event_name = 'message.read') AS was_read,
            max(r.event_name = 'message.failed') AS failed
        FROM (
            SELECT cityHash64(message_id) AS msg, event_name, timestamp
            FROM events
            WHERE project_id = {project:String}
              AND event_name IN ('message.delivered', 'message.read', 'message.failed')
              AND timestamp >= {start:DateTime64(3, 'UTC')}
        ) AS r
        RIGHT JOIN sends AS s ON r.msg = s.msg
        GROUP BY s.msg
    ),
    -- Each message and whether its recipient wrote within the window after it reached them.
    campaign_messages AS (
        SELECT
            m.msg AS msg, any(m.campaign_id) AS campaign_id, any(m.recipient) AS recipient,
            -- The three flags as one aggregate (each any() over the join's rows costs).
            any(m.sent_at) AS sent_at, any(m.reached + 2 * m.was_read + 4 * m.failed) AS flags,
            bitTest(flags, 0) AS reached, bitTest(flags, 1) AS was_read,
            bitTest(flags, 2) AS failed,
            reached AND max(i.at >= m.reached_at
                            AND i.at <= m.reached_at + toIntervalSecond({attribution_s:UInt32}))
                AS replied
        FROM (
            SELECT cityHash64(if(phone != '', phone, concat('chat:', chat_id))) AS recipient,
                   timestamp AS at
            FROM events
            WHERE project_id = {project:String} AND event_name = 'message.received'
              AND timestamp >= {start:DateTime64(3, 'UTC')}
        ) AS i
        RIGHT JOIN messages AS m ON i.recipient = m.recipient
        GROUP BY m.msg
    )
SELECT msg, campaign_id, recipient, sent_at, reached, was_read, failed, replied
FROM campaign_messages
