-- The conversations' rollup also keeps, per inbound message, its time and the seconds to the
-- next outbound message (NULL for none), the bot flag and the message count, so the WhatsApp
-- response times read a row per conversation instead of its messages; and a skip index on the
-- conversation id (open conversations are looked up by id: stored_wa_open).
ALTER TABLE journey_conversations
    ADD COLUMN IF NOT EXISTS responses Array(Tuple(DateTime64(3, 'UTC'), Nullable(Float64))),
    ADD COLUMN IF NOT EXISTS is_bot UInt8,
    ADD COLUMN IF NOT EXISTS messages UInt64;
ALTER TABLE journey_conversations
    ADD INDEX IF NOT EXISTS idx_session_id session_id TYPE bloom_filter(0.01) GRANULARITY 1;
