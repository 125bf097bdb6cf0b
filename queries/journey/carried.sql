-- The identifiers carried by the events of an SDK session id (its web chain, `w:s:<id>`, by the
-- model's sort key) or a CRM chat id (by its bloom index), for a search that names no
-- identifier itself. FINAL on the chat id's read keeps it on the table and its index: without,
-- the engine chose the by-name projection and read every row (10 M: 60 ms instead of 15).
SELECT DISTINCT key
FROM (
    SELECT user_id, anonymous_id, phone FROM journey_events
    WHERE project_id = {project:String} AND journey_key = concat('w:s:', {value:String})
    UNION ALL
    SELECT user_id, anonymous_id, phone FROM journey_events FINAL
    WHERE project_id = {project:String} AND chat_id = {value:String}
)
ARRAY JOIN [concat('user:', user_id), concat('phone:', phone), concat('anon:', anonymous_id)]
    AS key
WHERE key NOT IN ('user:', 'phone:', 'anon:')
