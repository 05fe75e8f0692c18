-- name: loyalty_points_at
-- engines: duckdb (the points ledger is stored in the workspace file)
-- grain: one row per user with points ledger entries on or before $as_of
-- params: as_of
-- columns: user_id VARCHAR, points_balance DOUBLE
-- source: docs/loyalty-points.md: a balance is the sum of the ledger's points dated on or before the date
SELECT user_id, CAST(sum(points) AS DOUBLE) AS points_balance
FROM points_ledger
WHERE date <= CAST($as_of AS DATE)
GROUP BY user_id
