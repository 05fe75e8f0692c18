-- name: outbox_list
-- engines: duckdb (the outbox lives in the workspace file)
-- grain: one row per outbox message, of campaign $campaign (every campaign when null)
-- params: campaign
-- columns: message_id VARCHAR, campaign_id VARCHAR, user_id VARCHAR, channel VARCHAR, status VARCHAR,
-- columns: scheduled_at TIMESTAMP, sent_at TIMESTAMP, attempts INTEGER
-- source: docs/reach.md §The outbox (the columns of `siyu outbox --format csv`)
SELECT message_id, campaign_id, user_id, channel, status, scheduled_at, sent_at, attempts
FROM outbox
WHERE $campaign IS NULL OR campaign_id = $campaign
ORDER BY campaign_id, scheduled_at, message_id
