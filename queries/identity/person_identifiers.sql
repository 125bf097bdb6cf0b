-- Every identifier currently mapped to a person.
SELECT identifier
FROM (
    SELECT identifier, argMax(person_id, version) AS pid
    FROM person_map
    WHERE project_id = {project:String}
    GROUP BY identifier
)
WHERE pid = {person_id:String}
ORDER BY identifier
