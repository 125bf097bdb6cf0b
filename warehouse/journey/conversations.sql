-- The facts of each WhatsApp conversation that need its events' times and properties (first
-- response, resolution, CSAT, service, intent, agents), from the source's membership rows and
-- the properties `events` holds for the few kinds that carry them. Kept by the model worker per
-- chain as the rollup `journey_conversations` (journeys/model.py ROLLUPS), so a late
-- chat.resolved or CSAT, or a merge, recomputes them with the chain; stored_conversations joins
-- them to the conversation's row in journey_sessions. Definitions: docs/metrics.md "WhatsApp".
WITH
    src AS (
        SELECT journey_key, session_id, event_id, event_name, timestamp AS ts, agent_id, is_bot
        FROM __SOURCE__
        WHERE session_channel = 'whatsapp' AND session_id != ''
    ),
    -- What the facts read of the events' properties (snake_case: collector/webhooks.py maps the
    -- CRM's camelCase), only for the kinds that carry them; the range of the chains' events
    -- bounds the read of `events` by its sort key.
    props AS (
        SELECT event_id,
               ifNull(toString(properties.service_name), '') AS service_name,
               ifNull(toString(properties.intent), '') AS intent,
               ifNull(toString(properties.outcome), '') AS outcome,
               toFloat64OrNull(toString(properties.rating)) AS rating,
               toFloat64OrNull(toString(properties.resolution_time)) AS crm_resolution_s,
               toFloat64OrNull(toString(properties.duration_minutes)) AS crm_duration_minutes,
               toInt64OrNull(toString(properties.message_count)) AS crm_message_count
        FROM events
        WHERE project_id = {project:String}
          AND timestamp >= (SELECT min(ts) FROM src) AND timestamp <= (SELECT max(ts) FROM src)
          AND event_name IN ('chat.resolved', 'csat.submitted', 'ai.classification',
                             'ai.generation', 'ai.error', 'agent.handoff', 'chat.assigned',
                             'message.received', 'message.sent')
          AND event_id IN (SELECT event_id FROM src)
    ),
    ev AS (
        SELECT s.journey_key AS journey_key, s.session_id AS session_id,
               s.event_name AS event_name, s.ts AS ts, s.event_id AS event_id,
               s.agent_id AS agent_id, s.is_bot AS is_bot,
               ifNull(p.service_name, '') AS service_name, ifNull(p.intent, '') AS intent,
               ifNull(p.outcome, '') AS outcome, p.rating AS rating,
               p.crm_resolution_s AS crm_resolution_s,
               p.crm_duration_minutes AS crm_duration_minutes,
               p.crm_message_count AS crm_message_count
        FROM src AS s
        LEFT JOIN props AS p ON p.event_id = s.event_id
    ),
    -- Per conversation, its events (ties in time by event id, as the model orders them).
    facts AS (
        SELECT
            journey_key, session_id,
            minIf(ts, event_name = 'message.received') AS first_inbound_at,
            maxIf(ts, event_name = 'message.received') AS last_inbound_at,
            maxIf(ts, event_name IN ('message.received', 'message.sent')) AS last_message_at,
            toUInt8(countIf(event_name = 'message.sent') > 0
                    AND maxIf(ts, event_name = 'message.received')
                        > minIf(ts, event_name = 'message.sent')) AS replied,
            minIf(ts, event_name = 'chat.resolved') AS resolved_min,
            countIf(event_name = 'chat.resolved') AS n_resolved,
            argMinIf(outcome, (ts, event_id), event_name = 'chat.resolved') AS f_outcome,
            argMinIf(crm_resolution_s, (ts, event_id),
                     event_name = 'chat.resolved') AS f_crm_resolution_s,
            argMinIf(crm_duration_minutes, (ts, event_id),
                     event_name = 'chat.resolved') AS f_crm_duration_minutes,
            argMinIf(crm_message_count, (ts, event_id),
                     event_name = 'chat.resolved') AS f_crm_message_count,
            -- The latest rating in 1–5 (a rating given twice: the second replaces the first).
            argMaxIf(rating, (ts, event_id), event_name = 'csat.submitted'
                     AND rating BETWEEN 1 AND 5) AS f_csat_rating,
            maxIf(ts, event_name = 'csat.submitted' AND rating BETWEEN 1 AND 5) AS f_csat_at,
            countIf(event_name = 'csat.submitted' AND rating BETWEEN 1 AND 5) AS csat_responses,
            argMinIf(service_name, (ts, event_id), service_name != '') AS first_service_name,
            argMinIf(intent, (ts, event_id),
                     startsWith(event_name, 'ai.') AND intent != '') AS first_intent,
            -- Assignments: the last one names who holds the conversation; per agent, their
            -- first assignment (for their first response below).
            argMaxIf(agent_id, (ts, event_id),
                     event_name = 'chat.assigned' AND agent_id != '') AS last_agent_id,
            minIf(ts, event_name = 'chat.assigned' AND agent_id != '') AS first_assigned_min,
            argMinIf(agent_id, (ts, event_id),
                     event_name = 'chat.assigned' AND agent_id != '') AS first_agent_id,
            groupArrayIf((agent_id, ts), event_name = 'chat.assigned' AND agent_id != '')
                AS assigned_raw,
            groupArrayIf((agent_id, ts), event_name = 'message.sent') AS sent_raw,
            groupArrayIf(ts, event_name = 'message.received') AS inbound_raw,
            -- As its session row's is_bot (any of its events), so the message-level queries
            -- leave bot conversations out without looking the sessions up.
            toUInt8(max(is_bot)) AS bot,
            countIf(event_name IN ('message.received', 'message.sent')) AS n_messages
        FROM ev
        GROUP BY journey_key, session_id
        -- A conversation is opened by an inbound message (docs/metrics.md).
        HAVING countIf(event_name = 'message.received') > 0
    )
