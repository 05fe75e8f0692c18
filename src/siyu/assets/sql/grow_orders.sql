-- name: grow_orders
-- grain: one row per purchase (order) per GROW period: period 0 = the base period ending $from_date, 1 = ending $as_of
-- params: as_of, from_date, grow_days, new_cust_lookback_days
-- columns: period INTEGER, order_id VARCHAR, user_id VARCHAR, paid_at TIMESTAMP, d DATE, gmv DOUBLE, net_share DOUBLE,
-- columns: is_new BOOLEAN
-- source: docs/customer-assets.md §GROW (periods), §Conventions (new buyer in a window); docs/data.md §Purchases (net of refunds)
-- Periods are local dates: P1 = as_of - grow_days + 1 .. as_of, P0 = from_date - grow_days + 1 .. from_date (when they
-- overlap, a purchase in both counts in both). gmv = amount - refund; net_share = gmv / amount scales the order lines.
-- A buyer is new in a period when its earliest purchase day d0 in it has no purchase day in d0 - lookback .. d0 - 1.
WITH periods AS (
    SELECT 0 AS period, CAST($from_date AS DATE) - CAST($grow_days AS INTEGER) + 1 AS start_d,
           CAST($from_date AS DATE) AS end_d
    UNION ALL
    SELECT 1, CAST($as_of AS DATE) - CAST($grow_days AS INTEGER) + 1, CAST($as_of AS DATE)
),
purchases AS (   -- every purchase that can matter: from the lookback before the earlier period up to as_of
    SELECT o.order_id, o.user_id, o.paid_at, CAST(o.paid_at AS DATE) AS d,
           CAST(o.amount - coalesce(o.refund_amount, 0) AS DOUBLE) AS gmv,
           CAST(o.amount - coalesce(o.refund_amount, 0) AS DOUBLE) / CAST(o.amount AS DOUBLE) AS net_share
    FROM orders o
    WHERE coalesce(o.refund_amount, 0) < o.amount
      AND CAST(o.paid_at AS DATE) BETWEEN (SELECT min(start_d) FROM periods) - CAST($new_cust_lookback_days AS INTEGER)
                                      AND (SELECT max(end_d) FROM periods)
),
day_lag AS (     -- each purchase day of a user with the one before it
    SELECT user_id, d, lag(d) OVER (PARTITION BY user_id ORDER BY d) AS prev_d
    FROM (SELECT DISTINCT user_id, d FROM purchases)
),
in_period AS (
    SELECT p.period, u.* FROM purchases u JOIN periods p ON u.d BETWEEN p.start_d AND p.end_d
),
status AS (      -- new or existing, per period and buyer
    SELECT f.period, f.user_id,
           l.prev_d IS NULL OR l.prev_d < f.d0 - CAST($new_cust_lookback_days AS INTEGER) AS is_new
    FROM (SELECT period, user_id, min(d) AS d0 FROM in_period GROUP BY period, user_id) f
    JOIN day_lag l ON l.user_id = f.user_id AND l.d = f.d0
)
SELECT i.period, i.order_id, i.user_id, i.paid_at, i.d, i.gmv, i.net_share, s.is_new
FROM in_period i JOIN status s USING (period, user_id)
ORDER BY i.period, i.paid_at, i.order_id
