-- name: user_features
-- grain: one row per user in the universe (every user id in any table) at snapshot $as_of
-- params: as_of, event_days, short_days, a_days, i_days, p_days, l_days, l_min_purchase_days, l_include_positive_review,
-- params: ad_click_stage, member_active_days, rfm_days, new_cust_lookback_days, tier_order
-- columns: user_id VARCHAR, pdays_l BIGINT, buys_l BOOLEAN, pos_review_l BOOLEAN, buys_p BOOLEAN, i_action BOOLEAN,
-- columns: any_event_a BOOLEAN, pdays_365 BIGINT, spend_365 DOUBLE, last_purchase DATE, last_activity DATE,
-- columns: bought_lapsed BOOLEAN, new_in_30 BOOLEAN, high_intent BOOLEAN, member_engaged BOOLEAN, any_event_365 BOOLEAN,
-- columns: pdays_rfm BIGINT, spend_rfm DOUBLE, last_purchase_rfm DATE, is_fan BOOLEAN, is_member BOOLEAN, tier_rank INTEGER,
-- columns: is_88vip BOOLEAN, stage VARCHAR
-- source: docs/customer-assets.md §Conventions, §AIPL, §FAST, §Relationship pools, §UCMV; docs/data.md §Purchases
-- Dates are local calendar dates; W(N) at T = T-N+1 .. T; nothing after T is used.
WITH params AS (
    SELECT CAST($as_of AS DATE) AS t
),
universe AS (
    SELECT user_id FROM users UNION SELECT user_id FROM orders UNION SELECT user_id FROM events
    UNION SELECT user_id FROM follows UNION SELECT user_id FROM memberships UNION SELECT user_id FROM reach_log
),
purchase_days AS (   -- distinct purchase days with the spend of that day, up to T
    SELECT o.user_id, CAST(o.paid_at AS DATE) AS d, sum(o.amount - coalesce(o.refund_amount, 0)) AS spend
    FROM orders o, params
    WHERE coalesce(o.refund_amount, 0) < o.amount AND CAST(o.paid_at AS DATE) <= params.t
    GROUP BY ALL
),
purchase_days_lag AS (
    SELECT *, lag(d) OVER (PARTITION BY user_id ORDER BY d) AS prev_d FROM purchase_days
),
buys AS (
    SELECT user_id,
        count(*) FILTER (WHERE d > t - CAST($l_days AS INTEGER)) AS pdays_l,
        bool_or(d > t - CAST($p_days AS INTEGER)) AS buys_p,
        count(*) FILTER (WHERE d > t - 365) AS pdays_365,
        coalesce(sum(spend) FILTER (WHERE d > t - 365), 0)::DOUBLE AS spend_365,
        max(d) AS last_purchase,
        bool_or(d BETWEEN t - 729 AND t - 365) AS bought_lapsed,
        -- new buyer in W30: the earliest purchase day in W30 (the one whose previous purchase day lies before
        -- W30) has no purchase in the lookback before it
        bool_or(d > t - 30 AND (prev_d IS NULL
                                OR (prev_d <= t - 30 AND prev_d < d - CAST($new_cust_lookback_days AS INTEGER))))
            AS new_in_30,
        bool_or(d > t - CAST($member_active_days AS INTEGER)) AS bought_member_active,
        count(*) FILTER (WHERE d > t - CAST($rfm_days AS INTEGER)) AS pdays_rfm,
        coalesce(sum(spend) FILTER (WHERE d > t - CAST($rfm_days AS INTEGER)), 0)::DOUBLE AS spend_rfm
    FROM purchase_days_lag, params
    GROUP BY user_id
),
ev AS (        -- events of the widest window in use, as local dates
    SELECT e.user_id, CAST(e.ts AS DATE) AS d, e.type, e.keyword_type, e.rating
    FROM events e, params
    WHERE CAST(e.ts AS DATE) BETWEEN params.t - CAST($event_days AS INTEGER) + 1 AND params.t
),
acts_long AS ( -- cheap aggregates over the long windows
    SELECT user_id,
        max(d) FILTER (WHERE type <> 'impression') AS last_event_activity,
        bool_or(d > t - CAST($l_days AS INTEGER) AND type = 'review' AND rating >= 4) AS pos_review_l,
        bool_or(d > t - 365) AS any_event_365
    FROM ev, params
    GROUP BY user_id
),
acts_short AS ( -- the detailed flags only need the short windows (A, I, member activity)
    SELECT user_id,
        bool_or(d > t - CAST($i_days AS INTEGER) AND (
            type IN ('add_cart', 'favorite', 'coupon_claim', 'trial_claim', 'benefit_claim', 'content_interaction',
                     'share', 'link_click')
            OR (type = 'search' AND keyword_type = 'brand')
            OR (type = 'ad_click' AND $ad_click_stage = 'I'))) AS i_event,
        count(DISTINCT d) FILTER (WHERE d > t - CAST($i_days AS INTEGER) AND type = 'visit') AS visit_days_i,
        count(*) FILTER (WHERE d > t - CAST($i_days AS INTEGER) AND type = 'pdp_view') AS pdp_i,
        bool_or(d > t - CAST($a_days AS INTEGER)) AS any_event_a,
        bool_or(d > t - CAST($i_days AS INTEGER) AND type IN ('add_cart', 'favorite')) AS high_intent,
        bool_or(d > t - CAST($member_active_days AS INTEGER) AND type IN ('add_cart', 'favorite', 'benefit_claim'))
            AS member_event_active
    FROM ev, params
    WHERE d > t - CAST($short_days AS INTEGER)
    GROUP BY user_id
),
acts AS (
    SELECT * FROM acts_long LEFT JOIN acts_short USING (user_id)
),
fol AS (
    SELECT user_id,
        bool_or(CAST(followed_at AS DATE) <= t AND (unfollowed_at IS NULL OR CAST(unfollowed_at AS DATE) > t)) AS is_fan,
        bool_or(CAST(followed_at AS DATE) BETWEEN t - CAST($i_days AS INTEGER) + 1 AND t) AS followed_i
    FROM follows, params
    GROUP BY user_id
),
mem AS (
    SELECT user_id,
        bool_or(CAST(joined_at AS DATE) <= t AND (left_at IS NULL OR CAST(left_at AS DATE) > t)) AS is_member,
        bool_or(CAST(joined_at AS DATE) BETWEEN t - CAST($i_days AS INTEGER) + 1 AND t) AS joined_i,
        -- the highest tier of tier_order held in any active spell (several authorised stores)
        max(list_position($tier_order, tier)) FILTER (WHERE CAST(joined_at AS DATE) <= t
                                          AND (left_at IS NULL OR CAST(left_at AS DATE) > t)) AS tier_rank
    FROM memberships, params
    GROUP BY user_id
)
SELECT *,
    -- AIPL stage: L -> P -> I -> A, first match wins (docs/customer-assets.md §AIPL)
    CASE WHEN pdays_l >= CAST($l_min_purchase_days AS INTEGER)
              OR (CAST($l_include_positive_review AS BOOLEAN) AND buys_l AND pos_review_l) THEN 'L'
         WHEN buys_p THEN 'P'
         WHEN i_action THEN 'I'
         WHEN any_event_a THEN 'A'
         ELSE 'none' END AS stage
