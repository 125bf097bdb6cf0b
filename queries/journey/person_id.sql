-- The identifiers person_map names with a person id now (the internal id older links and the
-- funnel's drill-down carry).
SELECT identifier
FROM person_map
WHERE project_id = {project:String}
  AND identifier IN (SELECT identifier FROM person_map
                     WHERE project_id = {project:String} AND person_id = {person_id:String})
GROUP BY identifier
HAVING argMax(person_id, version) = {person_id:String}
