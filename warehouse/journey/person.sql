-- Each row of the source with the person of its `person_key` (an identifier: `user:…`,
-- `anon:…`, `phone:…`, `email:…`) as person_map says now; a key no person_map row names is its
-- own person. The reference views attach persons with it when read; the model worker when it
-- writes a chain, and again for every chain whose identifiers a merge changed (journeys/model.py),
-- so stored rows follow merges.
--
-- Rules this file shares with Python (tests/test_rules_agree.py checks they agree): the person
-- id of a key no person_map row names (contract.identifiers.person_id_for).
--
-- __IDENTIFIERS__: a condition on person_map's `identifier` that keeps at least the source's
-- keys (`1` for all of the project's), so the model reads a few rows of person_map, not all.
SELECT r.*,
       if(p.person_id != '', p.person_id,
          lower(substring(hex(SHA256(r.person_key)), 1, 16))) AS person_id
FROM __SOURCE__ AS r
LEFT JOIN (
    SELECT identifier, argMax(person_id, version) AS person_id
    FROM person_map
    WHERE project_id = {project:String} AND __IDENTIFIERS__
    GROUP BY identifier
) AS p ON p.identifier = r.person_key
