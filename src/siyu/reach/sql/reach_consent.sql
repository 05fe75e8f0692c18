-- name: reach_consent
-- engines: duckdb (reach plans and sends from the workspace file; the Spark engine stores nothing)
-- grain: one row per (user, channel) of the session table _reach_targets(user_id, channel)
-- params: at
-- columns: user_id VARCHAR, channel VARCHAR, marketing BOOLEAN, personalisation BOOLEAN, third_party BOOLEAN
-- source: docs/reach.md §Consent: the state of (user, channel, purpose) at time t is the latest consents record at
-- source: or before t for that channel or for `all` (the later wins; at the same moment withdrawn wins); none: no consent
WITH latest AS (
    SELECT t.user_id, t.channel, c.purpose,
           arg_max(c.status, epoch_us(c.ts) * 2 + CASE WHEN c.status = 'withdrawn' THEN 1 ELSE 0 END) AS status
    FROM _reach_targets t
    JOIN consents c ON c.user_id = t.user_id AND (c.channel = t.channel OR c.channel = 'all')
    WHERE c.ts <= $at
    GROUP BY t.user_id, t.channel, c.purpose
)
SELECT t.user_id, t.channel,
       coalesce(bool_or(l.purpose = 'marketing' AND l.status = 'granted'), false) AS marketing,
       coalesce(bool_or(l.purpose = 'personalisation' AND l.status = 'granted'), false) AS personalisation,
       coalesce(bool_or(l.purpose = 'third_party' AND l.status = 'granted'), false) AS third_party
FROM _reach_targets t
LEFT JOIN latest l ON l.user_id = t.user_id AND l.channel = t.channel
GROUP BY t.user_id, t.channel
ORDER BY t.user_id, t.channel
