-- name: daily_gmv
-- grain: one row per local calendar date of the window ending $as_of that the orders cover (first to last pay date); 0 on a day without a purchase
-- params: as_of, days
-- columns: day DATE, gmv DECIMAL, orders BIGINT, buyers BIGINT
-- source: docs/data.md §Purchases (purchase = order with refund_amount < amount; spend net of refunds)
-- The calendar is W(days) cut to the dates of the orders table (before its first or after its last pay date a
-- missing day is missing data, not a day without sales), so a chart draws 0 on a day without sales.
WITH covered AS (   -- first and last pay date of the orders table (NULL when it is empty)
    SELECT min(CAST(paid_at AS DATE)) AS first_day, max(CAST(paid_at AS DATE)) AS last_day FROM orders
),
bounds AS (
    SELECT greatest(CAST($as_of AS DATE) - CAST($days AS INTEGER) + 1, first_day) AS lo,
           least(CAST($as_of AS DATE), last_day) AS hi
    FROM covered WHERE first_day IS NOT NULL
),
calendar AS (
    SELECT CAST(r.d AS DATE) AS day
    FROM bounds, unnest(generate_series(bounds.lo, greatest(bounds.lo, bounds.hi), INTERVAL 1 DAY)) AS r(d)
    WHERE bounds.lo <= bounds.hi
),
sales AS (
    SELECT CAST(paid_at AS DATE) AS day,
           sum(amount - coalesce(refund_amount, 0)) AS gmv,
           count(*) AS orders,
           count(DISTINCT user_id) AS buyers
    FROM orders
    WHERE coalesce(refund_amount, 0) < amount
      AND CAST(paid_at AS DATE) BETWEEN CAST($as_of AS DATE) - CAST($days AS INTEGER) + 1 AND CAST($as_of AS DATE)
    GROUP BY 1
)
SELECT c.day,
       coalesce(s.gmv, 0) AS gmv,
       coalesce(s.orders, 0) AS orders,
       coalesce(s.buyers, 0) AS buyers
FROM calendar c LEFT JOIN sales s USING (day)
ORDER BY 1
