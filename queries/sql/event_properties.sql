-- The property keys seen on one event name in the range, with how many events carry each and up
-- to five common values (topK: suggestions for the funnel builder's filters, not counts).
SELECT
    key,
    count() AS events,
    topK(5)(value) AS top_values
FROM (
    SELECT key,
           if(JSONType(js, key) = 'String', JSONExtractString(js, key), JSONExtractRaw(js, key))
             AS value
    FROM (
        SELECT toJSONString(properties) AS js, JSONAllPaths(properties) AS keys
        FROM events
        WHERE project_id = {project:String}
          AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
          AND event_name = {event:String} AND NOT is_bot
    )
    ARRAY JOIN keys AS key
)
GROUP BY key
ORDER BY events DESC, key
LIMIT {limit:UInt32}
