-- stored_conversations(project, start, end): one row per WhatsApp conversation of the stored
-- model whose start is in [start, end) — bots excluded — with the facts the WhatsApp, service
-- report, Overview and snapshot queries read (definitions: docs/metrics.md "WhatsApp
-- conversations" and "WhatsApp"). The conversation's row in journey_sessions joined with its
-- facts in journey_conversations (warehouse/journey/conversations.sql): both kept by the model
-- worker with the chain, so a late chat.resolved or a CSAT rating the next morning — which
-- belong to the conversation, after `end` — are in its facts, and no fact depends on the range
-- asked.
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file changed.
SELECT
    c.session_id AS session_id,
    c.phone AS phone,
    c.person_key AS person_key,
    c.person_id AS person_id,
    c.start AS start,
    c.end AS end,
    dateDiff('millisecond', c.start, c.end) / 1000 AS duration_s,
    c.event_count AS event_count,
    c.inbound AS inbound,
    c.outbound AS outbound,
    c.inbound + c.outbound AS messages,
    f.crm_message_count AS crm_message_count,
    c.resolved AS resolved,
    c.handed_off AS handed_off,
    toUInt8(c.resolved AND NOT c.handed_off) AS bot_resolved,
    c.dropped AS dropped,
    c.country AS country,
    f.last_inbound_at AS last_inbound_at,
    f.last_message_at AS last_message_at,
    toUInt8(c.outbound > 0) AS has_outbound,
    f.replied AS replied,
    f.first_outbound_at AS first_outbound_at,
    f.first_response_s AS first_response_s,
    f.resolved_at AS resolved_at,
    f.resolution_s AS resolution_s,
    f.crm_resolution_s AS crm_resolution_s,
    f.crm_duration_minutes AS crm_duration_minutes,
    f.outcome AS outcome,
    f.csat_rating AS csat_rating,
    f.csat_at AS csat_at,
    f.csat_responses AS csat_responses,
    f.service_name AS service_name,
    f.first_intent AS first_intent,
    f.agent_id AS agent_id,
    f.first_assigned_at AS first_assigned_at,
    f.assignments AS assignments,
    f.agent_first_response_s AS agent_first_response_s
FROM (
    SELECT session_id, phone, person_key, person_id, start, end, event_count, inbound,
           outbound, resolved, handed_off, dropped, country
    FROM journey_sessions FINAL
    WHERE project_id = {project:String}
      AND start >= {start:DateTime64(3, 'UTC')} AND start < {end:DateTime64(3, 'UTC')}
      AND channel = 'whatsapp' AND is_bot = 0
) AS c
LEFT JOIN (
    SELECT * FROM journey_conversations FINAL
    WHERE project_id = {project:String}
      AND start >= {start:DateTime64(3, 'UTC')} AND start < {end:DateTime64(3, 'UTC')}
) AS f ON f.session_id = c.session_id
