-- name: grow_new_products
-- grain: one row: the W 新品力 counts over P1 = $as_of - $grow_days + 1 .. $as_of
-- params: as_of, grow_days, new_product_days
-- inputs: _grow_orders (grow_orders: purchases per period with the new-buyer flag)
-- columns: item_gmv DOUBLE, new_sku_gmv DOUBLE, new_buyers BIGINT, new_buyers_new_sku BIGINT, launches BIGINT
-- source: docs/customer-assets.md §GROW (W: new_sku_gmv_share, new_sku_newcust_share, launch_agility)
-- A line is of a new SKU when 0 <= order date - launch_date <= new_product_days - 1 (unknown SKU or launch: not new).
-- A new buyer's first order in P1 is its earliest purchase there by pay time, then order id.
-- launches = SKUs whose launch_date is in P1.
WITH lines AS (
    SELECT g.order_id, CAST(i.amount AS DOUBLE) * g.net_share AS item_gmv,
           coalesce(date_diff('day', p.launch_date, g.d) BETWEEN 0 AND CAST($new_product_days AS INTEGER) - 1, false) AS new_sku
    FROM _grow_orders g
    JOIN order_items i ON i.order_id = g.order_id
    LEFT JOIN products p ON p.sku = i.sku
    WHERE g.period = 1
),
first_orders AS (
    SELECT user_id, order_id
    FROM (SELECT user_id, order_id, row_number() OVER (PARTITION BY user_id ORDER BY paid_at, order_id) AS k
          FROM _grow_orders WHERE period = 1 AND is_new)
    WHERE k = 1
),
new_sku_orders AS (
    SELECT DISTINCT order_id FROM lines WHERE new_sku
)
SELECT
    (SELECT coalesce(sum(item_gmv), 0.0) FROM lines) AS item_gmv,
    (SELECT coalesce(sum(item_gmv) FILTER (WHERE new_sku), 0.0) FROM lines) AS new_sku_gmv,
    (SELECT count(*) FROM first_orders) AS new_buyers,
    (SELECT count(*) FROM first_orders JOIN new_sku_orders USING (order_id)) AS new_buyers_new_sku,
    (SELECT count(*) FROM products
     WHERE launch_date BETWEEN CAST($as_of AS DATE) - CAST($grow_days AS INTEGER) + 1 AND CAST($as_of AS DATE)) AS launches
