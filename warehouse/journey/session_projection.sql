-- Sessions as pages read them: the session rows of the source (session_rows.sql's columns and
-- the person person.sql attached, from the reference computation or from journey_sessions),
-- with "converted" by the project's conversion events as they are now. One projection for the
-- reference view `sessions` and `stored_sessions`.
SELECT
    k.session_id AS session_id,
    {project:String} AS project_id,
    k.channel AS channel,
    k.person_id AS person_id,
    k.person_key AS person_key,
    k.start AS start,
    k.end AS end,
    dateDiff('millisecond', k.start, k.end) / 1000 AS duration_s,
    k.event_count AS event_count,
    k.entry_page AS entry_page,
    k.exit_page AS exit_page,
    toUInt8(hasAny(k.event_names, {conversion_events:Array(String)})) AS converted,
    k.event_names AS event_names,
    k.inbound AS inbound,
    k.outbound AS outbound,
    k.resolved AS resolved,
    k.handed_off AS handed_off,
    k.dropped AS dropped,
    k.device_type AS device_type,
    k.browser AS browser,
    k.os AS os,
    k.country AS country,
    k.is_bot AS is_bot,
    k.phone AS phone,
    k.anonymous_id AS anonymous_id,
    k.user_id AS user_id
FROM __SOURCE__ AS k
