-- Message funnel of the messages sent in the range (`message.sent` by its own time, bots
-- excluded): sent → delivered → read → replied. Delivered, read: distinct message ids sent in
-- the range that got the receipt whenever it arrived (a read message was delivered); replied:
-- those of a conversation followed by an inbound message of that conversation (outbound-only
-- messages — campaign sends, replies after the timeout — answer no conversation; campaign
-- replies are the Campaigns page's). `share`: % of sent, 2 decimals.
WITH
    -- The messages sent in the range (by their first send), with their receipts and whether
    -- their conversation answered them: the model's messages rollup (journey_messages, kept
    -- with the chain, warehouse/journey/messages.sql).
    counts AS (
        SELECT
            (SELECT count() FROM events
             WHERE project_id = {project:String}
               AND timestamp >= {start:DateTime64(3, 'UTC')}
               AND timestamp < {end:DateTime64(3, 'UTC')}
               AND event_name = 'message.sent' AND NOT is_bot) AS n_sent,
            countIf(delivered = 1) AS n_delivered,
            countIf(read = 1) AS n_read,
            countIf(replied = 1) AS n_replied
        FROM journey_messages FINAL
        WHERE project_id = {project:String}
          AND sent_at >= {start:DateTime64(3, 'UTC')} AND sent_at < {end:DateTime64(3, 'UTC')}
          AND is_bot = 0
    )
SELECT step, stage, messages, if(n_sent = 0, 0, round(100 * messages / n_sent, 2)) AS share
FROM counts
ARRAY JOIN [1, 2, 3, 4] AS step, ['sent', 'delivered', 'read', 'replied'] AS stage,
           [n_sent, n_delivered, n_read, n_replied] AS messages
ORDER BY step
