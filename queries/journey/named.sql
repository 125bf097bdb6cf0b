-- The first of the candidate keys (in their order) that person_map names, its person now, and
-- every identifier that person has now; ('', '', []) when person_map names none of them.
-- Identifiers whose newest row points elsewhere are left out (a merge moved them).
WITH
    (SELECT argMin((identifier, pid), indexOf({candidates:Array(String)}, identifier))
     FROM (SELECT identifier, argMax(person_id, version) AS pid
           FROM person_map
           WHERE project_id = {project:String} AND identifier IN {candidates:Array(String)}
           GROUP BY identifier)) AS chosen
SELECT
    chosen.1 AS identifier,
    chosen.2 AS person_id,
    (SELECT groupArray(identifier) FROM (
        SELECT identifier FROM person_map
        WHERE project_id = {project:String}
          AND identifier IN (SELECT identifier FROM person_map
                             WHERE project_id = {project:String} AND person_id = chosen.2
                               AND chosen.2 != '')
        GROUP BY identifier
        HAVING argMax(person_id, version) = chosen.2)) AS identifiers
