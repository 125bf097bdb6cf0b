-- Every event of the chains in journey_touched for {version}, read from `events` (a rebuild):
-- all events of each web key and of each number, with the receipts of its messages and the events of its chats wherever they were
-- keyed before, plus the events themselves ('e:' keys). A superset: rows of other chains it
-- drags in are computed but not written (journey/model.py keeps only touched keys).
events WHERE project_id = {project:String} AND (
    session_id IN (SELECT substring(journey_key, 5) FROM journey_touched
                   WHERE version = {version:UInt64} AND startsWith(journey_key, 'w:s:'))
    OR anonymous_id IN (SELECT substring(journey_key, 5) FROM journey_touched
                        WHERE version = {version:UInt64} AND startsWith(journey_key, 'w:a:'))
    OR user_id IN (SELECT substring(journey_key, 5) FROM journey_touched
                   WHERE version = {version:UInt64} AND startsWith(journey_key, 'w:u:'))
    OR phone IN (SELECT substring(journey_key, 3) FROM journey_touched
                 WHERE version = {version:UInt64} AND startsWith(journey_key, 'p:'))
    OR event_id IN (SELECT toUUID(substring(journey_key, 3)) FROM journey_touched
                    WHERE version = {version:UInt64} AND startsWith(journey_key, 'e:'))
    OR message_id IN (SELECT message_id FROM events
                      WHERE project_id = {project:String} AND message_id != ''
                        AND event_name IN ('message.received', 'message.sent')
                        AND phone IN (SELECT substring(journey_key, 3) FROM journey_touched
                                      WHERE version = {version:UInt64}
                                        AND startsWith(journey_key, 'p:')))
    OR chat_id IN (SELECT chat_id FROM events
                   WHERE project_id = {project:String} AND chat_id != ''
                     AND phone IN (SELECT substring(journey_key, 3) FROM journey_touched
                                   WHERE version = {version:UInt64}
                                     AND startsWith(journey_key, 'p:')))
)
