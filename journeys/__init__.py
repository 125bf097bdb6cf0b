"""The stored journey model: sessions, conversations and each event's membership, kept in
`journey_events` / `journey_sessions` from `events` by recomputing the chains new events touch
(warehouse/journey/README.md)."""
