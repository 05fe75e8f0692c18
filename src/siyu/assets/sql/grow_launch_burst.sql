-- name: grow_launch_burst
-- grain: one row per SKU launched in P1 or the 30 days before it (launch_date in $as_of - $grow_days - 29 .. $as_of)
-- params: as_of, grow_days
-- columns: sku VARCHAR, launch_date DATE, gmv_30d DOUBLE, days_observed INTEGER
-- source: docs/customer-assets.md §GROW (W launch_burst = GMV in the first 30 days after launch, per launch)
-- The burst window is launch_date .. launch_date + 29, capped at as_of (days_observed = its length); GMV is the item
-- GMV of the SKU's lines in purchases of that window (line amount × the order's (amount - refund) / amount).
WITH launched AS (
    SELECT sku, launch_date, least(launch_date + 29, CAST($as_of AS DATE)) AS end_d
    FROM products
    WHERE launch_date BETWEEN CAST($as_of AS DATE) - CAST($grow_days AS INTEGER) - 29 AND CAST($as_of AS DATE)
),
sales AS (
    SELECT l.sku,
           sum(CAST(i.amount AS DOUBLE) * CAST(o.amount - coalesce(o.refund_amount, 0) AS DOUBLE)
               / CAST(o.amount AS DOUBLE)) AS gmv
    FROM launched l
    JOIN order_items i ON i.sku = l.sku
    JOIN orders o ON o.order_id = i.order_id
    WHERE coalesce(o.refund_amount, 0) < o.amount AND CAST(o.paid_at AS DATE) BETWEEN l.launch_date AND l.end_d
    GROUP BY l.sku
)
SELECT l.sku, l.launch_date, coalesce(s.gmv, 0.0) AS gmv_30d, CAST(date_diff('day', l.launch_date, l.end_d) + 1 AS INTEGER) AS days_observed
FROM launched l LEFT JOIN sales s ON s.sku = l.sku
ORDER BY l.launch_date, l.sku
