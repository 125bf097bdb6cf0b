-- The WhatsApp conversations' facts that need their events' times and properties (first
-- response, resolution, CSAT, service, intent, agents): one row per conversation, kept by the
-- model worker with the chain's other rows (warehouse/journey/conversations.sql), so the
-- WhatsApp, service-report and snapshot queries read a row per conversation instead of its
-- events and their JSON properties. Read with FINAL, like the other journey tables; sorted by
-- start, as a range asks for conversations by their start.
CREATE TABLE IF NOT EXISTS journey_conversations
(
    project_id             LowCardinality(String),
    start                  DateTime64(3, 'UTC'),
    session_id             String,
    journey_key            String,
    version                UInt64,
    deleted                UInt8,
    last_inbound_at        DateTime64(3, 'UTC'),
    last_message_at        DateTime64(3, 'UTC'),
    replied                UInt8,
    first_outbound_at      Nullable(DateTime64(3, 'UTC')),
    first_response_s       Nullable(Float64),
    resolved_at            Nullable(DateTime64(3, 'UTC')),
    resolution_s           Nullable(Float64),
    crm_resolution_s       Nullable(Float64),
    crm_duration_minutes   Nullable(Float64),
    crm_message_count      Nullable(Int64),
    outcome                LowCardinality(String),
    csat_rating            Nullable(Float64),
    csat_at                Nullable(DateTime64(3, 'UTC')),
    csat_responses         UInt64,
    service_name           LowCardinality(String),
    first_intent           LowCardinality(String),
    agent_id               LowCardinality(String),
    first_assigned_at      Nullable(DateTime64(3, 'UTC')),
    assignments            Array(Tuple(String, DateTime64(3, 'UTC'), Nullable(Float64))),
    agent_first_response_s Nullable(Float64)
)
ENGINE = ReplacingMergeTree(version, deleted)
PARTITION BY toYYYYMM(start)
ORDER BY (project_id, start, session_id, journey_key);
