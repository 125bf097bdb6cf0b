-- Agent workload now: the conversations open now (stored_wa_open: Njia's definition, which may
-- differ from the CRM's inbox) per agent holding them (their last chat.assigned; 'unassigned'
-- for none — the bot's), and how many of those wait for a reply (the last message is inbound).
SELECT
    if(agent_id = '', 'unassigned', agent_id) AS agent,
    count() AS open,
    countIf(waiting = 1) AS waiting
FROM stored_wa_open(project = {project:String}, at = {now:DateTime64(3, 'UTC')},
                    timeout_s = {timeout_s:UInt32})
GROUP BY agent
ORDER BY agent = 'unassigned', open DESC, agent
LIMIT {limit:UInt32}
