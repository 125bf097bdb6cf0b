-- The person an identifier belongs to ('' when it was never linked: then it is its own person).
SELECT argMax(person_id, version) AS person_id
FROM person_map
WHERE project_id = {project:String} AND identifier = {identifier:String}
