-- Traffic by journey: web sessions started in the range, by the journey of their entry page,
-- with how many converted (none under the WhatsApp channel filter). A session is in the filing
-- journey (config/journeys.toml) whose entry page it entered on, or below one; any other entry
-- page is grouped by its first path segment (/help/faq → help; / → home).
SELECT
    if(configured > 0, {journey_ids:Array(String)}[configured],
       if(entry_page = '' OR entry_page = '/', 'home',
          lower(splitByChar('/', trimLeft(entry_page, '/'))[1]))) AS journey,
    count() AS sessions,
    uniqExact(person_id) AS people,
    countIf(converted = 1) AS conversions,
    conversions / sessions AS conversion_rate
FROM (
    SELECT entry_page, person_id, converted,
           arrayFirstIndex(pages -> arrayExists(p -> entry_page = p
                                                     OR startsWith(entry_page, concat(p, '/')),
                                                pages),
                           {journey_entry_pages:Array(Array(String))}) AS configured
    FROM stored_sessions(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                         end = {end:DateTime64(3, 'UTC')},
                         conversion_events = {conversion_events:Array(String)})
    WHERE is_bot = 0 AND channel IN {session_channels:Array(String)} AND channel = 'web'
)
GROUP BY journey
ORDER BY sessions DESC, journey
