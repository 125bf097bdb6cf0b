-- One person's card over their whole journey — every event of the sessions and conversations
-- they took part in, and theirs outside any (stored_person_events; the runner looked the
-- person and their chains up from `person`, queries/journey/person.py): identifiers, first and
-- last seen, channels, devices, countries, counts, conversions, the last WhatsApp conversation
-- and its status, the CSAT ratings they gave. One row; none when the search names nobody with
-- events. Definitions: docs/metrics.md "Journey explorer".
WITH
    -- The person's events, read once: a scalar is computed once per query, where each use of a
    -- CTE would read the model again (their sessions and ratings are found through them).
    (SELECT groupArray((timestamp, event_id, event_name, channel, session_id, group_start,
                        country))
     FROM stored_person_events(project = {project:String}, person = {person_id:String},
                               chains = {chains:Array(String)})
     WHERE {search:String} != '') AS person_rows,
    ev AS (
        SELECT r.1 AS timestamp, r.2 AS event_id, r.3 AS event_name, r.4 AS channel,
               r.5 AS session_id, r.6 AS group_start, r.7 AS country
        FROM (SELECT arrayJoin(person_rows) AS r)
    ),
    -- Their sessions and conversations, by their sort key (start, id): a granule each.
    sessions AS (
        SELECT *
        FROM stored_chain_sessions(project = {project:String}, chains = {chains:Array(String)},
                                   conversion_events = {conversion_events:Array(String)})
        WHERE (start, session_id) IN (SELECT group_start, session_id FROM ev
                                      WHERE session_id != '')
    ),
    -- Ratings are properties, which the model does not keep: from `events` by its sort key
    -- (day, name, instant), for their CSAT events only.
    csat AS (
        SELECT event_id, toInt64OrNull(toString(properties.rating)) AS rating
        FROM events
        WHERE project_id = {project:String}
          AND (toDate(timestamp), event_name, timestamp) IN (
              SELECT toDate(timestamp), event_name, timestamp FROM ev
              WHERE event_name = 'csat.submitted')
    ),
    per_event AS (
        SELECT
            min(e.timestamp) AS first_seen,
            max(e.timestamp) AS last_seen,
            count() AS events,
            arraySort(groupUniqArray(e.channel)) AS channels,
            countIf(e.event_name = 'page_view') AS page_views,
            countIf(e.event_name = 'message.received') AS messages_received,
            countIf(e.event_name = 'message.sent') AS messages_sent,
            countIf(e.channel = 'ai') AS ai_events,
            countIf(e.event_name = 'app_error') AS errors,
            arraySort(groupUniqArrayIf(e.country, e.country != '')) AS countries,
            argMaxIf(e.country, e.timestamp, e.country != '') AS country,
            countIf(e.event_name = 'csat.submitted') AS csat_given,
            argMaxIf(c.rating, e.timestamp, e.event_name = 'csat.submitted') AS last_csat,
            avgIf(c.rating, e.event_name = 'csat.submitted') AS avg_csat
        FROM ev AS e
        LEFT JOIN csat AS c ON c.event_id = e.event_id
    ),
    per_session AS (
        SELECT
            countIf(channel = 'web') AS web_sessions,
            countIf(channel = 'whatsapp') AS conversations,
            countIf(channel = 'web' AND converted = 1) AS conversions,
            -- Web sessions' first device, system and browser ("mobile · Android · Chrome").
            arraySort(groupUniqArrayIf(
                arrayStringConcat(arrayFilter(x -> x != '', [device_type, os, browser]), ' · '),
                channel = 'web' AND device_type != '')) AS devices,
            argMaxIf((session_id, start, end, resolved, handed_off, dropped), start,
                     channel = 'whatsapp') AS conv
        FROM sessions
    )
SELECT
    {search:String} AS searched,
    {person_id:String} AS person_id,
    {person_keys:Array(String)} AS identifiers,
    first_seen, last_seen, events, channels, web_sessions, conversations, conversions,
    page_views, messages_received, messages_sent, ai_events, errors, devices, countries, country,
    conv.1 AS last_conversation,
    if(conv.1 = '', NULL, conv.2) AS last_conversation_start,
    if(conv.1 = '', NULL, conv.3) AS last_conversation_end,
    -- Resolved wins; a conversation left unanswered is dropped even when it was handed off.
    multiIf(conv.1 = '', '', conv.4 = 1, 'resolved', conv.6 = 1, 'dropped',
            conv.5 = 1, 'handed off', 'open') AS last_conversation_status,
    csat_given, last_csat, if(csat_given = 0, NULL, round(avg_csat, 2)) AS avg_csat
FROM per_event CROSS JOIN per_session
WHERE events > 0
