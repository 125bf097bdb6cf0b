-- The model never reads events' properties, and carrying them (a JSON column) through every
-- recompute cost 4× the rest of a pass: queries that show them join `events` by event id
-- (warehouse/views/stored_named_events.sql, stored_session.sql).
ALTER TABLE journey_events DROP COLUMN IF EXISTS properties;
ALTER TABLE journey_scratch DROP COLUMN IF EXISTS properties;

-- The chain an event's row was in when a recompute read it, so a row that moves to another
-- chain is deleted without searching the model for it.
ALTER TABLE journey_scratch ADD COLUMN IF NOT EXISTS old_key String
