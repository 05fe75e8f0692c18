-- name: aipl_channel_flow
-- grain: one row per event channel touching the starters in (t0, t1], plus the brand row '*'
-- params: t0, t1, source, targets
-- inputs: _s0, _s1 (user_id, stage at t0 and at t1)
-- columns: channel VARCHAR, starters BIGINT, touched BIGINT, coverage DOUBLE, flowed BIGINT, flow_rate DOUBLE
-- source: docs/customer-assets.md §AIPL (Data Bank 链路流转分析 [S9]: 覆盖率 = 起始人数_c / X-stage users, 流转率 = 流转人数_c / 起始人数_c)
WITH starters AS (
    SELECT s0.user_id, list_contains($targets, s1.stage) AS flowed
    FROM _s0 s0 JOIN _s1 s1 USING (user_id)
    WHERE s0.stage = $source
),
n AS (SELECT count(*) AS n FROM starters),
touches AS (
    SELECT DISTINCT e.channel, e.user_id
    FROM events e SEMI JOIN starters s ON s.user_id = e.user_id
    WHERE e.channel IS NOT NULL
      AND CAST(e.ts AS DATE) > CAST($t0 AS DATE) AND CAST(e.ts AS DATE) <= CAST($t1 AS DATE)
),
per_channel AS (
    SELECT t.channel, count(*) AS touched, count(*) FILTER (WHERE s.flowed) AS flowed
    FROM touches t JOIN starters s USING (user_id)
    GROUP BY t.channel
)
SELECT '*' AS channel, n.n AS starters, n.n AS touched, CASE WHEN n.n > 0 THEN 1.0 END AS coverage,
       (SELECT count(*) FILTER (WHERE flowed) FROM starters) AS flowed,
       (SELECT count(*) FILTER (WHERE flowed) FROM starters) / nullif(n.n, 0) AS flow_rate
FROM n
UNION ALL
SELECT p.channel, n.n, p.touched, p.touched / nullif(n.n, 0), p.flowed, p.flowed / nullif(p.touched, 0)
FROM per_channel p, n
ORDER BY touched DESC, channel
