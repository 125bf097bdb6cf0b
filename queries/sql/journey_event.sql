-- One event's properties, context and traits (JSON), for the Journey explorer's inspector:
-- found by its id through the model's bloom index, then in `events` by its sort key (day, name,
-- instant), so a few granules are read. No row for an id the project does not have.
WITH
    found AS (
        SELECT timestamp, event_name FROM journey_events
        WHERE project_id = {project:String} AND event_id = toUUID({event:String})
        LIMIT 1
    )
SELECT toString(e.event_id) AS event_id, e.timestamp AS timestamp, e.event_name AS event_name,
       e.channel AS channel, toString(e.properties) AS properties,
       toString(e.context) AS context, toString(e.traits) AS traits
FROM events AS e
WHERE e.project_id = {project:String}
  AND (toDate(e.timestamp), e.event_name, e.timestamp) IN (
      SELECT toDate(timestamp), event_name, timestamp FROM found)
  AND e.event_id = toUUID({event:String})
