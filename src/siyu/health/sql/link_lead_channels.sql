-- name: link_lead_channels
-- grain: one row per channel of the visits in W($days) ending $as_of (missing channel = 'unknown')
-- params: as_of, days
-- inputs: _link_users (sql/link_users.sql at the snapshot; is_new_visitor), _channel_groups (session table)
-- columns: channel VARCHAR, channel_group VARCHAR, uv BIGINT, new_uv BIGINT, share DOUBLE
-- source: docs/gain.md §LINK+ (LEAD channels: on-site free, on-site paid, off-site online, offline; L 汇聚: UV, new-visitor
-- source: share); docs/data.md §Channels (recognised sources and their groups; others are 'other', missing is 'unknown')
-- A visitor counts in every channel it visited through (the shares can add up to more than 1); share = uv / UV.
WITH p AS (
    SELECT CAST($as_of AS DATE) AS t, CAST($days AS INTEGER) AS n
),
v AS (
    SELECT DISTINCT coalesce(e.channel, 'unknown') AS channel, e.user_id
    FROM events e, p
    WHERE e.type = 'visit' AND CAST(e.ts AS DATE) BETWEEN p.t - p.n + 1 AND p.t
),
total AS (SELECT count(*) FILTER (WHERE visits > 0) AS uv FROM _link_users)
SELECT v.channel,
       coalesce(g.channel_group, CASE WHEN v.channel = 'unknown' THEN 'unknown' ELSE 'other' END) AS channel_group,
       count(*) AS uv,
       count(*) FILTER (WHERE u.is_new_visitor) AS new_uv,
       (count(*) / nullif(any_value(total.uv), 0))::DOUBLE AS share
FROM v JOIN _link_users u USING (user_id) LEFT JOIN _channel_groups g ON g.channel = v.channel, total
GROUP BY v.channel, g.channel_group
ORDER BY uv DESC, v.channel
