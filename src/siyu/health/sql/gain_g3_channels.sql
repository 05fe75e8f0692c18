-- name: gain_g3_channels
-- grain: one row per channel of new buyers' first orders, this year's W90 or the same window a year earlier
-- params: as_of, new_cust_lookback_days
-- columns: channel VARCHAR, new_buyers BIGINT, new_buyers_last_year BIGINT
-- source: docs/gain.md §The 12 indicators, G3 (per acquisition channel: the channel of the new buyer's first order in the window)
WITH p AS (SELECT CAST($as_of AS DATE) AS t),
purch AS (
    SELECT o.order_id, o.user_id, o.paid_at, CAST(o.paid_at AS DATE) AS d, coalesce(o.channel, 'unknown') AS channel
    FROM orders o, p
    WHERE coalesce(o.refund_amount, 0) < o.amount AND CAST(o.paid_at AS DATE) <= p.t
),
pdays AS (
    SELECT user_id, d, lag(d) OVER (PARTITION BY user_id ORDER BY d) AS prev_d
    FROM (SELECT DISTINCT user_id, d FROM purch)
),
windows AS (SELECT 0 AS yr, t - 89 AS lo, t AS hi FROM p UNION ALL SELECT 1, t - 454, t - 365 FROM p),
new_buyers AS (
    SELECT w.yr, pd.user_id, w.lo, w.hi FROM pdays pd JOIN windows w ON pd.d BETWEEN w.lo AND w.hi
    WHERE pd.prev_d IS NULL OR (pd.prev_d < w.lo AND pd.prev_d < pd.d - CAST($new_cust_lookback_days AS INTEGER))
),
first_channel AS (  -- channel of the first order in the window: earliest paid_at, ties by order_id
    SELECT n.yr, n.user_id, arg_min(pu.channel, (pu.paid_at, pu.order_id)) AS channel
    FROM new_buyers n JOIN purch pu ON pu.user_id = n.user_id AND pu.d BETWEEN n.lo AND n.hi
    GROUP BY n.yr, n.user_id
)
SELECT channel, count(*) FILTER (WHERE yr = 0) AS new_buyers, count(*) FILTER (WHERE yr = 1) AS new_buyers_last_year
FROM first_channel GROUP BY channel ORDER BY new_buyers DESC, channel
