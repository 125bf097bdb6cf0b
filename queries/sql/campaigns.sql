-- Campaigns: one row per campaign_id with messages sent in [start, end) — recipients, sent,
-- delivered, read, replied, failed, the rates and the campaign score. Definitions: docs/metrics.md
-- "Campaigns" (queries/definitions/campaigns.toml).
--
-- A campaign message is a `message.sent` with a `campaign_id` property. It counts in the range
-- its send falls in (a campaign sent across the range's edge shows the part sent inside); its
-- receipts are joined by message_id whenever they arrive (at or after the range's start, no
-- end). delivered = a `message.delivered` or a `message.read` (a read message was delivered, so
-- read <= delivered); it reached the recipient at the earliest of the two. replied = recipients
-- (by number) who sent a `message.received` within the project's attribution window
-- (campaign_attribution_seconds, inclusive) after a campaign message reached them — whatever
-- the conversations. Rates in % with 2 decimals, 0 when the denominator is 0: delivery =
-- delivered / sent, read = read / delivered, reply = replied / recipients, failure = failed /
-- sent. Score (0–100) = 0.3 × delivery + 0.3 × read + 0.4 × reply − 0.2 × failure rate, from
-- the unrounded rates, clamped to 0–100.
--
-- `events` is read directly, by event name (its sort key): these metrics need message ids and
-- numbers only, which the events carry, and nothing of the sessions model. Each source is
-- scanned once — a CTE named twice is computed twice, and the reader may not set
-- enable_materialized_cte — so sends, receipts and inbound messages meet in two hash joins
-- whose small side (the range's campaign messages) filters the scan of the big one (join
-- runtime filters). Message ids and numbers are joined by their 64-bit hashes: at 10 M events
-- 2 M receipts probe 0.26 M campaign messages, and integer keys halved that join's cost (a
-- false match needs a 64-bit collision: ~1e-8 at that size). The part between the <messages>
-- marks is the same in campaigns_kpis.sql, where the range starts at prev_start
-- (tests/test_campaigns.py checks).
WITH
    -- <messages>
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
    ),
    -- </messages>
    per_campaign AS (
        SELECT
            campaign_id,
            min(sent_at) AS first_sent,
            max(sent_at) AS last_sent,
            uniqExact(recipient) AS recipients,
            count() AS sent,
            countIf(reached) AS delivered,
            countIf(was_read) AS read,
            uniqExactIf(recipient, replied) AS replied,
            countIf(failed) AS failed,
            if(sent = 0, 0, delivered / sent) AS delivery,
            if(delivered = 0, 0, read / delivered) AS read_share,
            if(recipients = 0, 0, replied / recipients) AS reply,
            if(sent = 0, 0, failed / sent) AS failure
        FROM campaign_messages
        GROUP BY campaign_id
    ),
    -- What the campaign's own `campaign.sent` events say, whenever sent (they announce the whole
    -- campaign): its name (the latest), and the recipients announced (summed: one event per
    -- dispatch).
    announced AS (
        SELECT toString(properties.campaign_id) AS campaign_id,
               argMax(toString(properties.name), timestamp) AS name,
               sum(toUInt64OrZero(toString(properties.recipient_count))) AS announced_recipients
        FROM events
        WHERE project_id = {project:String} AND event_name = 'campaign.sent'
          AND properties.campaign_id IS NOT NULL AND toString(properties.campaign_id) != ''
        GROUP BY campaign_id
    )
SELECT
    -- A campaign without a campaign.sent event has no name and no announced recipients (NULL,
    -- not the join's defaults '' and 0).
    c.campaign_id AS campaign_id, if(a.campaign_id = '', NULL, a.name) AS name,
    c.first_sent AS first_sent, c.last_sent AS last_sent,
    if(a.campaign_id = '', NULL, a.announced_recipients) AS announced_recipients,
    c.recipients AS recipients, c.sent AS sent, c.delivered AS delivered, c.read AS read,
    c.replied AS replied, c.failed AS failed,
    round(100 * c.delivery, 2) AS delivery_rate,
    round(100 * c.read_share, 2) AS read_rate,
    round(100 * c.reply, 2) AS reply_rate,
    round(100 * c.failure, 2) AS failure_rate,
    round(greatest(0, least(100, 100 * (0.3 * c.delivery + 0.3 * c.read_share + 0.4 * c.reply
                                        - 0.2 * c.failure))), 2) AS score
FROM per_campaign AS c
LEFT JOIN announced AS a ON a.campaign_id = c.campaign_id
ORDER BY first_sent DESC, campaign_id
