-- name: reach_funnel
-- engines: duckdb (campaigns live in the workspace file)
-- grain: one row per planned campaign (of $campaign only when given), newest plan first
-- params: campaign
-- columns: campaign_id VARCHAR, planned_at TIMESTAMP, priority INTEGER, audience BIGINT, planned BIGINT,
-- columns: global_control BIGINT, holdout BIGINT, no_consent BIGINT, budget BIGINT, quiet_hours_dropped BIGINT,
-- columns: queued BIGINT, sent BIGINT, failed BIGINT, delivered BIGINT, opened BIGINT, clicked BIGINT
-- source: docs/reach.md §The reach funnel: planned (every message written to the outbox) -> suppressed by reason (at
-- source: planning, and at sending: those are also counted in planned) -> sent
-- source: (or exported) -> delivered -> opened -> clicked; delivered/opened/clicked are reach_log rows of the campaign's
-- source: messages whose status the channel reported back (a later status counts for the earlier ones)
WITH s AS (
    SELECT campaign_id,
           count(*) FILTER (WHERE reason = 'global_control') AS global_control,
           count(*) FILTER (WHERE reason = 'holdout') AS holdout,
           count(*) FILTER (WHERE reason = 'no_consent') AS no_consent,
           count(*) FILTER (WHERE reason = 'budget') AS budget,
           count(*) FILTER (WHERE reason = 'quiet_hours_dropped') AS quiet_hours_dropped
    FROM reach_suppressions GROUP BY campaign_id
), o AS (
    SELECT campaign_id,
           count(*) AS planned,
           count(*) FILTER (WHERE status = 'queued') AS queued,
           count(*) FILTER (WHERE status IN ('sent', 'exported')) AS sent,
           count(*) FILTER (WHERE status = 'failed') AS failed
    FROM outbox GROUP BY campaign_id
), r AS (
    SELECT o.campaign_id,
           count(*) FILTER (WHERE l.status IN ('delivered', 'opened', 'clicked')) AS delivered,
           count(*) FILTER (WHERE l.status IN ('opened', 'clicked')) AS opened,
           count(*) FILTER (WHERE l.status = 'clicked') AS clicked
    FROM outbox o JOIN reach_log l ON l.message_id = o.message_id
    GROUP BY o.campaign_id
)
SELECT c.campaign_id, c.planned_at, c.priority, c.audience_size AS audience, coalesce(o.planned, 0) AS planned,
       coalesce(s.global_control, 0) AS global_control, coalesce(s.holdout, 0) AS holdout,
       coalesce(s.no_consent, 0) AS no_consent, coalesce(s.budget, 0) AS budget,
       coalesce(s.quiet_hours_dropped, 0) AS quiet_hours_dropped, coalesce(o.queued, 0) AS queued,
       coalesce(o.sent, 0) AS sent, coalesce(o.failed, 0) AS failed, coalesce(r.delivered, 0) AS delivered,
       coalesce(r.opened, 0) AS opened, coalesce(r.clicked, 0) AS clicked
FROM campaigns c
LEFT JOIN s ON s.campaign_id = c.campaign_id
LEFT JOIN o ON o.campaign_id = c.campaign_id
LEFT JOIN r ON r.campaign_id = c.campaign_id
WHERE $campaign IS NULL OR c.campaign_id = $campaign
ORDER BY c.plan_seq DESC
