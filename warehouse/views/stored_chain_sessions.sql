-- stored_chain_sessions(project, chains, conversion_events): the stored model's sessions and
-- conversations of the given chains (journey keys), whenever they started, with
-- stored_sessions' columns — the sessions of one person's chains (stored_person_events), found
-- by the chain's bloom index instead of a range of starts. The journey queries also filter on
-- (start, session_id), its sort key, for the sessions they hold: a granule each.
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file changed.
{{ session_projection: (
    SELECT * FROM journey_sessions FINAL
    WHERE project_id = {project:String} AND journey_key IN {chains:Array(String)}
) }}
