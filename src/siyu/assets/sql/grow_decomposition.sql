-- name: grow_decomposition
-- grain: one row per customer group ('new', 'existing'): buyers B, frequency count N and GMV in P0 and in P1
-- params: grow_frequency
-- inputs: _grow_orders (grow_orders: purchases per period with the new-buyer flag)
-- columns: grp VARCHAR, buyers0 BIGINT, n0 BIGINT, gmv0 DOUBLE, buyers1 BIGINT, n1 BIGINT, gmv1 DOUBLE
-- source: docs/customer-assets.md §GROW (GMV = B × F × V, new/existing split); the LMDI arithmetic is in siyu/assets/grow.py
-- N = orders, or purchase days (distinct buyer-dates) when grow_frequency = 'purchase_days'; F = N / B, V = GMV / N.
WITH per_user AS (
    SELECT period, user_id, is_new, count(*) AS orders, count(DISTINCT d) AS days, sum(gmv) AS gmv
    FROM _grow_orders
    GROUP BY period, user_id, is_new
),
agg AS (
    SELECT CASE WHEN is_new THEN 'new' ELSE 'existing' END AS grp, period, count(*) AS buyers,
           CAST(sum(CASE WHEN $grow_frequency = 'purchase_days' THEN days ELSE orders END) AS BIGINT) AS n,
           sum(gmv) AS gmv
    FROM per_user
    GROUP BY ALL
)
SELECT g.grp,
       coalesce(a0.buyers, 0) AS buyers0, coalesce(a0.n, 0) AS n0, coalesce(a0.gmv, 0.0) AS gmv0,
       coalesce(a1.buyers, 0) AS buyers1, coalesce(a1.n, 0) AS n1, coalesce(a1.gmv, 0.0) AS gmv1
FROM (VALUES (1, 'new'), (2, 'existing')) g(k, grp)
LEFT JOIN agg a0 ON a0.grp = g.grp AND a0.period = 0
LEFT JOIN agg a1 ON a1.grp = g.grp AND a1.period = 1
ORDER BY g.k
