-- The model's chains (journey keys) holding rows keyed by these identifiers, per identifier.
-- Read without FINAL, through the event key's bloom index: an old version of a row may add a
-- chain the row left, which costs a few granules and never misses one. (DISTINCT, not GROUP
-- BY: grouping read ~10× longer at 10 M events.)
SELECT DISTINCT event_key, journey_key
FROM journey_events
WHERE project_id = {project:String} AND event_key IN {keys:Array(String)}
