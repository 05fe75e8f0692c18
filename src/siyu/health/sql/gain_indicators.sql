-- name: gain_indicators
-- grain: one row per snapshot $as_of: numerator and denominator of each of the 12 GAIN indicators
-- params: as_of, new_cust_lookback_days, high_value_pct, mid_low, mid_high, reach_days, new_product_days,
-- params: category_level, crossbuy_dimension, audience_mode, crowd_a1, crowd_a2, crowd_a3
-- inputs: _stage90 (user_id, AIPL stage at as_of - 90)
-- columns: g1_num BIGINT, g1_den BIGINT, g2_num BIGINT, g2_den BIGINT, g3_num BIGINT, g3_den BIGINT,
-- columns: a1_num BIGINT, a1_den BIGINT, a2_num BIGINT, a2_den BIGINT, a3_num BIGINT, a3_den BIGINT,
-- columns: i1_num BIGINT, i1_den BIGINT, i2_num BIGINT, i2_den BIGINT, i3_num BIGINT, i3_den BIGINT,
-- columns: n1_num BIGINT, n1_den BIGINT, n2_num BIGINT, n2_den BIGINT, n3_num BIGINT, n3_den BIGINT,
-- columns: vip88_num BIGINT, vip88_den BIGINT
-- source: docs/gain.md §The 12 indicators (siyu's exact rules for the 12 values at snapshot T, all PROP)
WITH p AS (SELECT CAST($as_of AS DATE) AS t),
purch AS (   -- purchases up to T: local date, spend net of refunds
    SELECT o.order_id, o.user_id, o.paid_at, CAST(o.paid_at AS DATE) AS d, o.channel,
           CAST(o.amount - coalesce(o.refund_amount, 0) AS DOUBLE) AS spend
    FROM orders o, p
    WHERE coalesce(o.refund_amount, 0) < o.amount AND CAST(o.paid_at AS DATE) <= p.t
),
pdays AS (   -- purchase days with the previous purchase day of the same user
    SELECT user_id, d, lag(d) OVER (PARTITION BY user_id ORDER BY d) AS prev_d
    FROM (SELECT DISTINCT user_id, d FROM purch)
),
new_w30 AS (  -- new buyers in W30: earliest purchase day d0 in the window, none in d0-365 .. d0-1
    SELECT user_id, d AS d0 FROM pdays, p
    WHERE d BETWEEN t - 29 AND t AND (prev_d IS NULL OR (prev_d < t - 29 AND prev_d < d - CAST($new_cust_lookback_days AS INTEGER)))
),
new_w90 AS (
    SELECT user_id FROM pdays, p
    WHERE d BETWEEN t - 89 AND t AND (prev_d IS NULL OR (prev_d < t - 89 AND prev_d < d - CAST($new_cust_lookback_days AS INTEGER)))
),
new_w90_ly AS (  -- the same 90 days a year earlier: T-454 .. T-365
    SELECT user_id FROM pdays, p
    WHERE d BETWEEN t - 454 AND t - 365
      AND (prev_d IS NULL OR (prev_d < t - 454 AND prev_d < d - CAST($new_cust_lookback_days AS INTEGER)))
),
g1_hit AS (   -- brand-keyword search or a direct-entry event in [d0-14, d0]
    SELECT DISTINCT n.user_id FROM new_w30 n JOIN events e ON e.user_id = n.user_id
    WHERE CAST(e.ts AS DATE) BETWEEN n.d0 - 14 AND n.d0
      AND ((e.type = 'search' AND e.keyword_type = 'brand') OR e.channel = 'direct')
),
recent AS (SELECT DISTINCT user_id FROM purch, p WHERE d BETWEEN t - 89 AND t),
base_spend AS (  -- buyers of the base window T-454 .. T-90 and their spend there
    SELECT user_id, sum(spend) AS spend FROM purch, p WHERE d BETWEEN t - 454 AND t - 90 GROUP BY user_id
),
thr AS (
    SELECT quantile_cont(spend, CAST($high_value_pct AS DOUBLE)) AS p_high,
           quantile_cont(spend, CAST($mid_low AS DOUBLE)) AS p_low,
           quantile_cont(spend, CAST($mid_high AS DOUBLE)) AS p_mid_high
    FROM base_spend
),
crowd AS (    -- platform mode: crowds imported as tags
    SELECT user_id, string_split(coalesce(tags, ''), ';') AS tag_list FROM users
),
base_a1 AS (
    SELECT user_id FROM base_spend, thr WHERE $audience_mode = 'internal' AND spend >= p_high
    UNION ALL SELECT user_id FROM crowd WHERE $audience_mode = 'platform' AND list_contains(tag_list, $crowd_a1)
),
base_a2 AS (
    SELECT user_id FROM base_spend, thr WHERE $audience_mode = 'internal' AND spend >= p_low AND spend < p_mid_high
    UNION ALL SELECT user_id FROM crowd WHERE $audience_mode = 'platform' AND list_contains(tag_list, $crowd_a2)
),
base_a3 AS (
    SELECT user_id FROM _stage90 WHERE $audience_mode = 'internal' AND stage = 'I'
    UNION ALL SELECT user_id FROM crowd WHERE $audience_mode = 'platform' AND list_contains(tag_list, $crowd_a3)
),
members AS (
    SELECT DISTINCT user_id FROM memberships, p
    WHERE CAST(joined_at AS DATE) <= t AND (left_at IS NULL OR CAST(left_at AS DATE) > t)
),
buyer_365 AS (
    SELECT user_id, count(DISTINCT d) AS pdays FROM purch, p WHERE d > t - 365 GROUP BY user_id
),
first_purchase AS (SELECT user_id, min(d) AS d_first FROM purch GROUP BY user_id),
old_customers AS (
    SELECT b.user_id FROM buyer_365 b JOIN first_purchase f USING (user_id), p WHERE f.d_first < t - 364
),
engaged AS (   -- I2: add_cart / favorite / benefit_claim or a purchase in W30
    SELECT DISTINCT user_id FROM events, p
    WHERE CAST(ts AS DATE) BETWEEN t - 29 AND t AND type IN ('add_cart', 'favorite', 'benefit_claim')
    UNION SELECT DISTINCT user_id FROM purch, p WHERE d BETWEEN t - 29 AND t
),
reached AS (   -- I3: a delivered / opened / clicked message in W(reach_days)
    SELECT DISTINCT user_id FROM reach_log, p
    WHERE CAST(ts AS DATE) BETWEEN t - CAST($reach_days AS INTEGER) + 1 AND t
      AND status IN ('delivered', 'opened', 'clicked')
),
member_buyers AS (SELECT b.* FROM buyer_365 b SEMI JOIN members m ON m.user_id = b.user_id),
member_lines AS (  -- order lines of members' purchases in W365, with category / brand and launch date
    SELECT pu.user_id, pu.d,
           CASE WHEN $crossbuy_dimension = 'brand' THEN pr.brand
                WHEN $category_level = 'l1' THEN pr.category_l1 ELSE pr.category_leaf END AS cat,
           pr.launch_date
    FROM purch pu JOIN order_items oi USING (order_id) JOIN products pr ON pr.sku = oi.sku, p
    WHERE pu.d > p.t - 365 AND pu.user_id IN (SELECT user_id FROM member_buyers)
),
member_cross AS (
    SELECT user_id,
           count(DISTINCT cat) AS cats,
           bool_or(date_diff('day', launch_date, d) BETWEEN 0 AND CAST($new_product_days AS INTEGER) - 1) AS bought_new
    FROM member_lines GROUP BY user_id
)
SELECT
    (SELECT count(*) FROM g1_hit) AS g1_num,
    (SELECT count(*) FROM new_w30) AS g1_den,
    (SELECT count(*) FROM new_w90) AS g2_num,
    (SELECT count(*) FROM (SELECT DISTINCT user_id FROM purch, p WHERE d BETWEEN t - 89 AND t)) AS g2_den,
    (SELECT count(*) FROM new_w90) AS g3_num,
    (SELECT count(*) FROM new_w90_ly) AS g3_den,
    (SELECT count(*) FROM (SELECT DISTINCT user_id FROM base_a1) b SEMI JOIN recent r USING (user_id)) AS a1_num,
    (SELECT count(DISTINCT user_id) FROM base_a1) AS a1_den,
    (SELECT count(*) FROM (SELECT DISTINCT user_id FROM base_a2) b SEMI JOIN recent r USING (user_id)) AS a2_num,
    (SELECT count(DISTINCT user_id) FROM base_a2) AS a2_den,
    (SELECT count(*) FROM (SELECT DISTINCT user_id FROM base_a3) b SEMI JOIN recent r USING (user_id)) AS a3_num,
    (SELECT count(DISTINCT user_id) FROM base_a3) AS a3_den,
    (SELECT count(*) FROM old_customers o SEMI JOIN members m USING (user_id)) AS i1_num,
    (SELECT count(*) FROM old_customers) AS i1_den,
    (SELECT count(*) FROM members m SEMI JOIN engaged e USING (user_id)) AS i2_num,
    (SELECT count(*) FROM members) AS i2_den,
    (SELECT count(*) FROM members m SEMI JOIN reached r USING (user_id)) AS i3_num,
    (SELECT count(*) FROM members) AS i3_den,
    (SELECT count(*) FROM member_buyers WHERE pdays >= 2) AS n1_num,
    (SELECT count(*) FROM member_buyers) AS n1_den,
    (SELECT count(*) FROM member_cross WHERE cats >= 2) AS n2_num,
    (SELECT count(*) FROM member_buyers) AS n2_den,
    (SELECT count(*) FROM member_cross WHERE bought_new) AS n3_num,
    (SELECT count(*) FROM member_buyers) AS n3_den,
    (SELECT count(*) FROM recent r JOIN users u USING (user_id) WHERE u.is_88vip) AS vip88_num,
    (SELECT count(*) FROM recent) AS vip88_den
