-- WhatsApp KPIs for [start, end) and the previous period of equal length [prev_start, start):
-- one row per metric (metric, value, previous, change, change_ratio), as `overview`.
-- Definitions: queries/definitions/whatsapp.toml (docs/metrics.md "WhatsApp"). Bots excluded.
-- Range membership: a message, receipt-counted message, CSAT rating or new contact by its own
-- time; a conversation by its start (the stored model's conversations — journey_sessions and
-- the conversations rollup, as stored_conversations joins them: its facts include what came
-- after the range); a response by its inbound message's time. Rates are percentages with 2
-- decimals, 0 when the denominator is 0; medians and percentiles exact with linear
-- interpolation.
WITH
    -- Messages of both periods.
    messages AS (
        SELECT
            countIf(current AND event_name = 'message.received') AS received,
            countIf(NOT current AND event_name = 'message.received') AS p_received,
            countIf(current AND event_name = 'message.sent') AS sent,
            countIf(NOT current AND event_name = 'message.sent') AS p_sent
        FROM (
            SELECT event_name, timestamp >= {start:DateTime64(3, 'UTC')} AS current
            FROM events
            WHERE project_id = {project:String}
              AND timestamp >= {prev_start:DateTime64(3, 'UTC')}
              AND timestamp < {end:DateTime64(3, 'UTC')}
              AND event_name IN ('message.received', 'message.sent') AND NOT is_bot
        )
    ),
    -- Per distinct message id sent in either period (by its first send), which receipts it got,
    -- whenever they arrived: the model's messages rollup (journey_messages, kept with the
    -- chain, warehouse/journey/messages.sql). A read message was delivered, so read ≤ delivered
    -- and no rate exceeds 100 %.
    receipts AS (
        SELECT
            countIf(cur AND delivered = 1) AS n_delivered,
            countIf(NOT cur AND delivered = 1) AS p_delivered,
            countIf(cur AND read = 1) AS n_read, countIf(NOT cur AND read = 1) AS p_read,
            countIf(cur AND failed = 1) AS n_failed, countIf(NOT cur AND failed = 1) AS p_failed
        FROM (
            SELECT delivered, read, failed, sent_at >= {start:DateTime64(3, 'UTC')} AS cur
            FROM journey_messages FINAL
            WHERE project_id = {project:String}
              AND sent_at >= {prev_start:DateTime64(3, 'UTC')}
              AND sent_at < {end:DateTime64(3, 'UTC')}
              AND is_bot = 0
        )
    ),
    -- Conversations of both periods (by their start), bots excluded: stored_conversations'
    -- facts, read from its two tables apart — the session rows' counts and the conversations
    -- rollup's times — since joining them (what the view does, for its callers that need a row
    -- with both) cost three times as much at 10 M events.
    sessions AS (
        SELECT
            countIf(current) AS n, countIf(NOT current) AS pn,
            countIf(current AND resolved = 1) AS res, countIf(NOT current AND resolved = 1) AS pres,
            countIf(current AND resolved = 1 AND handed_off = 0) AS bot,
            countIf(NOT current AND resolved = 1 AND handed_off = 0) AS pbot,
            countIf(current AND dropped = 1) AS drop, countIf(NOT current AND dropped = 1) AS pdrop,
            countIf(current AND handed_off = 1) AS hand,
            countIf(NOT current AND handed_off = 1) AS phand,
            countIf(current AND outbound > 0) AS with_out,
            countIf(NOT current AND outbound > 0) AS pwith_out
        FROM (
            SELECT resolved, handed_off, dropped, outbound,
                   start >= {start:DateTime64(3, 'UTC')} AS current
            FROM journey_sessions FINAL
            WHERE project_id = {project:String}
              AND start >= {prev_start:DateTime64(3, 'UTC')}
              AND start < {end:DateTime64(3, 'UTC')}
              AND channel = 'whatsapp' AND is_bot = 0
        )
    ),
    facts AS (
        SELECT
            countIf(current AND replied = 1) AS repl, countIf(NOT current AND replied = 1) AS prepl,
            countIf(current AND first_response_s IS NOT NULL) AS n_first,
            countIf(NOT current AND first_response_s IS NOT NULL) AS pn_first,
            quantileExactInclusiveIf(0.5)(first_response_s, current) AS first_med,
            quantileExactInclusiveIf(0.5)(first_response_s, NOT current) AS pfirst_med,
            countIf(current AND agent_first_response_s IS NOT NULL) AS n_agent,
            countIf(NOT current AND agent_first_response_s IS NOT NULL) AS pn_agent,
            quantileExactInclusiveIf(0.5)(agent_first_response_s, current) AS agent_med,
            quantileExactInclusiveIf(0.5)(agent_first_response_s, NOT current) AS pagent_med,
            countIf(current AND resolution_s IS NOT NULL) AS n_resol,
            countIf(NOT current AND resolution_s IS NOT NULL) AS pn_resol,
            quantileExactInclusiveIf(0.5)(resolution_s, current) AS resol_med,
            quantileExactInclusiveIf(0.5)(resolution_s, NOT current) AS presol_med
        FROM (
            SELECT replied, first_response_s, agent_first_response_s, resolution_s,
                   start >= {start:DateTime64(3, 'UTC')} AS current
            FROM journey_conversations FINAL
            WHERE project_id = {project:String}
              AND start >= {prev_start:DateTime64(3, 'UTC')}
              AND start < {end:DateTime64(3, 'UTC')}
              AND is_bot = 0
        )
    ),
    -- Response time: per inbound message (by its time), to the next outbound message of its
    -- conversation; only messages that got one.
    resp AS (
        SELECT
            countIf(current) AS n, countIf(NOT current) AS pn,
            quantileExactInclusiveIf(0.5)(seconds, current) AS med,
            quantileExactInclusiveIf(0.5)(seconds, NOT current) AS pmed,
            quantileExactInclusiveIf(0.9)(seconds, current) AS p90,
            quantileExactInclusiveIf(0.9)(seconds, NOT current) AS pp90,
            avgIf(seconds, current) AS mean, avgIf(seconds, NOT current) AS pmean
        FROM (
            SELECT assumeNotNull(response_s) AS seconds,
                   inbound_at >= {start:DateTime64(3, 'UTC')} AS current
            FROM stored_wa_responses(project = {project:String},
                                     start = {prev_start:DateTime64(3, 'UTC')},
                                     end = {end:DateTime64(3, 'UTC')})
            WHERE response_s IS NOT NULL
        )
    ),
    -- CSAT ratings given in the periods (1–5; anything else is not a rating).
    csat AS (
        SELECT
            countIf(current) AS n, countIf(NOT current) AS pn,
            avgIf(rating, current) AS mean, avgIf(rating, NOT current) AS pmean,
            countIf(current AND rating >= 4) AS good, countIf(NOT current AND rating >= 4) AS pgood
        FROM (
            SELECT rating, timestamp >= {start:DateTime64(3, 'UTC')} AS current
            FROM csat_ratings(project = {project:String},
                              start = {prev_start:DateTime64(3, 'UTC')},
                              end = {end:DateTime64(3, 'UTC')})
        )
    ),
    -- Contacts: new in each period; the total is every contact.created before the instant.
    contacts AS (
        SELECT
            countIf(timestamp >= {start:DateTime64(3, 'UTC')}) AS new,
            countIf(timestamp >= {prev_start:DateTime64(3, 'UTC')}
                    AND timestamp < {start:DateTime64(3, 'UTC')}) AS pnew,
            count() AS total,
            countIf(timestamp < {start:DateTime64(3, 'UTC')}) AS ptotal,
            countIf(timestamp < {month_before_end:DateTime64(3, 'UTC')}) AS total_month_before,
            countIf(timestamp < {month_before_start:DateTime64(3, 'UTC')})
                AS ptotal_month_before
        FROM events
        WHERE project_id = {project:String} AND timestamp < {end:DateTime64(3, 'UTC')}
          AND event_name = 'contact.created' AND NOT is_bot
    ),
    open_now AS (
        SELECT count() AS n
        FROM stored_wa_open(project = {project:String}, at = {now:DateTime64(3, 'UTC')},
                            timeout_s = {timeout_s:UInt32})
    )
