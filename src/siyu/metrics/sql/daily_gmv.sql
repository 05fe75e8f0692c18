-- name: daily_gmv
-- grain: one row per local calendar date with at least one purchase in the window ending $as_of
-- params: as_of, days
-- columns: day DATE, gmv DECIMAL, orders BIGINT, buyers BIGINT
-- source: DOMAIN.md §0 (purchase = order with refund_amount < amount; spend net of refunds)
SELECT CAST(paid_at AS DATE) AS day,
       sum(amount - coalesce(refund_amount, 0)) AS gmv,
       count(*) AS orders,
       count(DISTINCT user_id) AS buyers
FROM orders
WHERE coalesce(refund_amount, 0) < amount
  AND CAST(paid_at AS DATE) BETWEEN CAST($as_of AS DATE) - CAST($days AS INTEGER) + 1 AND CAST($as_of AS DATE)
GROUP BY 1
ORDER BY 1
