-- name: points_liability
-- engines: duckdb (reads the points ledger stored in the workspace file)
-- grain: one row: the points liability at $as_of
-- params: as_of, days
-- columns: points BIGINT, users BIGINT, expiring BIGINT, users_expiring BIGINT
-- source: docs/loyalty-points.md §Liability. A user's balance is the sum of their entries dated ≤ $as_of plus the
-- source: expiry entries a run at $as_of would still post (temp table _points_pending: user_id, points); points
-- source: sums the positive balances, users counts them. expiring: what the lots expiring in ($as_of, $as_of +
-- source: $days] still hold at $as_of — their sum for users without negative movements dated ≤ $as_of, what the
-- source: first-expiring-first pass left for the others (temp table _points_soon: user_id, points).
WITH led AS (
    SELECT * FROM points_ledger WHERE date <= $as_of
), bal AS (
    SELECT user_id, sum(points) AS points
    FROM (SELECT user_id, points FROM led UNION ALL SELECT user_id, points FROM _points_pending)
    GROUP BY user_id
), fifo AS (
    SELECT DISTINCT user_id FROM led WHERE kind = 'redeem' OR (kind = 'adjust' AND points < 0)
), lots AS (
    SELECT CASE WHEN kind = 'adjust' THEN entry_id ELSE source_id END AS lot, any_value(user_id) AS user_id,
           min(expires_on) AS expires_on, sum(points) AS points
    FROM led
    WHERE kind IN ('earn', 'refund', 'correction') OR (kind = 'adjust' AND points > 0)
    GROUP BY 1
), soon AS (
    SELECT user_id, greatest(points, 0) AS points
    FROM lots
    WHERE expires_on > $as_of AND expires_on <= $as_of + CAST($days AS INTEGER)
      AND user_id NOT IN (SELECT user_id FROM fifo)
    UNION ALL
    SELECT user_id, points FROM _points_soon
)
SELECT (SELECT coalesce(sum(points), 0) FROM bal WHERE points > 0)::BIGINT AS points,
       (SELECT count(*) FROM bal WHERE points > 0)::BIGINT AS users,
       (SELECT coalesce(sum(points), 0) FROM soon)::BIGINT AS expiring,
       (SELECT count(DISTINCT user_id) FROM soon WHERE points > 0)::BIGINT AS users_expiring
