-- session_events(project, start, end, timeout_s, session_timeout_s): the REFERENCE computation
-- of membership — the project's events in [start, end) with the session each belongs to ('' for
-- none), computed over ALL the project's events, so a session is never cut at a range margin.
-- Pages read the stored model (stored_session_events); this view defines it and is the oracle
-- the stored model is tested against (tests/test_journey_equivalence.py). It reads every event
-- of the project: slow on purpose, never on a page.
--
-- Rules this file shares with Python (tests/test_rules_agree.py checks they agree): the person
-- id of a key no person_map row names (contract.identifiers.person_id_for).
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file or its
-- template changed (warehouse/migrate.py).
WITH
    persons AS (
        SELECT identifier, argMax(person_id, version) AS person_id
        FROM person_map WHERE project_id = {project:String} GROUP BY identifier
    )
SELECT m.*,
       if(p.person_id != '', p.person_id,
          lower(substring(hex(SHA256(m.event_key)), 1, 16))) AS person_id
FROM (
{{ membership: events WHERE project_id = {project:String} }}
) AS m
LEFT JOIN persons AS p ON p.identifier = m.event_key
WHERE m.timestamp >= {start:DateTime64(3, 'UTC')} AND m.timestamp < {end:DateTime64(3, 'UTC')}
