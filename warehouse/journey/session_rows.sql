-- Session rows: one per web session or WhatsApp conversation of the source (membership rows,
-- warehouse/journey/membership.sql), before its person is attached. Definitions:
-- docs/metrics.md "Sessions and conversations". A conversation's end is its last message,
-- hand-off, assignment, AI event or resolution: receipts and CSAT belong to it but do not
-- extend it. `event_names` keeps which events it holds, so "converted" follows the project's
-- conversion events as they are when read.
SELECT
    session_id,
    any(session_channel) AS channel,
    any(journey_key) AS journey_key,
    min(timestamp) AS start,
    greatest(min(timestamp),
             max(if(event_name IN ('message.delivered', 'message.read', 'message.failed',
                                   'csat.submitted'),
                    toDateTime64(0, 3, 'UTC'), timestamp))) AS end,
    count() AS event_count,
    argMinIf(page_path, (timestamp, event_id), page_path != '') AS entry_page,
    argMaxIf(page_path, (timestamp, event_id), page_path != '') AS exit_page,
    arraySort(groupUniqArray(event_name)) AS event_names,
    countIf(event_name = 'message.received') AS inbound,
    countIf(event_name = 'message.sent') AS outbound,
    toUInt8(max(event_name = 'chat.resolved')) AS resolved,
    toUInt8(max(event_name = 'agent.handoff')) AS handed_off,
    -- Dropped: the last inbound message got no reply inside the conversation, and it was
    -- not resolved.
    toUInt8(channel = 'whatsapp' AND inbound > 0 AND NOT resolved
            AND maxIf(timestamp, event_name = 'message.sent')
                <= maxIf(timestamp, event_name = 'message.received')) AS dropped,
    argMinIf(device_type, (timestamp, event_id), device_type != '') AS device_type,
    argMinIf(browser, (timestamp, event_id), browser != '') AS browser,
    argMinIf(os, (timestamp, event_id), os != '') AS os,
    argMinIf(country, (timestamp, event_id), country != '') AS country,
    toUInt8(max(is_bot)) AS is_bot,
    minIf(phone, phone != '') AS phone,
    argMinIf(anonymous_id, (timestamp, event_id), anonymous_id != '') AS anonymous_id,
    argMaxIf(user_id, (timestamp, event_id), user_id != '') AS user_id,
    multiIf(channel = 'whatsapp', concat('phone:', phone),
            user_id != '', concat('user:', user_id),
            concat('anon:', anonymous_id)) AS person_key
FROM __SOURCE__
WHERE session_id != ''
GROUP BY session_id
