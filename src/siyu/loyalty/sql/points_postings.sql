-- name: points_postings
-- engines: duckdb (compares with the points ledger and reads the tier changes stored in the workspace file)
-- grain: one row per order paid up to $as_of whose target points differ from what the ledger holds for it: the
-- grain: entry that makes the ledger match (earn, refund or correction)
-- params: as_of, points_per_yuan, tiers, multipliers, expire
-- columns: entry_id VARCHAR, user_id VARCHAR, date DATE, kind VARCHAR, points BIGINT, qualifying BIGINT,
-- columns: source_id VARCHAR, reason VARCHAR, expires_on DATE
-- source: docs/loyalty-points.md §Earning and §Postings. An order earns when it is a purchase (refund_amount <
-- source: amount) paid (local date p) on a day its user is a member: qualifying = floor(net × $points_per_yuan),
-- source: points = floor(net × $points_per_yuan × the multiplier of the tier held on p), where the tier on p is
-- source: the to_tier of the user's last tier change dated ≤ p (on one day: left, review, upgrade) and the
-- source: multiplier is $multipliers at the tier's position in $tiers (1 without a tier). Otherwise the target is
-- source: 0. The first entry of an order is 'earn:<order>'; later differences are '<kind>:<order>:<n>', n the
-- source: order's entries so far. $expire is 'end_of_next_year', 'never' or a number of days.
WITH ord AS (
    SELECT order_id, user_id, paid_at::DATE AS p, amount - refund_amount AS net, refund_amount < amount AS purchase
    FROM orders
    WHERE paid_at::DATE <= $as_of
), member AS (
    SELECT DISTINCT o.order_id
    FROM ord o
    JOIN memberships m ON m.user_id = o.user_id AND m.joined_at::DATE <= o.p
                      AND (m.left_at IS NULL OR m.left_at::DATE > o.p)
    WHERE o.purchase
), tier_day AS (
    SELECT user_id, date, to_tier
    FROM tier_changes
    QUALIFY row_number() OVER (PARTITION BY user_id, date
                               ORDER BY CASE reason WHEN 'left' THEN 0 WHEN 'review' THEN 1 ELSE 2 END DESC) = 1
), rated AS (
    SELECT o.order_id, o.user_id, o.p, o.net, o.purchase, m.order_id IS NOT NULL AS member,
           coalesce($multipliers[list_position($tiers, t.to_tier)], 1.0) AS multiplier
    FROM ord o
    LEFT JOIN member m ON m.order_id = o.order_id
    ASOF LEFT JOIN tier_day t ON t.user_id = o.user_id AND o.p >= t.date
), target AS (
    SELECT order_id, user_id, p, purchase, member,
           CASE WHEN member THEN CAST(floor(net * $points_per_yuan * multiplier + 1e-9) AS BIGINT) ELSE 0 END
               AS points,
           CASE WHEN member THEN CAST(floor(net * $points_per_yuan + 1e-9) AS BIGINT) ELSE 0 END AS qualifying
    FROM rated
), held AS (
    SELECT source_id, any_value(user_id) AS user_id, min(date) AS p, sum(points) AS points,
           sum(qualifying) AS qualifying, count(*) AS n
    FROM points_ledger
    WHERE kind IN ('earn', 'refund', 'correction')
    GROUP BY source_id
), delta AS (
    SELECT coalesce(t.order_id, h.source_id) AS source_id, coalesce(t.user_id, h.user_id) AS user_id,
           coalesce(t.p, h.p) AS d, h.n,
           coalesce(t.points, 0) - coalesce(h.points, 0) AS dp,
           coalesce(t.qualifying, 0) - coalesce(h.qualifying, 0) AS dq,
           CASE WHEN t.order_id IS NULL THEN 'order_removed'
                WHEN NOT t.purchase THEN 'fully_refunded'
                WHEN NOT t.member THEN 'not_member'
                WHEN h.n IS NULL OR (h.points = 0 AND h.qualifying = 0) THEN 'purchase'
                WHEN coalesce(t.qualifying, 0) <> coalesce(h.qualifying, 0) THEN 'net_changed'
                ELSE 'rerated' END AS reason
    FROM target t
    FULL OUTER JOIN held h ON h.source_id = t.order_id
    WHERE t.order_id IS NOT NULL
       OR (h.p <= $as_of AND h.source_id NOT IN (SELECT order_id FROM orders))
), kinds AS (
    SELECT *, CASE WHEN n IS NULL THEN 'earn' WHEN dp < 0 OR (dp = 0 AND dq < 0) THEN 'refund'
                   ELSE 'correction' END AS kind
    FROM delta
    WHERE dp <> 0 OR dq <> 0
)
SELECT CASE WHEN kind = 'earn' THEN 'earn:' || source_id ELSE kind || ':' || source_id || ':' || n END AS entry_id,
       user_id, d AS date, kind, dp::BIGINT AS points, dq::BIGINT AS qualifying, source_id, reason,
       CASE WHEN $expire = 'never' THEN NULL
            WHEN $expire = 'end_of_next_year' THEN make_date(year(d) + 2, 1, 1)
            ELSE d + TRY_CAST($expire AS INTEGER) END AS expires_on
FROM kinds
ORDER BY date, user_id, source_id
