-- Membership: each event of the source with the web session or WhatsApp conversation it belongs
-- to ('' for none), its key (for its person) and its journey key (the chain it was computed in).
-- Definitions: docs/metrics.md "Sessions and conversations". Only event times decide, never
-- arrival order. the source must hold whole chains (every event of each web key and phone it
-- names): the view passes a project's events, the stored model (warehouse/journey/README.md)
-- the events of the chains a batch touched.
--
-- Rules this file shares with Python (tests/test_rules_agree.py checks they agree): the event
-- key, first of user:, anon:, phone:, email: (contract.identifiers.KEY_ORDER); the channels of
-- web sessions and of the AI agent (contract.record.WEB_CHANNELS, AGENT_CHANNELS).
WITH
    ev AS (
        SELECT
            event_id, event_name, channel, timestamp, anonymous_id, user_id, phone, email,
            session_id AS sdk_session_id, page_path, page_title, device_type, browser, os,
            country, city, is_bot, message_id, chat_id, direction, agent_id,
            -- The event's own number: conversation events get their chat's below.
            phone AS own_phone,
            multiIf(
                user_id != '', concat('user:', user_id),
                anonymous_id != '', concat('anon:', anonymous_id),
                phone != '', concat('phone:', phone),
                email != '', concat('email:', email),
                concat('event:', toString(event_id))
            ) AS event_key
        FROM __SOURCE__
    ),
    -- Web: the SDK's session id, else the anonymous id (else user id); a gap of more than
    -- the project's session timeout (session_timeout_s, default 30 minutes) splits everywhere
    -- (a gap of exactly the timeout does not).
    web AS (
        SELECT *,
            sum(gap_ms > {session_timeout_s:UInt32} * 1000) OVER (
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
        SELECT chat_id, min(phone) AS chat_phone
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
    -- Receipts follow their message, and are computed with its number.
    receipts AS (
        SELECT r.*, m.sid AS sid, m.msg_phone AS chain_phone
        FROM (SELECT * FROM ev
              WHERE event_name IN ('message.delivered', 'message.read', 'message.failed')) AS r
        LEFT JOIN (SELECT message_id, min(sid) AS sid, min(phone) AS msg_phone
                   FROM msg_sessions WHERE message_id != '' GROUP BY message_id) AS m
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
    -- the session id, its channel and the journey key: the chain (web key or number) whose
    -- events decide it, or the event itself.
    assigned AS (
        SELECT * EXCEPT (web_key, gap_ms, run, sid), sid AS session_id,
               'web' AS session_channel, concat('w:', web_key) AS journey_key
        FROM web_sessions
        UNION ALL
        SELECT * EXCEPT (inbound, gap_ms, run, run_inbound, run_first_inbound, sid), sid,
               if(sid != '', 'whatsapp', ''), concat('p:', phone)
        FROM msg_sessions
        UNION ALL
        SELECT * EXCEPT (sid, chain_phone), sid, if(sid != '', 'whatsapp', ''),
               if(chain_phone != '', concat('p:', chain_phone), concat('e:', toString(event_id)))
        FROM receipts
        UNION ALL
        SELECT * EXCEPT (sid), sid, if(sid != '', 'whatsapp', ''),
               if(phone != '', concat('p:', phone), concat('e:', toString(event_id)))
        FROM conv_events
        UNION ALL
        SELECT *, '', '', concat('e:', toString(event_id))
        FROM ev
        WHERE NOT (channel IN ('web', 'server') AND (anonymous_id != '' OR user_id != ''
                                                     OR sdk_session_id != ''))
          AND NOT (event_name IN ('message.received', 'message.sent') AND phone != '')
          AND event_name NOT IN ('message.delivered', 'message.read', 'message.failed')
          AND NOT (channel = 'ai' OR event_name IN ('agent.handoff', 'chat.assigned',
                                                    'chat.resolved', 'csat.submitted'))
    )
SELECT * FROM assigned
