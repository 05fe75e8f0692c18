-- name: reach_consent_user
-- engines: duckdb (reach reads the workspace file)
-- grain: one row per (channel, purpose) of user $user_id: every reach channel × every purpose
-- params: user_id, at
-- columns: channel VARCHAR, purpose VARCHAR, status VARCHAR, since TIMESTAMP, record_channel VARCHAR,
-- columns: source VARCHAR, text_version VARCHAR
-- source: docs/reach.md §Consent: the latest record at or before $at for the channel or for `all` (the later wins;
-- source: at the same moment withdrawn wins); status 'none' when there is no record (no record: no consent)
WITH grid AS (
    SELECT ch.channel, p.purpose
    FROM (VALUES ('sms'), ('group_chat'), ('push'), ('customer_service'), ('email'), ('webhook')) ch(channel),
         (VALUES ('marketing'), ('personalisation'), ('third_party')) p(purpose)
), ranked AS (
    SELECT g.channel, g.purpose, c.status, c.ts, c.channel AS record_channel, c.source, c.text_version,
           row_number() OVER (PARTITION BY g.channel, g.purpose
                              ORDER BY c.ts DESC, CASE WHEN c.status = 'withdrawn' THEN 0 ELSE 1 END) AS rn
    FROM grid g
    JOIN consents c ON c.purpose = g.purpose AND (c.channel = g.channel OR c.channel = 'all')
    WHERE c.user_id = $user_id AND c.ts <= $at
)
SELECT g.channel, g.purpose, coalesce(r.status, 'none') AS status, r.ts AS since, r.record_channel, r.source,
       r.text_version
FROM grid g LEFT JOIN ranked r ON r.channel = g.channel AND r.purpose = g.purpose AND r.rn = 1
ORDER BY list_position(['sms', 'group_chat', 'push', 'customer_service', 'email', 'webhook'], g.channel),
         list_position(['marketing', 'personalisation', 'third_party'], g.purpose)
