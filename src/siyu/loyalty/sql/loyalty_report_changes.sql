-- name: loyalty_report_changes
-- engines: duckdb (tier changes are stored by siyu loyalty run in the workspace file)
-- grain: one row per calendar month and reason with at least one stored tier change in [$date_from, $date_to]
-- params: date_from, date_to
-- columns: month DATE, reason VARCHAR, changes BIGINT
-- source: docs/loyalty.md §Tier changes: each stored change counts once, in the month of its date, under its
-- source: reason (upgrade, review, left)
SELECT date_trunc('month', date)::DATE AS month, reason, count(*) AS changes
FROM tier_changes
WHERE date BETWEEN $date_from AND $date_to
GROUP BY 1, 2
ORDER BY 1, CASE reason WHEN 'upgrade' THEN 0 WHEN 'review' THEN 1 ELSE 2 END
