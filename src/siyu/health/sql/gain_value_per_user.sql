-- name: gain_value_per_user
-- grain: one row per snapshot $as_of: W365 spend per buyer of the groups the diagnosis sizes opportunities with
-- params: as_of
-- columns: spend_per_buyer DOUBLE, spend_per_member_buyer DOUBLE, spend_per_nonmember_buyer DOUBLE,
-- columns: spend_per_repeat_buyer DOUBLE, spend_per_once_buyer DOUBLE, spend_per_multicat_member DOUBLE,
-- columns: spend_per_single_cat_member DOUBLE
-- source: docs/data.md §Purchases (purchase, purchase day, spend, 客单价 = GMV / buyers), §Dates (members at T); docs/gain.md §Diagnosis
WITH p AS (SELECT CAST($as_of AS DATE) AS t),
purch AS (
    SELECT o.order_id, o.user_id, CAST(o.paid_at AS DATE) AS d, CAST(o.amount - coalesce(o.refund_amount, 0) AS DOUBLE) AS spend
    FROM orders o, p
    WHERE coalesce(o.refund_amount, 0) < o.amount AND CAST(o.paid_at AS DATE) BETWEEN p.t - 364 AND p.t
),
members AS (
    SELECT DISTINCT user_id FROM memberships, p
    WHERE CAST(joined_at AS DATE) <= t AND (left_at IS NULL OR CAST(left_at AS DATE) > t)
),
cats AS (
    SELECT pu.user_id, count(DISTINCT pr.category_leaf) AS n FROM purch pu JOIN order_items oi USING (order_id)
    JOIN products pr ON pr.sku = oi.sku GROUP BY pu.user_id
),
b AS (
    SELECT pu.user_id, sum(spend) AS spend, count(DISTINCT d) AS days, m.user_id IS NOT NULL AS member,
           coalesce(any_value(c.n), 0) AS ncat
    FROM purch pu LEFT JOIN members m USING (user_id) LEFT JOIN cats c USING (user_id)
    GROUP BY pu.user_id, m.user_id
)
SELECT avg(spend) AS spend_per_buyer,
       avg(spend) FILTER (WHERE member) AS spend_per_member_buyer,
       avg(spend) FILTER (WHERE NOT member) AS spend_per_nonmember_buyer,
       avg(spend) FILTER (WHERE days >= 2) AS spend_per_repeat_buyer,
       avg(spend) FILTER (WHERE days = 1) AS spend_per_once_buyer,
       avg(spend) FILTER (WHERE member AND ncat >= 2) AS spend_per_multicat_member,
       avg(spend) FILTER (WHERE member AND ncat < 2) AS spend_per_single_cat_member
FROM b
