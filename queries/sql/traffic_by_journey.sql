-- Traffic by journey: the first segment of the page path (/nil/otp → nil; / → home) groups the
-- tax app's journeys (MRI, TOT, NIL, …). Web sessions started in the range, by the journey of
-- their entry page, with how many converted (none under the WhatsApp channel filter).
SELECT
    if(entry_page = '' OR entry_page = '/', 'home',
       lower(splitByChar('/', trimLeft(entry_page, '/'))[1])) AS journey,
    count() AS sessions,
    uniqExact(person_id) AS people,
    countIf(converted = 1) AS conversions,
    conversions / sessions AS conversion_rate
FROM stored_sessions(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
              end = {end:DateTime64(3, 'UTC')},
              conversion_events = {conversion_events:Array(String)})
WHERE is_bot = 0 AND channel IN {session_channels:Array(String)} AND channel = 'web'
GROUP BY journey
ORDER BY sessions DESC, journey