FROM (
SELECT
    u.user_id,
    coalesce(b.pdays_l, 0) AS pdays_l,
    coalesce(b.pdays_l, 0) > 0 AS buys_l,
    coalesce(a.pos_review_l, false) AS pos_review_l,
    coalesce(b.buys_p, false) AS buys_p,
    coalesce(a.i_event, false) OR coalesce(a.visit_days_i, 0) >= 2 OR coalesce(a.pdp_i, 0) >= 2
        OR coalesce(f.followed_i, false) OR coalesce(m.joined_i, false) AS i_action,
    coalesce(a.any_event_a, false) AS any_event_a,
    coalesce(b.pdays_365, 0) AS pdays_365,
    coalesce(b.spend_365, 0) AS spend_365,
    b.last_purchase,
    greatest(a.last_event_activity, b.last_purchase) AS last_activity,
    coalesce(b.bought_lapsed, false) AS bought_lapsed,
    coalesce(b.new_in_30, false) AS new_in_30,
    coalesce(a.high_intent, false) AS high_intent,
    coalesce(a.member_event_active, false) OR coalesce(b.bought_member_active, false) AS member_engaged,
    coalesce(a.any_event_365, false) AS any_event_365,
    coalesce(b.pdays_rfm, 0) AS pdays_rfm,
    coalesce(b.spend_rfm, 0) AS spend_rfm,
    CASE WHEN coalesce(b.pdays_rfm, 0) > 0 THEN b.last_purchase END AS last_purchase_rfm,
    coalesce(f.is_fan, false) AS is_fan,
    coalesce(m.is_member, false) AS is_member,
    CASE WHEN coalesce(m.is_member, false) THEN m.tier_rank END AS tier_rank,
    coalesce(us.is_88vip, false) AS is_88vip
FROM universe u
LEFT JOIN buys b USING (user_id)
LEFT JOIN acts a USING (user_id)
LEFT JOIN fol f USING (user_id)
LEFT JOIN mem m USING (user_id)
LEFT JOIN users us USING (user_id)
)
