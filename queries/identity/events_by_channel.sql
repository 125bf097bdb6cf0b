-- Events whose key (first of user:, anon:, phone:, email:) is one of the person's identifiers.
SELECT channel, count() AS events, min(timestamp) AS first_seen, max(timestamp) AS last_seen
FROM events
WHERE project_id = {project:String}
  AND multiIf(
        user_id != '', concat('user:', user_id),
        anonymous_id != '', concat('anon:', anonymous_id),
        phone != '', concat('phone:', phone),
        email != '', concat('email:', email),
        '') IN {identifiers:Array(String)}
GROUP BY channel
ORDER BY channel
