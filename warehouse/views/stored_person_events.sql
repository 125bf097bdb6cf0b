-- stored_person_events(project, person, chains): one person's journey from the stored model —
-- every event of each web session or WhatsApp conversation they took part in (at least one of
-- its events is theirs, so a conversation's AI events and receipts come with it), and their own
-- events outside any. Read through `chains`, the model's chains holding rows keyed by the
-- person's identifiers (journey_events is sorted by chain, and a session never spans two
-- chains, so its events are all there): a few granules, not a scan for the person id.
-- queries/journey/person.py looks the person and their chains up. Each row names its group —
-- its session, else the event itself (`event:<id>`) — and when the group started.
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file changed.
SELECT * EXCEPT (took_part)
FROM (
    SELECT
        -- The model's columns but its bookkeeping, as the other stored views name them.
        j.* EXCEPT (project_id, version, deleted), j.event_key AS person_key,
        if(j.session_id != '', j.session_id, concat('event:', toString(j.event_id))) AS group_id,
        min(j.timestamp) OVER (PARTITION BY group_id) AS group_start,
        max(j.person_id = {person:String}) OVER (PARTITION BY group_id) AS took_part
    FROM journey_events AS j FINAL
    WHERE j.project_id = {project:String} AND j.journey_key IN {chains:Array(String)}
      AND j.deleted = 0
)
WHERE took_part = 1
