-- Agent leaderboard over the conversations started in the range (bots excluded), by `agent_id`
-- of `chat.assigned`: `assigned` = conversations assigned to the agent (at least once); its
-- median first response = from the agent's first assignment in each to the agent's first
-- outbound message after it. A conversation's outcome goes to the agent holding it at the end
-- (its last assignment): `resolved`, the median resolution time of those, and their CSAT
-- (mean of the conversations' ratings, and how many rated). Medians exact (linear
-- interpolation), NULL when there is nothing to take one of. Every fact here is in the
-- conversations rollup (journey_conversations, what stored_conversations joins to the session
-- rows; resolved = it has a resolution time), read alone.
WITH
    c AS (
        SELECT session_id, agent_id, toUInt8(resolution_s IS NOT NULL) AS resolved,
               resolution_s, csat_rating, assignments
        FROM journey_conversations FINAL
        WHERE project_id = {project:String}
          AND start >= {start:DateTime64(3, 'UTC')} AND start < {end:DateTime64(3, 'UTC')}
          AND is_bot = 0
    ),
    assigned AS (
        SELECT a.1 AS agent_id, count() AS assigned,
               countIf(a.3 IS NOT NULL) AS responded,
               quantileExactInclusive(0.5)(a.3) AS median_first_response_s
        FROM c ARRAY JOIN assignments AS a
        GROUP BY agent_id
    ),
    held AS (
        SELECT agent_id, count() AS held, countIf(resolved = 1) AS n_resolved,
               quantileExactInclusiveIf(0.5)(resolution_s, resolved = 1) AS median_resolution_s,
               count(csat_rating) AS csat_responses, avg(csat_rating) AS csat_mean
        FROM c
        WHERE agent_id != ''
        GROUP BY agent_id
    )
SELECT
    a.agent_id AS agent_id,
    a.assigned AS assigned,
    h.held AS held_at_end,
    h.n_resolved AS resolved,
    if(a.responded = 0, NULL, a.median_first_response_s) AS median_first_response_s,
    if(h.n_resolved = 0, NULL, h.median_resolution_s) AS median_resolution_s,
    if(h.csat_responses = 0, NULL, h.csat_mean) AS csat_mean,
    h.csat_responses AS csat_responses
FROM assigned AS a
LEFT JOIN held AS h ON h.agent_id = a.agent_id
ORDER BY assigned DESC, agent_id
