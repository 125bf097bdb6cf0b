-- The identifier a stored session or conversation belongs to (its person key), by its id.
SELECT person_key
FROM journey_sessions FINAL
WHERE project_id = {project:String} AND session_id = {session:String}
LIMIT 1
