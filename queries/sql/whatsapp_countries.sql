-- WhatsApp conversations started in the range by country (the number's country code; 'unknown'
-- when it has none), with their people, resolved and dropped; bots excluded. Everything here is
-- on the conversation's session row (journey_sessions, as stored_conversations reads it), so
-- the rollup of its other facts is not joined.
SELECT
    if(country = '', 'unknown', country) AS country,
    count() AS conversations,
    uniqExact(person_id) AS people,
    countIf(resolved = 1) AS resolved,
    countIf(dropped = 1) AS dropped
FROM journey_sessions FINAL
WHERE project_id = {project:String}
  AND start >= {start:DateTime64(3, 'UTC')} AND start < {end:DateTime64(3, 'UTC')}
  AND channel = 'whatsapp' AND is_bot = 0
GROUP BY country
ORDER BY conversations DESC, country
