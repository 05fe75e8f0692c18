-- name: store_summary
-- grain: one row per snapshot date $as_of
-- params: as_of, days
-- columns: as_of DATE, window_days INTEGER, gmv DECIMAL, orders BIGINT, buyers BIGINT, kedanjia DOUBLE, bidanjia DOUBLE,
-- columns: repeat_buyers BIGINT, repeat_buyer_share DOUBLE, members BIGINT, fans BIGINT, member_buyers BIGINT,
-- columns: member_gmv DECIMAL, member_kedanjia DOUBLE, member_kedanjia_ratio DOUBLE, refund_rate DOUBLE, vip88_buyer_share DOUBLE
-- source: docs/data.md §Purchases (purchase, purchase day, 客单价 = GMV / buyers, 笔单价 = GMV / orders), §Dates (member, fan active at T); docs/gain.md §Reference figures
-- Window W(days) = local dates as_of - days + 1 .. as_of. A purchase is an order with refund_amount < amount;
-- spend = amount - refund_amount. Members/fans are spells active at the end of as_of.
WITH bounds AS (
    SELECT CAST($as_of AS DATE) AS t,
           CAST($as_of AS DATE) - CAST($days AS INTEGER) + 1 AS w0,
           CAST(CAST($as_of AS DATE) + 1 AS TIMESTAMP) AS t_end
),
win AS (
    SELECT o.* FROM orders o, bounds b
    WHERE CAST(o.paid_at AS DATE) BETWEEN b.w0 AND b.t
),
purchases AS (
    SELECT user_id, CAST(paid_at AS DATE) AS d, amount - coalesce(refund_amount, 0) AS spend
    FROM win WHERE coalesce(refund_amount, 0) < amount
),
members AS (
    SELECT DISTINCT m.user_id FROM memberships m, bounds b
    WHERE m.joined_at < b.t_end AND (m.left_at IS NULL OR m.left_at >= b.t_end)
),
fans AS (
    SELECT DISTINCT f.user_id FROM follows f, bounds b
    WHERE f.followed_at < b.t_end AND (f.unfollowed_at IS NULL OR f.unfollowed_at >= b.t_end)
),
per_buyer AS (
    SELECT p.user_id, sum(p.spend) AS spend, count(DISTINCT p.d) AS days,
           (m.user_id IS NOT NULL) AS is_member
    FROM purchases p LEFT JOIN members m USING (user_id)
    GROUP BY p.user_id, m.user_id
),
vip AS (
    SELECT count(*) FILTER (WHERE u.is_88vip) AS n FROM per_buyer pb JOIN users u USING (user_id)
)
SELECT
    (SELECT t FROM bounds) AS as_of,
    CAST($days AS INTEGER) AS window_days,
    coalesce((SELECT sum(spend) FROM purchases), 0) AS gmv,
    (SELECT count(*) FROM purchases) AS orders,
    (SELECT count(*) FROM per_buyer) AS buyers,
    (SELECT sum(spend) / nullif(count(*), 0) FROM per_buyer)::DOUBLE AS kedanjia,
    (SELECT sum(spend) / nullif(count(*), 0) FROM purchases)::DOUBLE AS bidanjia,
    (SELECT count(*) FILTER (WHERE days >= 2) FROM per_buyer) AS repeat_buyers,
    (SELECT count(*) FILTER (WHERE days >= 2) / nullif(count(*), 0) FROM per_buyer)::DOUBLE AS repeat_buyer_share,
    (SELECT count(*) FROM members) AS members,
    (SELECT count(*) FROM fans) AS fans,
    (SELECT count(*) FILTER (WHERE is_member) FROM per_buyer) AS member_buyers,
    coalesce((SELECT sum(spend) FILTER (WHERE is_member) FROM per_buyer), 0) AS member_gmv,
    (SELECT sum(spend) FILTER (WHERE is_member) / nullif(count(*) FILTER (WHERE is_member), 0) FROM per_buyer)::DOUBLE
        AS member_kedanjia,
    (SELECT (sum(spend) FILTER (WHERE is_member) / nullif(count(*) FILTER (WHERE is_member), 0))
            / nullif(sum(spend) / nullif(count(*), 0), 0) FROM per_buyer)::DOUBLE AS member_kedanjia_ratio,
    (SELECT sum(coalesce(refund_amount, 0)) / nullif(sum(amount), 0) FROM win)::DOUBLE AS refund_rate,
    ((SELECT n FROM vip) / nullif((SELECT count(*) FROM per_buyer), 0))::DOUBLE AS vip88_buyer_share
