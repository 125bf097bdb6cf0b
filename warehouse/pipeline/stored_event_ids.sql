-- Which of these event ids a project already stores (the processor's redelivery check).
SELECT toString(event_id)
FROM events
WHERE project_id = {project:String} AND event_id IN {ids:Array(UUID)}
