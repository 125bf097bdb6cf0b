-- The key of a person id that person_map does not name — an identifier never linked is a person
-- of its own, whose id is its key's hash: one of their stored events' key, found through the
-- activity rows (per chain and person: ~2 M rows at 10 M events, where the events are 10 M).
SELECT event_key FROM journey_events
WHERE project_id = {project:String}
  AND journey_key IN (SELECT journey_key FROM journey_activity
                      WHERE project_id = {project:String} AND person_id = {person_id:String})
  AND person_id = {person_id:String} AND NOT startsWith(event_key, 'event:')
LIMIT 1
