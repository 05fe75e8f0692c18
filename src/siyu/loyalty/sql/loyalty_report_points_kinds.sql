-- name: loyalty_report_points_kinds
-- engines: duckdb (the points ledger lives in the workspace file)
-- grain: one row per entry kind with at least one ledger entry dated ≤ $as_of
-- params: as_of
-- columns: kind VARCHAR, entries BIGINT, users BIGINT, points BIGINT
-- source: docs/loyalty-points.md: the ledger's entries up to $as_of by kind: how many, of how many users, and the
-- source: sum of their points (negative for what leaves the balances)
SELECT kind, count(*) AS entries, count(DISTINCT user_id) AS users, sum(points)::BIGINT AS points
FROM points_ledger
WHERE date <= $as_of
GROUP BY kind
ORDER BY kind
