-- Campaign KPIs for [start, end) and the previous period of equal length [prev_start, start):
-- campaigns, recipients, sent, delivered, read, replied, failed and the four rates, one row per
-- metric (metric, value, previous, change, change_ratio). Definitions: docs/metrics.md
-- "Campaigns" (queries/definitions/campaigns.toml).
--
-- Each period holds the campaign messages sent in it (receipts and replies whenever they came,
-- as in campaigns.sql). The counts are the sums of the per-campaign table's columns (recipients
-- and replied count a person once per campaign they got); the rates are pooled from those sums.
-- The part between the <messages> marks is campaigns.sql's with prev_start for start: one scan
-- covers both periods.
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
          AND timestamp >= {prev_start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
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
              AND timestamp >= {prev_start:DateTime64(3, 'UTC')}
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
              AND timestamp >= {prev_start:DateTime64(3, 'UTC')}
        ) AS i
        RIGHT JOIN messages AS m ON i.recipient = m.recipient
        GROUP BY m.msg
    ),
    -- </messages>
    per_campaign AS (
        SELECT
            sent_at >= {start:DateTime64(3, 'UTC')} AS current,
            campaign_id,
            uniqExact(recipient) AS recipients,
            count() AS sent,
            countIf(reached) AS delivered,
            countIf(was_read) AS read,
            uniqExactIf(recipient, replied) AS replied,
            countIf(failed) AS failed
        FROM campaign_messages
        GROUP BY current, campaign_id
    ),
    totals AS (
        SELECT
            countIf(current) AS n, countIf(NOT current) AS pn,
            sumIf(recipients, current) AS rec, sumIf(recipients, NOT current) AS prec,
            sumIf(sent, current) AS snt, sumIf(sent, NOT current) AS psnt,
            sumIf(delivered, current) AS dlv, sumIf(delivered, NOT current) AS pdlv,
            sumIf(read, current) AS rd, sumIf(read, NOT current) AS prd,
            sumIf(replied, current) AS rpl, sumIf(replied, NOT current) AS prpl,
            sumIf(failed, current) AS fld, sumIf(failed, NOT current) AS pfld
        FROM per_campaign
    )
SELECT
    metric,
    value,
    previous,
    -- Rounded like the values (2 decimals): 70.68 − 67.78 is 2.9, not 2.9000000000000057.
    round(value - previous, 2) AS change,
    if(previous = 0, NULL, (value - previous) / previous) AS change_ratio
FROM (
    SELECT
        ['campaigns', 'recipients', 'sent', 'delivered', 'read', 'replied', 'failed',
         'delivery_rate', 'read_rate', 'reply_rate', 'failure_rate'] AS metrics,
        [toFloat64(n), toFloat64(rec), toFloat64(snt), toFloat64(dlv), toFloat64(rd),
         toFloat64(rpl), toFloat64(fld),
         if(snt = 0, 0, round(100 * dlv / snt, 2)), if(dlv = 0, 0, round(100 * rd / dlv, 2)),
         if(rec = 0, 0, round(100 * rpl / rec, 2)), if(snt = 0, 0, round(100 * fld / snt, 2))]
            AS values,
        [toFloat64(pn), toFloat64(prec), toFloat64(psnt), toFloat64(pdlv), toFloat64(prd),
         toFloat64(prpl), toFloat64(pfld),
         if(psnt = 0, 0, round(100 * pdlv / psnt, 2)),
         if(pdlv = 0, 0, round(100 * prd / pdlv, 2)),
         if(prec = 0, 0, round(100 * prpl / prec, 2)),
         if(psnt = 0, 0, round(100 * pfld / psnt, 2))] AS previouses
    FROM totals
)
ARRAY JOIN metrics AS metric, values AS value, previouses AS previous
