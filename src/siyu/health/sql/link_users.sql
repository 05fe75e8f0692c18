-- name: link_users
-- grain: one row per user who at snapshot $as_of is a relationship user or in the 大盘 (any event or purchase in W365)
-- params: as_of, days, reach_days
-- columns: user_id VARCHAR, is_fan BOOLEAN, is_member BOOLEAN, is_old_customer BOOLEAN, is_relationship BOOLEAN,
-- columns: in_all BOOLEAN, visits BIGINT, pdp_views BIGINT, duration_sum DOUBLE, duration_n BIGINT,
-- columns: is_new_visitor BOOLEAN, reached BOOLEAN, buyer_window BOOLEAN, orders_365 BIGINT, pdays_365 BIGINT,
-- columns: gmv_365 DOUBLE, rel_buyer_window BOOLEAN, rel_orders_365 BIGINT, rel_pdays_365 BIGINT, rel_gmv_365 DOUBLE
-- source: docs/gain.md §LINK+ (LINK+ step metrics, relationship user = fan ∪ member ∪ old customer, PROP); docs/data.md §Purchases (purchases,
-- source: purchase days); docs/customer-assets.md (local dates, W(N), active follow / membership at a date)
-- W(days) = as_of - days + 1 .. as_of (the LINK+ window, 30), W365 likewise; nothing after as_of is used.
-- visits, pdp_views, duration_* count the user's events in W(days) (duration over visits with a duration_s);
-- is_new_visitor (NULL without a visit in W(days)): no visit in the 365 days before the first visit in W(days).
-- reached: a reach_log row with status delivered / opened / clicked in W(reach_days).
-- rel_*: the user's purchases made as a relationship user: on the purchase day d an active fan or member, or with a
-- purchase day in d - 365 .. d - 1 (an old customer before that day).
WITH p AS (
    SELECT CAST($as_of AS DATE) AS t, CAST($days AS INTEGER) AS n, CAST($reach_days AS INTEGER) AS rn
),
fans AS (
    SELECT DISTINCT f.user_id FROM follows f, p
    WHERE CAST(f.followed_at AS DATE) <= p.t AND (f.unfollowed_at IS NULL OR CAST(f.unfollowed_at AS DATE) > p.t)
),
members AS (
    SELECT DISTINCT m.user_id FROM memberships m, p
    WHERE CAST(m.joined_at AS DATE) <= p.t AND (m.left_at IS NULL OR CAST(m.left_at AS DATE) > p.t)
),
purchases AS (   -- W365 and the 365 days before it (for the old-customer status of each purchase day)
    SELECT o.user_id, CAST(o.paid_at AS DATE) AS d, CAST(o.amount - coalesce(o.refund_amount, 0) AS DOUBLE) AS gmv
    FROM orders o, p
    WHERE coalesce(o.refund_amount, 0) < o.amount AND CAST(o.paid_at AS DATE) BETWEEN p.t - 729 AND p.t
),
pdays AS (       -- each purchase day in W365 and whether the buyer was a relationship user on it
    SELECT l.user_id, l.d,
           coalesce(l.prev_d >= l.d - 365, false)
           OR EXISTS (SELECT 1 FROM follows f
                      WHERE f.user_id = l.user_id AND CAST(f.followed_at AS DATE) <= l.d
                        AND (f.unfollowed_at IS NULL OR CAST(f.unfollowed_at AS DATE) > l.d))
           OR EXISTS (SELECT 1 FROM memberships m
                      WHERE m.user_id = l.user_id AND CAST(m.joined_at AS DATE) <= l.d
                        AND (m.left_at IS NULL OR CAST(m.left_at AS DATE) > l.d)) AS rel
    FROM (SELECT user_id, d, lag(d) OVER (PARTITION BY user_id ORDER BY d) AS prev_d
          FROM (SELECT DISTINCT user_id, d FROM purchases)) l, p
    WHERE l.d > p.t - 365
),
buys AS (
    SELECT u.user_id,
           bool_or(u.d > p.t - p.n) AS buyer_window,
           count(*) AS orders_365,
           count(DISTINCT u.d) AS pdays_365,
           sum(u.gmv) AS gmv_365,
           coalesce(bool_or(u.d > p.t - p.n AND s.rel), false) AS rel_buyer_window,
           count(*) FILTER (WHERE s.rel) AS rel_orders_365,
           count(DISTINCT u.d) FILTER (WHERE s.rel) AS rel_pdays_365,
           coalesce(sum(u.gmv) FILTER (WHERE s.rel), 0) AS rel_gmv_365
    FROM purchases u JOIN pdays s USING (user_id, d), p
    GROUP BY u.user_id
),
acts AS (        -- events of W365 and the visits of the new-visitor lookback before W(days)
    SELECT e.user_id,
           bool_or(CAST(e.ts AS DATE) > p.t - 365) AS any_event_365,
           count(*) FILTER (WHERE e.type = 'visit' AND CAST(e.ts AS DATE) > p.t - p.n) AS visits,
           count(*) FILTER (WHERE e.type = 'pdp_view' AND CAST(e.ts AS DATE) > p.t - p.n) AS pdp_views,
           coalesce(sum(e.duration_s) FILTER (WHERE e.type = 'visit' AND CAST(e.ts AS DATE) > p.t - p.n), 0)
               AS duration_sum,
           count(e.duration_s) FILTER (WHERE e.type = 'visit' AND CAST(e.ts AS DATE) > p.t - p.n) AS duration_n,
           min(CAST(e.ts AS DATE)) FILTER (WHERE e.type = 'visit' AND CAST(e.ts AS DATE) > p.t - p.n) AS first_visit,
           max(CAST(e.ts AS DATE)) FILTER (WHERE e.type = 'visit' AND CAST(e.ts AS DATE) <= p.t - p.n) AS prev_visit
    FROM events e, p
    WHERE CAST(e.ts AS DATE) BETWEEN p.t - p.n - 364 AND p.t
    GROUP BY e.user_id
),
reached AS (
    SELECT DISTINCT r.user_id FROM reach_log r, p
    WHERE r.status IN ('delivered', 'opened', 'clicked') AND CAST(r.ts AS DATE) BETWEEN p.t - p.rn + 1 AND p.t
),
people AS (
    SELECT user_id FROM fans UNION SELECT user_id FROM members UNION SELECT user_id FROM buys
    UNION SELECT user_id FROM acts WHERE any_event_365
)
SELECT x.user_id,
       f.user_id IS NOT NULL AS is_fan,
       m.user_id IS NOT NULL AS is_member,
       b.user_id IS NOT NULL AS is_old_customer,
       f.user_id IS NOT NULL OR m.user_id IS NOT NULL OR b.user_id IS NOT NULL AS is_relationship,
       b.user_id IS NOT NULL OR coalesce(a.any_event_365, false) AS in_all,
       coalesce(a.visits, 0) AS visits,
       coalesce(a.pdp_views, 0) AS pdp_views,
       coalesce(a.duration_sum, 0)::DOUBLE AS duration_sum,
       coalesce(a.duration_n, 0) AS duration_n,
       CASE WHEN a.first_visit IS NOT NULL
            THEN a.prev_visit IS NULL OR a.prev_visit < a.first_visit - 365 END AS is_new_visitor,
       r.user_id IS NOT NULL AS reached,
       coalesce(b.buyer_window, false) AS buyer_window,
       coalesce(b.orders_365, 0) AS orders_365,
       coalesce(b.pdays_365, 0) AS pdays_365,
       coalesce(b.gmv_365, 0)::DOUBLE AS gmv_365,
       coalesce(b.rel_buyer_window, false) AS rel_buyer_window,
       coalesce(b.rel_orders_365, 0) AS rel_orders_365,
       coalesce(b.rel_pdays_365, 0) AS rel_pdays_365,
       coalesce(b.rel_gmv_365, 0)::DOUBLE AS rel_gmv_365
FROM people x
LEFT JOIN fans f USING (user_id)
LEFT JOIN members m USING (user_id)
LEFT JOIN buys b USING (user_id)
LEFT JOIN acts a USING (user_id)
LEFT JOIN reached r USING (user_id)
ORDER BY x.user_id
