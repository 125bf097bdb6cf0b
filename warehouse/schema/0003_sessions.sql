-- Sessions and WhatsApp conversations, computed from events at query time (definitions in
-- docs/metrics.md). Only event times decide them, never arrival order, so late events can
-- neither split nor orphan a session. Parameterized views: every use names one project.
--
-- session_events(project, start, end, timeout_s): the project's events in
-- [start - 1 day, end + 1 day) with the session each belongs to ('' for none).
CREATE OR REPLACE VIEW session_events AS
WITH
    ev AS (
        SELECT
            event_id, event_name, channel, timestamp, anonymous_id, user_id, phone, email,
            session_id AS sdk_session_id, page_path, page_title, device_type, browser, os,
            country, city, is_bot, message_id, chat_id, direction, agent_id, properties,
            multiIf(
                user_id != '', concat('user:', user_id),
                anonymous_id != '', concat('anon:', anonymous_id),
                phone != '', concat('phone:', phone),
                email != '', concat('email:', email),
                concat('event:', toString(event_id))
            ) AS event_key
        FROM events
        WHERE project_id = {project:String}
          AND timestamp >= {start:DateTime64(3, 'UTC')} - INTERVAL 1 DAY
          AND timestamp < {end:DateTime64(3, 'UTC')} + INTERVAL 1 DAY
    ),
    -- Web: the SDK's session id, else the anonymous id (else user id); a gap of more than
    -- 30 minutes splits everywhere (exactly 30:00 does not).
    web AS (
        SELECT *,
            sum(gap_ms > 1800000) OVER (
                PARTITION BY web_key ORDER BY timestamp, event_id
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
            ) AS run
        FROM (
            SELECT *,
                multiIf(sdk_session_id != '', concat('s:', sdk_session_id),
                        anonymous_id != '', concat('a:', anonymous_id),
                        concat('u:', user_id)) AS web_key,
                dateDiff('millisecond',
                    lagInFrame(timestamp, 1, timestamp) OVER (
                        PARTITION BY web_key ORDER BY timestamp, event_id
                        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
                    timestamp) AS gap_ms
            FROM ev
            WHERE channel IN ('web', 'server') AND (anonymous_id != '' OR user_id != ''
                                                    OR sdk_session_id != '')
        )
    ),
    web_sessions AS (
        SELECT *,
            concat('w-', lower(substring(hex(SHA256(concat(web_key, '|', toString(
                min(timestamp) OVER (PARTITION BY web_key, run))))), 1, 20))) AS sid
        FROM web
    ),
    -- WhatsApp: per number, messages in either direction chain while each follows the previous
    -- within the timeout; a chain with an inbound message holds one conversation, from its
    -- first inbound message on. Outbound messages before it are outbound-only.
    chat_phone AS (
        SELECT chat_id, any(phone) AS chat_phone
        FROM ev WHERE chat_id != '' AND phone != '' GROUP BY chat_id
    ),
    msgs AS (
        SELECT *,
            countIf(inbound) OVER (PARTITION BY phone, run) AS run_inbound,
            minIf(timestamp, inbound) OVER (PARTITION BY phone, run) AS run_first_inbound
        FROM (
            SELECT *,
                sum(gap_ms > {timeout_s:UInt32} * 1000) OVER (
                    PARTITION BY phone ORDER BY timestamp, event_id
                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                ) AS run
            FROM (
                SELECT *,
                    (event_name = 'message.received'
                        OR (direction = 'inbound' AND event_name != 'message.sent')) AS inbound,
                    dateDiff('millisecond',
                        lagInFrame(timestamp, 1, timestamp) OVER (
                            PARTITION BY phone ORDER BY timestamp, event_id
                            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
                        timestamp) AS gap_ms
                FROM ev
                WHERE event_name IN ('message.received', 'message.sent') AND phone != ''
            )
        )
    ),
    msg_sessions AS (
        SELECT *,
            if(run_inbound > 0 AND timestamp >= run_first_inbound,
               concat('c-', lower(substring(hex(SHA256(concat(phone, '|',
                   toString(run_first_inbound)))), 1, 20))),
               '') AS sid
        FROM msgs
    ),
    conversations AS (
        SELECT phone, sid, min(timestamp) AS conv_start
        FROM msg_sessions WHERE sid != '' GROUP BY phone, sid
    ),
    -- Receipts follow their message.
    receipts AS (
        SELECT r.*, m.sid AS sid
        FROM (SELECT * FROM ev
              WHERE event_name IN ('message.delivered', 'message.read', 'message.failed')) AS r
        LEFT JOIN (SELECT message_id, any(sid) AS sid FROM msg_sessions
                   WHERE message_id != '' GROUP BY message_id) AS m
            ON r.message_id = m.message_id
    ),
    -- AI events, hand-offs, assignments, resolutions and CSAT: the number's latest
    -- conversation that began at or before them.
    conv_events AS (
        SELECT o.*, c.sid AS sid
        FROM (
            SELECT e.* REPLACE (if(e.phone != '', e.phone, cp.chat_phone) AS phone)
            FROM (SELECT * FROM ev
                  WHERE (channel = 'ai' OR event_name IN ('agent.handoff', 'chat.assigned',
                         'chat.resolved', 'csat.submitted'))) AS e
            LEFT JOIN chat_phone AS cp ON e.chat_id = cp.chat_id
        ) AS o
        ASOF LEFT JOIN conversations AS c
            ON o.phone = c.phone AND o.timestamp >= c.conv_start
    ),
    -- Every branch keeps ev's columns in ev's order (UNION ALL matches by position) and adds
    -- the session id and channel.
    assigned AS (
        SELECT * EXCEPT (web_key, gap_ms, run, sid), sid AS session_id,
               'web' AS session_channel
        FROM web_sessions
        UNION ALL
        SELECT * EXCEPT (inbound, gap_ms, run, run_inbound, run_first_inbound, sid), sid,
               if(sid != '', 'whatsapp', '')
        FROM msg_sessions
        UNION ALL
        SELECT * EXCEPT (sid), sid, if(sid != '', 'whatsapp', '') FROM receipts
        UNION ALL
        SELECT * EXCEPT (sid), sid, if(sid != '', 'whatsapp', '') FROM conv_events
        UNION ALL
        SELECT *, '', ''
        FROM ev
        WHERE NOT (channel IN ('web', 'server') AND (anonymous_id != '' OR user_id != ''
                                                     OR sdk_session_id != ''))
          AND NOT (event_name IN ('message.received', 'message.sent') AND phone != '')
          AND event_name NOT IN ('message.delivered', 'message.read', 'message.failed')
          AND NOT (channel = 'ai' OR event_name IN ('agent.handoff', 'chat.assigned',
                                                    'chat.resolved', 'csat.submitted'))
    ),
    persons AS (
        SELECT identifier, argMax(person_id, version) AS person_id
        FROM person_map WHERE project_id = {project:String} GROUP BY identifier
    )
SELECT a.*,
       if(p.person_id != '', p.person_id,
          lower(substring(hex(SHA256(a.event_key)), 1, 16))) AS person_id
FROM assigned AS a
LEFT JOIN persons AS p ON p.identifier = a.event_key;

-- sessions(project, start, end, timeout_s, conversion_events): one row per web session or
-- WhatsApp conversation whose start is in [start, end).
CREATE OR REPLACE VIEW sessions AS
WITH
    per_session AS (
        SELECT
            session_id,
            any(session_channel) AS channel,
            min(timestamp) AS start,
            max(if(event_name IN ('message.delivered', 'message.read', 'message.failed'),
                   toDateTime64(0, 3, 'UTC'), timestamp)) AS last_activity,
            count() AS event_count,
            argMinIf(page_path, timestamp, page_path != '') AS entry_page,
            argMaxIf(page_path, timestamp, page_path != '') AS exit_page,
            max(has({conversion_events:Array(String)}, event_name)) AS converted,
            countIf(event_name = 'message.received') AS inbound,
            countIf(event_name = 'message.sent') AS outbound,
            max(event_name = 'chat.resolved') AS resolved,
            max(event_name = 'agent.handoff') AS handed_off,
            maxIf(timestamp, event_name = 'message.received') AS last_inbound,
            maxIf(timestamp, event_name = 'message.sent') AS last_outbound,
            argMinIf(device_type, timestamp, device_type != '') AS device_type,
            argMinIf(browser, timestamp, browser != '') AS browser,
            argMinIf(os, timestamp, os != '') AS os,
            argMinIf(country, timestamp, country != '') AS country,
            max(is_bot) AS is_bot,
            anyIf(phone, phone != '') AS phone,
            argMinIf(anonymous_id, timestamp, anonymous_id != '') AS anonymous_id,
            argMaxIf(user_id, timestamp, user_id != '') AS user_id
        FROM session_events(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                            end = {end:DateTime64(3, 'UTC')}, timeout_s = {timeout_s:UInt32})
        WHERE session_id != ''
        GROUP BY session_id
    ),
    persons AS (
        SELECT identifier, argMax(person_id, version) AS person_id
        FROM person_map WHERE project_id = {project:String} GROUP BY identifier
    ),
    keyed AS (
        SELECT *,
            multiIf(channel = 'whatsapp', concat('phone:', phone),
                    user_id != '', concat('user:', user_id),
                    concat('anon:', anonymous_id)) AS person_key,
            greatest(start, last_activity) AS end
        FROM per_session
        WHERE start >= {start:DateTime64(3, 'UTC')} AND start < {end:DateTime64(3, 'UTC')}
    )
SELECT
    k.session_id AS session_id,
    {project:String} AS project_id,
    k.channel AS channel,
    if(p.person_id != '', p.person_id,
       lower(substring(hex(SHA256(k.person_key)), 1, 16))) AS person_id,
    k.person_key AS person_key,
    k.start AS start,
    k.end AS end,
    dateDiff('millisecond', k.start, k.end) / 1000 AS duration_s,
    k.event_count AS event_count,
    k.entry_page AS entry_page,
    k.exit_page AS exit_page,
    toUInt8(k.converted) AS converted,
    k.inbound AS inbound,
    k.outbound AS outbound,
    toUInt8(k.resolved) AS resolved,
    toUInt8(k.handed_off) AS handed_off,
    -- Dropped: the last inbound message got no reply inside the conversation, and it was
    -- not resolved.
    toUInt8(k.channel = 'whatsapp' AND k.inbound > 0 AND NOT k.resolved
            AND k.last_outbound <= k.last_inbound) AS dropped,
    k.device_type AS device_type,
    k.browser AS browser,
    k.os AS os,
    k.country AS country,
    toUInt8(k.is_bot) AS is_bot,
    k.phone AS phone,
    k.anonymous_id AS anonymous_id,
    k.user_id AS user_id
FROM keyed AS k
LEFT JOIN persons AS p ON p.identifier = k.person_key
