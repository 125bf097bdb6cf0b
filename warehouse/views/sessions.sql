-- sessions(project, start, end, timeout_s, session_timeout_s, conversion_events): one row per
-- web session or WhatsApp conversation whose start is in [start, end), built on session_events.
--
-- Rules this file shares with Python (tests/test_rules_agree.py checks they agree): the person
-- id of a key no person_map row names (contract.identifiers.person_id_for).
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file changed
-- (warehouse/migrate.py).
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
                            end = {end:DateTime64(3, 'UTC')}, timeout_s = {timeout_s:UInt32},
                            session_timeout_s = {session_timeout_s:UInt32})
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
