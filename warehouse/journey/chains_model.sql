-- Every event of the chains in journey_touched for {version}, read from the stored model
-- (journey_events, ordered by chain) plus the new events of the source, as `events` columns:
-- the incremental path, which reads a few rows per chain instead of scanning `events`. Exact
-- as long as journey_events holds every earlier event (the worker and `njia rebuild` keep it so).
-- Receipts and chat events keyed elsewhere before (their message or number came later) are
-- found by message_id / chat_id. A superset: rows of other chains are computed, not written.
-- `old_key`: the chain an event's row is in now ('' for a new event).
(
    SELECT * FROM (
        -- The model's rows, as `events` columns (each branch finds its rows by its own index).
        SELECT event_id, event_name, channel, timestamp, anonymous_id, user_id,
               own_phone AS phone, email, sdk_session_id AS session_id, page_path, page_title,
               device_type, browser, os, country, city, is_bot, message_id, chat_id, direction,
               agent_id, journey_key AS old_key
        FROM (
            SELECT * FROM journey_events FINAL
            WHERE project_id = {project:String}
              AND journey_key IN (SELECT journey_key FROM journey_touched
                                  WHERE version = {version:UInt64})
            UNION ALL
            SELECT * FROM journey_events FINAL
            WHERE project_id = {project:String} AND message_id != ''
              AND message_id IN (
                  SELECT message_id FROM journey_events
                  WHERE project_id = {project:String} AND message_id != ''
                    AND journey_key IN (SELECT journey_key FROM journey_touched
                                        WHERE version = {version:UInt64}
                                          AND startsWith(journey_key, 'p:'))
                  UNION ALL
                  SELECT message_id FROM __FRESH__ WHERE message_id != '')
            UNION ALL
            SELECT * FROM journey_events FINAL
            WHERE project_id = {project:String} AND chat_id != ''
              AND chat_id IN (
                  SELECT chat_id FROM journey_events
                  WHERE project_id = {project:String} AND chat_id != ''
                    AND journey_key IN (SELECT journey_key FROM journey_touched
                                        WHERE version = {version:UInt64}
                                          AND startsWith(journey_key, 'p:'))
                  UNION ALL
                  SELECT chat_id FROM __FRESH__ WHERE chat_id != '')
        )
        UNION ALL
        SELECT event_id, event_name, channel, timestamp, anonymous_id, user_id, phone, email,
               session_id, page_path, page_title, device_type, browser, os, country, city,
               is_bot, message_id, chat_id, direction, agent_id, '' AS old_key
        FROM __FRESH__
    )
    -- An event read from the model keeps the chain it was in (old_key), to delete that row if
    -- it moves.
    ORDER BY old_key = ''
    LIMIT 1 BY event_id
)
