-- Stored snapshots (table `snapshots`, docs "Snapshots") of one type whose period begins in
-- [period_from, period_to] — period_from is the first day of the period holding the range's
-- first day — one row per period and metric, with the previous period's value: the day, the
-- week (Monday–Sunday) or the calendar month just before, looked up by its first day (never the
-- previous row, so a missing snapshot gives no previous rather than a wrong one). change =
-- value - previous; change_ratio = change / previous, NULL when previous is 0 or missing, as
-- in the KPI queries. Each value is the period's own (weekly and monthly people are distinct
-- people of the week or month, not sums of days). FINAL: one row per period however many
-- times it was computed.
WITH
    stored AS (
        SELECT period_start, period_end, computed_at, metric, value
        FROM (
            SELECT period_start, period_end, computed_at, metrics
            FROM snapshots FINAL
            WHERE project_id = {project:String}
              AND whatsapp_account = {account:String}
              AND snapshot_type = {snapshot_type:String}
              AND period_start >= toDate({prev_from:String})
              AND period_start <= toDate({period_to:String})
        )
        ARRAY JOIN mapKeys(metrics) AS metric, mapValues(metrics) AS value
        WHERE empty({metrics:Array(String)}) OR has({metrics:Array(String)}, metric)
    ),
    cur AS (
        SELECT *,
               multiIf({snapshot_type:String} = 'monthly', addMonths(period_start, -1),
                       {snapshot_type:String} = 'weekly', period_start - 7,
                       period_start - 1) AS previous_start
        FROM stored
        WHERE period_start >= toDate({period_from:String})
    )
SELECT
    c.period_start AS period_start,
    c.period_end AS period_end,
    c.metric AS metric,
    c.value AS value,
    if(p.metric = '', NULL, p.value) AS previous,
    value - previous AS change,
    if(previous = 0, NULL, (value - previous) / previous) AS change_ratio,
    c.computed_at AS computed_at
FROM cur AS c
LEFT JOIN stored AS p ON p.metric = c.metric AND p.period_start = c.previous_start
ORDER BY metric, period_start
