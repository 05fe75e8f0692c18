-- name: tier_changes_list
-- engines: duckdb (tier changes are stored by siyu loyalty run in the workspace file)
-- grain: one row per stored tier change with $date_from <= date <= $date_to (of user $user when given)
-- params: date_from, date_to, user
-- columns: user_id VARCHAR, date DATE, from_tier VARCHAR, to_tier VARCHAR, reason VARCHAR
-- source: docs/loyalty.md §Tier changes
SELECT user_id, date, from_tier, to_tier, reason
FROM tier_changes
WHERE date BETWEEN $date_from AND $date_to AND ($user IS NULL OR user_id = $user)
ORDER BY date, user_id, CASE reason WHEN 'left' THEN 0 WHEN 'review' THEN 1 ELSE 2 END
