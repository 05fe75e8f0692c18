-- name: points_fifo
-- engines: duckdb (reads the points ledger stored in the workspace file)
-- grain: one row per lot and per negative movement (redeem, negative adjust) dated ≤ $as_of of the users with at
-- grain: least one such movement (when $users is NULL) or of the users in the list $users, by user then date
-- params: as_of, users
-- columns: user_id VARCHAR, role VARCHAR, key VARCHAR, date DATE, expires_on DATE, points BIGINT, expired BIGINT,
-- columns: n_expired BIGINT
-- source: docs/loyalty-points.md §Expiry: the input of the first-expiring-first pass. role 'lot': key the lot
-- source: (order id, or the entry id of a positive adjustment), date its first entry's, points its sum, expired
-- source: and n_expired the sum and count of its expiry entries so far; a movement has its kind as role ('redeem'
-- source: or 'adjust'), key its entry id and points what it takes (> 0).
WITH led AS (
    SELECT * FROM points_ledger WHERE date <= $as_of
), users AS (
    SELECT DISTINCT user_id FROM led WHERE $users IS NULL AND (kind = 'redeem' OR (kind = 'adjust' AND points < 0))
    UNION
    SELECT unnest($users::VARCHAR[]) AS user_id
), done AS (
    SELECT source_id AS lot, sum(points) AS points, count(*) AS n
    FROM points_ledger
    WHERE kind = 'expire'
    GROUP BY source_id
), lots AS (
    SELECT CASE WHEN kind = 'adjust' THEN entry_id ELSE source_id END AS lot, any_value(user_id) AS user_id,
           min(date) AS date, min(expires_on) AS expires_on, sum(points) AS points
    FROM led
    WHERE (kind IN ('earn', 'refund', 'correction') OR (kind = 'adjust' AND points > 0))
      AND user_id IN (SELECT user_id FROM users)
    GROUP BY 1
)
SELECT l.user_id, 'lot' AS role, l.lot AS key, l.date, l.expires_on, l.points::BIGINT AS points,
       coalesce(d.points, 0)::BIGINT AS expired, coalesce(d.n, 0)::BIGINT AS n_expired
FROM lots l
LEFT JOIN done d ON d.lot = l.lot
UNION ALL
SELECT user_id, kind AS role, entry_id AS key, date, NULL::DATE AS expires_on, (-points)::BIGINT AS points,
       0::BIGINT AS expired, 0::BIGINT AS n_expired
FROM led
WHERE (kind = 'redeem' OR (kind = 'adjust' AND points < 0)) AND user_id IN (SELECT user_id FROM users)
ORDER BY user_id, date, role, key
