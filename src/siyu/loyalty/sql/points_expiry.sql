-- name: points_expiry
-- engines: duckdb (reads the points ledger stored in the workspace file)
-- grain: one row per lot expired by $as_of whose expiry entries differ from what it held at its expiry date, of
-- grain: users without redemptions or negative adjustments dated ≤ $as_of (the others go through the FIFO pass)
-- params: as_of
-- columns: entry_id VARCHAR, user_id VARCHAR, date DATE, kind VARCHAR, points BIGINT, qualifying BIGINT,
-- columns: source_id VARCHAR, reason VARCHAR, expires_on DATE
-- source: docs/loyalty-points.md §Expiry. A lot is an order's earn, refund and correction entries (keyed by the
-- source: order id) or a positive adjustment (keyed by its entry id); it expires on its expires_on. Without
-- source: negative movements nothing is taken from a lot, so what it holds at expiry is its sum (at least 0). The
-- source: expiry entries of a lot always sum to minus that: the first is 'expire:<lot>', a later difference
-- source: 'expire:<lot>:<n>' (n the lot's expiry entries so far).
WITH led AS (
    SELECT * FROM points_ledger WHERE date <= $as_of
), fifo AS (
    SELECT DISTINCT user_id FROM led WHERE kind = 'redeem' OR (kind = 'adjust' AND points < 0)
), lots AS (
    SELECT CASE WHEN kind = 'adjust' THEN entry_id ELSE source_id END AS lot, any_value(user_id) AS user_id,
           min(expires_on) AS expires_on, sum(points) AS points
    FROM led
    WHERE kind IN ('earn', 'refund', 'correction') OR (kind = 'adjust' AND points > 0)
    GROUP BY 1
), done AS (
    SELECT source_id AS lot, sum(points) AS points, count(*) AS n
    FROM points_ledger
    WHERE kind = 'expire'
    GROUP BY source_id
), delta AS (
    SELECT l.lot, l.user_id, l.expires_on, d.n, -greatest(l.points, 0) - coalesce(d.points, 0) AS dp
    FROM lots l
    LEFT JOIN done d ON d.lot = l.lot
    WHERE l.expires_on <= $as_of AND l.user_id NOT IN (SELECT user_id FROM fifo)
)
SELECT CASE WHEN n IS NULL THEN 'expire:' || lot ELSE 'expire:' || lot || ':' || n END AS entry_id, user_id,
       expires_on AS date, 'expire' AS kind, dp::BIGINT AS points, 0::BIGINT AS qualifying, lot AS source_id,
       CASE WHEN n IS NULL THEN 'expired' ELSE 'expiry_resettled' END AS reason, NULL::DATE AS expires_on
FROM delta
WHERE dp <> 0
ORDER BY date, user_id, source_id