SELECT
    journey_key, session_id, first_inbound_at AS start,
    last_inbound_at, last_message_at, replied,
    -- The first outbound message strictly after the first inbound one: a reply comes after
    -- what it answers (the model's dropped rule).
    arrayMin(arrayConcat([toDateTime64('2299-12-31 00:00:00', 3, 'UTC')],
                         arrayFilter(t -> t > first_inbound_at, arrayMap(s -> s.2, sent_raw))))
        AS first_out,
    if(first_out < toDateTime64('2299-12-31 00:00:00', 3, 'UTC'), first_out, NULL)
        AS first_outbound_at,
    dateDiff('millisecond', first_inbound_at, first_outbound_at) / 1000 AS first_response_s,
    if(n_resolved > 0, resolved_min, NULL) AS resolved_at,
    dateDiff('millisecond', first_inbound_at, resolved_at) / 1000 AS resolution_s,
    if(n_resolved > 0, f_crm_resolution_s, NULL) AS crm_resolution_s,
    if(n_resolved > 0, f_crm_duration_minutes, NULL) AS crm_duration_minutes,
    if(n_resolved > 0, f_crm_message_count, NULL) AS crm_message_count,
    f_outcome AS outcome,
    if(csat_responses > 0, f_csat_rating, NULL) AS csat_rating,
    if(csat_responses > 0, f_csat_at, NULL) AS csat_at,
    csat_responses,
    -- The KRA service report's service: the first non-empty service_name, else the first AI
    -- intent, else 'unclassified'.
    multiIf(first_service_name != '', first_service_name,
            first_intent != '', first_intent, 'unclassified') AS service_name,
    first_intent,
    last_agent_id AS agent_id,
    if(first_agent_id != '', first_assigned_min, NULL) AS first_assigned_at,
    -- Every agent it was assigned to: (agent, their first assignment, seconds from it to their
    -- first outbound message after it — NULL when they sent none), in the order of those
    -- assignments.
    arraySort(a -> a.2, arrayMap(agent -> (
            agent,
            arrayMin(arrayMap(x -> x.2, arrayFilter(x -> x.1 = agent, assigned_raw))),
            arrayMin(arrayConcat([inf], arrayMap(
                s -> dateDiff('millisecond',
                              arrayMin(arrayMap(x -> x.2,
                                                arrayFilter(x -> x.1 = agent, assigned_raw))),
                              s.2) / 1000,
                arrayFilter(s -> s.1 = agent
                            AND s.2 > arrayMin(arrayMap(x -> x.2,
                                                        arrayFilter(x -> x.1 = agent,
                                                                    assigned_raw))),
                            sent_raw))))),
        arrayDistinct(arrayMap(x -> x.1, assigned_raw)))) AS assignments_raw,
    arrayMap(a -> (a.1, a.2, if(isFinite(a.3), a.3, NULL)), assignments_raw)
        AS assignments,
    -- chat.assigned (the first) → that agent's first outbound message after it.
    if(length(assignments_raw) > 0 AND isFinite(assignments_raw[1].3),
       assignments_raw[1].3, NULL) AS agent_first_response_s,
    -- Response pairs: per inbound message (three in a row: three), its time and the seconds to
    -- the next outbound message strictly after it — NULL when none came inside the
    -- conversation — in time order (stored_wa_responses reads them by the message's time).
    arrayMap(x -> (x.1, if(isFinite(x.2), x.2, NULL)),
        arrayMap(t -> (t, arrayMin(arrayConcat([inf], arrayMap(
                s -> dateDiff('millisecond', t, s.2) / 1000,
                arrayFilter(s -> s.2 > t, sent_raw))))),
            arraySort(inbound_raw))) AS responses,
    bot AS is_bot,
    -- Its inbound + outbound messages (its session row's inbound + outbound).
    n_messages AS messages
FROM facts
