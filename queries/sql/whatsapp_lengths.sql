-- WhatsApp conversations started in the range by length: its message count — the CRM's
-- `messageCount` (of its chat.resolved) when it sent one, else its inbound + outbound messages.
-- A bucket holds lower ≤ messages < next lower; every bucket is returned, in order; bots
-- excluded. Both counts are in the conversations rollup (journey_conversations, the facts
-- stored_conversations joins to the session rows), read alone.
WITH
    ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11–15', '16–20', '21–50', '51+']
        AS labels,
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 21, 51] AS bounds,
    counted AS (
        SELECT arrayLastIndex(b -> length_ >= b, bounds) AS bucket,
               count() AS conversations
        FROM (
            SELECT if(crm_message_count >= 1, assumeNotNull(crm_message_count),
                      toInt64(messages)) AS length_
            FROM journey_conversations FINAL
            WHERE project_id = {project:String}
              AND start >= {start:DateTime64(3, 'UTC')} AND start < {end:DateTime64(3, 'UTC')}
              AND is_bot = 0
        )
        GROUP BY bucket
        ORDER BY bucket WITH FILL FROM 1 TO length(bounds) + 1
    )
SELECT bucket, labels[bucket] AS length, conversations
FROM counted
ORDER BY bucket
