-- name: link_groups
-- grain: one row per LINK+ group: 'all' (the 大盘) and 'relationship' (relationship users at the snapshot)
-- params:
-- inputs: _link_users (sql/link_users.sql at the snapshot)
-- columns: grp VARCHAR, users BIGINT, reached BIGINT, visitors BIGINT, visits BIGINT, pdp_views BIGINT,
-- columns: duration_sum DOUBLE, duration_n BIGINT, buyers_window BIGINT, buyers BIGINT, repeat_buyers BIGINT,
-- columns: orders BIGINT, gmv DOUBLE
-- source: docs/gain.md §LINK+ (N 激活: 触达率, 回访率, 停留时长, 逛店深度; K 复购: 转化率, 复购率, 客单价, 笔单价), §Reference figures #1–#5
-- N counts (users .. duration_n) are over the group's members at the snapshot; K counts (buyers_window .. gmv) over
-- the group's purchases: every purchase for 'all', the purchases made as a relationship user for 'relationship'.
-- buyers_window: buyers in W(days); buyers, repeat_buyers (>= 2 purchase days), orders, gmv: W365.
WITH g AS (
    SELECT 'all' AS grp, reached, visits, pdp_views, duration_sum, duration_n,
           buyer_window AS b_window, orders_365 AS b_orders, pdays_365 AS b_pdays, gmv_365 AS b_gmv
    FROM _link_users WHERE in_all
    UNION ALL
    SELECT 'relationship', reached, visits, pdp_views, duration_sum, duration_n,
           rel_buyer_window, rel_orders_365, rel_pdays_365, rel_gmv_365
    FROM _link_users WHERE is_relationship
),
groups(grp) AS (VALUES ('all'), ('relationship'))
SELECT groups.grp,
       count(g.grp) AS users,
       count(*) FILTER (WHERE g.reached) AS reached,
       count(*) FILTER (WHERE g.visits > 0) AS visitors,
       coalesce(sum(g.visits), 0)::BIGINT AS visits,
       coalesce(sum(g.pdp_views), 0)::BIGINT AS pdp_views,
       coalesce(sum(g.duration_sum), 0)::DOUBLE AS duration_sum,
       coalesce(sum(g.duration_n), 0)::BIGINT AS duration_n,
       count(*) FILTER (WHERE g.b_window) AS buyers_window,
       count(*) FILTER (WHERE g.b_orders > 0) AS buyers,
       count(*) FILTER (WHERE g.b_pdays >= 2) AS repeat_buyers,
       coalesce(sum(g.b_orders), 0)::BIGINT AS orders,
       coalesce(sum(g.b_gmv), 0)::DOUBLE AS gmv
FROM groups LEFT JOIN g USING (grp)
GROUP BY groups.grp
ORDER BY groups.grp
