-- name: grow_categories
-- grain: one row per category with a purchase in P0 or P1: buyers B_c, frequency count N_c and item GMV per period
-- params: grow_frequency, category_level
-- inputs: _grow_orders (grow_orders: purchases per period)
-- columns: category VARCHAR, buyers0 BIGINT, n0 BIGINT, gmv0 DOUBLE, buyers1 BIGINT, n1 BIGINT, gmv1 DOUBLE,
-- columns: expansion BOOLEAN
-- source: docs/customer-assets.md §GROW (G split by category; zero base buyers = category expansion)
-- Category = products.category_leaf, or category_l1 when category_level = 'l1'; 'unknown' for an unknown SKU or an
-- empty category. Item GMV = order_items.amount × the order's (amount - refund) / amount. B_c = buyers with a line of
-- c; N_c = purchases (or purchase days when grow_frequency = 'purchase_days') with a line of c.
WITH lines AS (
    SELECT g.period, g.order_id, g.user_id, g.d,
           coalesce(CASE WHEN $category_level = 'l1' THEN p.category_l1 ELSE p.category_leaf END, 'unknown') AS category,
           CAST(i.amount AS DOUBLE) * g.net_share AS item_gmv
    FROM _grow_orders g
    JOIN order_items i ON i.order_id = g.order_id
    LEFT JOIN products p ON p.sku = i.sku
),
agg AS (
    SELECT category, period, count(DISTINCT user_id) AS buyers,
           CASE WHEN $grow_frequency = 'purchase_days' THEN count(DISTINCT (user_id, d))
                ELSE count(DISTINCT order_id) END AS n,
           sum(item_gmv) AS gmv
    FROM lines
    GROUP BY category, period
)
SELECT c.category,
       coalesce(a0.buyers, 0) AS buyers0, coalesce(a0.n, 0) AS n0, coalesce(a0.gmv, 0.0) AS gmv0,
       coalesce(a1.buyers, 0) AS buyers1, coalesce(a1.n, 0) AS n1, coalesce(a1.gmv, 0.0) AS gmv1,
       a0.buyers IS NULL AS expansion
FROM (SELECT DISTINCT category FROM agg) c
LEFT JOIN agg a0 ON a0.category = c.category AND a0.period = 0
LEFT JOIN agg a1 ON a1.category = c.category AND a1.period = 1
ORDER BY gmv1 DESC, gmv0 DESC, c.category
