-- stored_sessions(project, start, end, conversion_events): the stored model's sessions — one row
-- per web session or WhatsApp conversation whose start is in [start, end), as kept by the model
-- worker (journeys/) in journey_sessions; the same columns and values as the reference view
-- sessions. The person is read through person_map now (merges apply at once), and "converted"
-- through the project's conversion events as they are now.
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file changed.
WITH
    persons AS (
        SELECT identifier, argMax(person_id, version) AS person_id
        FROM person_map WHERE project_id = {project:String} GROUP BY identifier
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
FROM (
    SELECT * FROM journey_sessions FINAL
    WHERE project_id = {project:String}
      AND start >= {start:DateTime64(3, 'UTC')} AND start < {end:DateTime64(3, 'UTC')}
) AS k
LEFT JOIN persons AS p ON p.identifier = k.person_key
