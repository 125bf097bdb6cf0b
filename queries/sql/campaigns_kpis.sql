-- Campaign KPIs for [start, end) and the previous period of equal length [prev_start, start):
-- campaigns, recipients, sent, delivered, read, replied, failed and the four rates, one row per
-- metric (metric, value, previous, change, change_ratio). Definitions: docs/metrics.md
-- "Campaigns" (queries/definitions/campaigns.toml).
--
-- Each period holds the campaign messages sent in it (receipts and replies whenever they came,
-- as in campaigns.sql). The counts are the sums of the per-campaign table's columns (recipients
-- and replied count a person once per campaign they got); the rates are pooled from those sums.
-- The messages are the view campaign_messages (warehouse/views/), read from prev_start: one scan
-- covers both periods.
WITH
    per_campaign AS (
        SELECT
            sent_at >= {start:DateTime64(3, 'UTC')} AS current,
            campaign_id,
            uniqExact(recipient) AS recipients,
            count() AS sent,
            countIf(reached) AS delivered,
            countIf(was_read) AS read,
            uniqExactIf(recipient, replied) AS replied,
            countIf(failed) AS failed
        FROM campaign_messages(project = {project:String},
                               start = {prev_start:DateTime64(3, 'UTC')},
                               end = {end:DateTime64(3, 'UTC')},
                               attribution_s = {attribution_s:UInt32})
        GROUP BY current, campaign_id
    ),
    totals AS (
        SELECT
            countIf(current) AS n, countIf(NOT current) AS pn,
            sumIf(recipients, current) AS rec, sumIf(recipients, NOT current) AS prec,
            sumIf(sent, current) AS snt, sumIf(sent, NOT current) AS psnt,
            sumIf(delivered, current) AS dlv, sumIf(delivered, NOT current) AS pdlv,
            sumIf(read, current) AS rd, sumIf(read, NOT current) AS prd,
            sumIf(replied, current) AS rpl, sumIf(replied, NOT current) AS prpl,
            sumIf(failed, current) AS fld, sumIf(failed, NOT current) AS pfld
        FROM per_campaign
    )
SELECT
    metric,
    value,
    previous,
    -- Rounded like the values (2 decimals): 70.68 − 67.78 is 2.9, not 2.9000000000000057.
    round(value - previous, 2) AS change,
    if(previous = 0, NULL, (value - previous) / previous) AS change_ratio
FROM (
    SELECT
        ['campaigns', 'recipients', 'sent', 'delivered', 'read', 'replied', 'failed',
         'delivery_rate', 'read_rate', 'reply_rate', 'failure_rate'] AS metrics,
        [toFloat64(n), toFloat64(rec), toFloat64(snt), toFloat64(dlv), toFloat64(rd),
         toFloat64(rpl), toFloat64(fld),
         if(snt = 0, 0, round(100 * dlv / snt, 2)), if(dlv = 0, 0, round(100 * rd / dlv, 2)),
         if(rec = 0, 0, round(100 * rpl / rec, 2)), if(snt = 0, 0, round(100 * fld / snt, 2))]
            AS values,
        [toFloat64(pn), toFloat64(prec), toFloat64(psnt), toFloat64(pdlv), toFloat64(prd),
         toFloat64(prpl), toFloat64(pfld),
         if(psnt = 0, 0, round(100 * pdlv / psnt, 2)),
         if(pdlv = 0, 0, round(100 * prd / pdlv, 2)),
         if(prec = 0, 0, round(100 * prpl / prec, 2)),
         if(psnt = 0, 0, round(100 * pfld / psnt, 2))] AS previouses
    FROM totals
)
ARRAY JOIN metrics AS metric, values AS value, previouses AS previous
