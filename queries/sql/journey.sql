-- One person's merged timeline — web, WhatsApp and the AI agent — a page at a time: every event
-- of the sessions and conversations they took part in and theirs outside any
-- (stored_person_events; the runner looked the person and their chains up from `person`,
-- queries/journey/person.py), grouped by session or conversation (an event outside any is a
-- group of its own). Groups come newest (or oldest) first by when they started, each group's
-- events in time order. The whole history, unless a range is asked: then the groups that
-- started in it, never cut at its margins. `total` counts the rows of every page. Each event
-- has a readable label (the label rules below) and its session's stored outcome; its
-- properties are `journey_event`'s. Definitions: docs/metrics.md "Journey explorer".
WITH
    -- The page's rows, read once: a scalar is computed once per query, where each use of a CTE
    -- would read the model again (the properties and sessions below are found through them).
    (SELECT groupArray((timestamp, event_id, event_name, channel, group_id, group_start,
                        session_id, session_channel, page_path, page_title, direction,
                        agent_id, message_id, chat_id, device_type, browser, os, country, city,
                        is_bot, person_id, event_key, total))
     FROM (
        SELECT *, count() OVER () AS total
        FROM stored_person_events(project = {project:String}, person = {person_id:String},
                                  chains = {chains:Array(String)})
        WHERE {search:String} != ''
          AND group_start >= {start:DateTime64(3, 'UTC')}
          AND group_start < {end:DateTime64(3, 'UTC')}
        ORDER BY if({newest_first:UInt8} = 1, -toUnixTimestamp64Milli(group_start),
                    toUnixTimestamp64Milli(group_start)), group_id, timestamp,
                 toString(event_id)
        LIMIT {limit:UInt32} OFFSET {offset:UInt32})) AS page_rows,
    page AS (
        SELECT r.1 AS timestamp, r.2 AS event_id, r.3 AS event_name, r.4 AS channel,
               r.5 AS group_id, r.6 AS group_start, r.7 AS session_id, r.8 AS session_channel,
               r.9 AS page_path, r.10 AS page_title, r.11 AS direction, r.12 AS agent_id,
               r.13 AS message_id, r.14 AS chat_id, r.15 AS device_type, r.16 AS browser,
               r.17 AS os, r.18 AS country, r.19 AS city, r.20 AS is_bot, r.21 AS person_id,
               r.22 AS event_key, r.23 AS total
        FROM (SELECT arrayJoin(page_rows) AS r)
    ),
    -- What the labels read of the properties ('' when absent), which the model does not keep:
    -- from `events` by its sort key (day, name, instant), for the page's events whose label
    -- reads one (the names below), and only those paths of the JSON (reading it whole was 3×
    -- the rest of the query at 10 M events).
    props AS (
        SELECT event_id,
               ifNull(toString(properties.error_type), '') AS p_error_type,
               ifNull(toString(properties.obligation), '') AS p_obligation,
               ifNull(toString(properties.label), '') AS p_label,
               ifNull(toString(properties.content_type), '') AS p_content_type,
               ifNull(toString(properties.campaign_id), '') AS p_campaign_id,
               ifNull(toString(properties.template_id), '') AS p_template_id,
               ifNull(toString(properties.intent), '') AS p_intent,
               toFloat64OrNull(toString(properties.confidence)) AS p_confidence,
               ifNull(toString(properties.rating), '') AS p_rating
        FROM events
        WHERE project_id = {project:String}
          AND (toDate(timestamp), event_name, timestamp) IN (
              SELECT toDate(timestamp), event_name, timestamp FROM page
              WHERE event_name IN ('app_error', 'return_filed', 'button_click',
                                   'message.received', 'message.sent', 'message.failed',
                                   'campaign.sent', 'csat.submitted')
                 OR startsWith(event_name, 'ai.'))
    ),
    -- The page's sessions and conversations, by their sort key (start, id): a granule each.
    sessions AS (
        SELECT session_id, end, duration_s, event_count, converted, resolved, handed_off,
               dropped
        FROM stored_chain_sessions(project = {project:String}, chains = {chains:Array(String)},
                                   conversion_events = {conversion_events:Array(String)})
        WHERE (start, session_id) IN (SELECT group_start, session_id FROM page
                                      WHERE session_id != '')
    ),
    rows AS (
        SELECT p.timestamp AS timestamp, p.event_id AS event_id, p.event_name AS event_name,
               p.channel AS channel, p.group_id AS group_id, p.group_start AS group_start,
               p.session_id AS session_id, p.session_channel AS session_channel,
               p.page_path AS page_path, p.page_title AS page_title, p.direction AS direction,
               p.agent_id AS agent_id, p.message_id AS message_id, p.chat_id AS chat_id,
               p.device_type AS device_type, p.browser AS browser, p.os AS os,
               p.country AS country, p.city AS city, p.is_bot AS is_bot,
               p.person_id AS person_id, p.event_key AS event_key, p.total AS total,
               pr.p_error_type AS p_error_type, pr.p_obligation AS p_obligation,
               pr.p_label AS p_label, pr.p_content_type AS p_content_type,
               pr.p_campaign_id AS p_campaign_id, pr.p_template_id AS p_template_id,
               pr.p_intent AS p_intent, pr.p_confidence AS p_confidence,
               pr.p_rating AS p_rating,
               s.end AS session_end, s.duration_s AS session_duration_s,
               s.event_count AS session_events, s.converted AS converted,
               s.resolved AS resolved, s.handed_off AS handed_off, s.dropped AS dropped
        FROM page AS p
        LEFT JOIN props AS pr ON pr.event_id = p.event_id
        LEFT JOIN sessions AS s ON s.session_id = p.session_id
    )
