-- name: reach_window
-- engines: duckdb (reach plans and sends from the workspace file)
-- grain: one row per message that counts against the contact budget of a user of _reach_users(user_id), at a
-- grain: moment in [$lo, $hi)
-- params: lo, hi, campaign, priority, plan_seq
-- columns: user_id VARCHAR, ts TIMESTAMP, channel VARCHAR
-- source: docs/reach.md §One contact budget: reach_log rows with status sent, delivered, opened, clicked or exported
-- source: (every channel, customer service included; failed and suppressed do not count), plus messages queued in the
-- source: outbox by campaigns that outrank campaign $campaign (a higher priority, or the same and planned earlier)
SELECT r.user_id, r.ts, r.channel
FROM reach_log r SEMI JOIN _reach_users u ON u.user_id = r.user_id
WHERE r.status IN ('sent', 'delivered', 'opened', 'clicked', 'exported') AND r.ts >= $lo AND r.ts < $hi
UNION ALL
SELECT o.user_id, o.scheduled_at, o.channel
FROM outbox o SEMI JOIN _reach_users u ON u.user_id = o.user_id
WHERE o.status = 'queued' AND o.scheduled_at >= $lo AND o.scheduled_at < $hi AND o.campaign_id <> $campaign
  AND (o.priority < $priority OR (o.priority = $priority AND o.plan_seq < $plan_seq))
ORDER BY 1, 2
