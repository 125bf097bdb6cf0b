-- The Sessions page's list: sessions started in the range, newest first, with every filter a
-- bound parameter ('' / -1 / 0 mean "any"). `total` is the number of matching sessions before
-- LIMIT/OFFSET (for pagination).
SELECT
    session_id, channel, person_id, person_key, start, end, duration_s, event_count,
    entry_page, exit_page, converted, inbound, outbound, resolved, handed_off, dropped,
    device_type, browser, os, country, phone, user_id, anonymous_id,
    count() OVER () AS total
FROM stored_sessions(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
              end = {end:DateTime64(3, 'UTC')},
              conversion_events = {conversion_events:Array(String)})
WHERE is_bot = 0
  AND channel IN {session_channels:Array(String)}
  AND ({converted:Int8} = -1 OR converted = {converted:Int8})
  AND ({device:String} = '' OR device_type = {device:String})
  AND ({country:String} = '' OR country = {country:String})
  AND duration_s >= {min_duration_s:Float64}
  AND ({entry_page:String} = '' OR entry_page = {entry_page:String})
  AND ({person:String} = ''
       OR person_id = {person:String}
       OR has({person_ids:Array(String)}, person_id)
       OR positionCaseInsensitive(person_key, {person:String}) > 0
       OR positionCaseInsensitive(phone, {person:String}) > 0
       OR positionCaseInsensitive(user_id, {person:String}) > 0
       OR positionCaseInsensitive(anonymous_id, {person:String}) > 0)
ORDER BY start DESC, session_id
LIMIT {limit:UInt32} OFFSET {offset:UInt32}
