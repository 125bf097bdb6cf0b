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
-- false match needs a 64-bit collision: ~1e-8 at that size). The messages, with their receipts
-- and replies, are the view campaign_messages (warehouse/views/), which campaigns_kpis.sql reads
-- from prev_start.
WITH
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
        FROM campaign_messages(project = {project:String},
                               start = {start:DateTime64(3, 'UTC')},
                               end = {end:DateTime64(3, 'UTC')},
                               attribution_s = {attribution_s:UInt32})
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