SELECT
    timestamp,
    -- The label rules, in one place (tests/test_journey_explorer.py checks each).
    multiIf(
        event_name = 'page_view', concat('Viewed ', if(page_path != '', page_path, 'a page')),
        event_name = 'app_error',
            concat('Error: ', if(p_error_type != '', p_error_type, 'unknown')),
        event_name = 'return_filed',
            if(p_obligation != '', concat('Filed ', p_obligation, ' return'), 'Filed a return'),
        event_name = 'payment_initiated', 'Payment started',
        event_name = 'identify', 'Identified',
        event_name = 'session.start', 'Session started',
        event_name = 'session.converted', 'Converted',
        event_name = 'otp_success', 'OTP verified',
        event_name = 'validation_success', 'Details validated',
        event_name = 'button_click', concat('Clicked ', if(p_label != '', p_label, 'a button')),
        event_name = 'message.received',
            concat('WhatsApp ← ', if(p_content_type IN ('', 'text'), 'message', p_content_type)),
        event_name = 'message.sent',
            multiIf(p_campaign_id != '', concat('WhatsApp → campaign ', p_campaign_id),
                    p_template_id != '', concat('WhatsApp → template ', p_template_id),
                    'WhatsApp → message'),
        event_name = 'message.delivered', 'Delivered',
        event_name = 'message.read', 'Read',
        event_name = 'message.failed',
            concat('Not delivered', if(p_error_type != '', concat(': ', p_error_type), '')),
        event_name = 'contact.created', 'Contact created',
        event_name = 'campaign.sent', concat('Campaign ', p_campaign_id, ' sent'),
        event_name = 'agent.handoff', 'Agent took over',
        event_name = 'chat.assigned',
            if(agent_id != '', concat('Assigned to ', agent_id), 'Assigned to an agent'),
        event_name = 'chat.resolved', 'Resolved',
        event_name = 'csat.submitted', concat('CSAT ', if(p_rating != '', p_rating, '?')),
        event_name = 'ai.classification',
            concat('AI: intent ', if(p_intent != '', p_intent, '?'),
                   if(p_confidence IS NULL, '',
                      concat(' (', toDecimalString(round(assumeNotNull(p_confidence), 2), 2),
                             ')'))),
        event_name = 'ai.generation', 'AI: reply',
        event_name = 'ai.error',
            concat('AI error: ', if(p_error_type != '', p_error_type, 'unknown')),
        startsWith(event_name, 'ai.'),
            concat('AI: ', replaceAll(substring(event_name, 4), '_', ' ')),
        event_name) AS label,
    event_name, channel, group_id, group_start,
    dateDiff('millisecond', group_start, timestamp) / 1000 AS seconds_in_group,
    session_id, session_channel,
    if(session_id = '', NULL, session_end) AS session_end,
    if(session_id = '', NULL, session_duration_s) AS session_duration_s,
    if(session_id = '', NULL, session_events) AS session_events,
    converted, resolved, handed_off, dropped,
    page_path, page_title, direction, agent_id, message_id, chat_id, device_type, browser, os,
    country, city, is_bot, person_id, event_key,
    -- A string: every output (the API's JSON, CSV) carries it as is.
    toString(event_id) AS event_id, total
FROM rows
-- The page's order (event_id: the string, as in the page's rows).
ORDER BY if({newest_first:UInt8} = 1, -toUnixTimestamp64Milli(group_start),
            toUnixTimestamp64Milli(group_start)), group_id, timestamp, event_id
