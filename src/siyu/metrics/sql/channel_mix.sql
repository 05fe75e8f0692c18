-- name: channel_mix
-- grain: one row per order channel in the window ending $as_of
-- params: as_of, days
-- columns: channel VARCHAR, channel_group VARCHAR, gmv DECIMAL, orders BIGINT, buyers BIGINT, gmv_share DOUBLE
-- source: docs/data.md §Channels (recognised sources and their groups; others are 'other', missing is 'unknown')
WITH p AS (
    SELECT coalesce(channel, 'unknown') AS channel, user_id, amount - coalesce(refund_amount, 0) AS spend
    FROM orders
    WHERE coalesce(refund_amount, 0) < amount
      AND CAST(paid_at AS DATE) BETWEEN CAST($as_of AS DATE) - CAST($days AS INTEGER) + 1 AND CAST($as_of AS DATE)
)
SELECT p.channel,
       coalesce(g.channel_group, CASE WHEN p.channel = 'unknown' THEN 'unknown' ELSE 'other' END) AS channel_group,
       sum(spend) AS gmv, count(*) AS orders, count(DISTINCT user_id) AS buyers,
       (sum(spend) / sum(sum(spend)) OVER ())::DOUBLE AS gmv_share
FROM p LEFT JOIN _channel_groups g ON g.channel = p.channel
GROUP BY p.channel, g.channel_group
ORDER BY gmv DESC, p.channel