SELECT
    metric,
    value,
    previous,
    value - previous AS change,
    if(previous = 0, NULL, (value - previous) / previous) AS change_ratio
FROM (
    SELECT
        -- A percentage with 2 decimals, 0 when the denominator is 0.
        [
            'messages_received', 'messages_sent', 'messages_delivered', 'messages_read',
            'messages_failed', 'delivery_rate', 'read_rate', 'reply_rate', 'failure_rate',
            'median_response_s', 'p90_response_s', 'mean_response_s', 'median_first_response_s',
            'median_agent_first_response_s', 'median_resolution_s', 'new_contacts',
            'total_contacts', 'contact_growth', 'conversations', 'open_now', 'resolved',
            'bot_resolved', 'dropped', 'escalation_rate', 'csat_mean', 'csat_satisfied',
            'csat_responses'
        ] AS metrics,
        [
            toNullable(toFloat64(m.received)), m.sent, d.n_delivered, d.n_read, d.n_failed,
            if(m.sent = 0, 0, round(100 * d.n_delivered / m.sent, 2)),
            if(d.n_delivered = 0, 0, round(100 * d.n_read / d.n_delivered, 2)),
            if(c.with_out = 0, 0, round(100 * f.repl / c.with_out, 2)),
            if(m.sent = 0, 0, round(100 * d.n_failed / m.sent, 2)),
            if(r.n = 0, NULL, r.med), if(r.n = 0, NULL, r.p90), if(r.n = 0, NULL, r.mean),
            if(f.n_first = 0, NULL, f.first_med), if(f.n_agent = 0, NULL, f.agent_med),
            if(f.n_resol = 0, NULL, f.resol_med),
            k.new, k.total,
            if(k.total_month_before = 0, NULL,
               round(100 * (k.total - k.total_month_before) / k.total_month_before, 2)),
            c.n, o.n, c.res, c.bot, c.drop,
            if(c.n = 0, 0, round(100 * c.hand / c.n, 2)),
            if(s.n = 0, NULL, s.mean),
            if(s.n = 0, 0, round(100 * s.good / s.n, 2)),
            s.n
        ] AS values,
        [
            toNullable(toFloat64(m.p_received)), m.p_sent, d.p_delivered, d.p_read, d.p_failed,
            if(m.p_sent = 0, 0, round(100 * d.p_delivered / m.p_sent, 2)),
            if(d.p_delivered = 0, 0, round(100 * d.p_read / d.p_delivered, 2)),
            if(c.pwith_out = 0, 0, round(100 * f.prepl / c.pwith_out, 2)),
            if(m.p_sent = 0, 0, round(100 * d.p_failed / m.p_sent, 2)),
            if(r.pn = 0, NULL, r.pmed), if(r.pn = 0, NULL, r.pp90), if(r.pn = 0, NULL, r.pmean),
            if(f.pn_first = 0, NULL, f.pfirst_med), if(f.pn_agent = 0, NULL, f.pagent_med),
            if(f.pn_resol = 0, NULL, f.presol_med),
            k.pnew, k.ptotal,
            if(k.ptotal_month_before = 0, NULL,
               round(100 * (k.ptotal - k.ptotal_month_before) / k.ptotal_month_before, 2)),
            c.pn,
            -- "Open now" has no previous period.
            NULL,
            c.pres, c.pbot, c.pdrop,
            if(c.pn = 0, 0, round(100 * c.phand / c.pn, 2)),
            if(s.pn = 0, NULL, s.pmean),
            if(s.pn = 0, 0, round(100 * s.pgood / s.pn, 2)),
            s.pn
        ] AS previouses
    FROM messages AS m, receipts AS d, sessions AS c, facts AS f, resp AS r, csat AS s, contacts AS k, open_now AS o
)
ARRAY JOIN metrics AS metric, values AS value, previouses AS previous
