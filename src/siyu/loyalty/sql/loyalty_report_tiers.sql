-- name: loyalty_report_tiers
-- engines: duckdb (tier changes are stored by siyu loyalty run in the workspace file)
-- grain: one row per tier held by at least one member at $as_of (NULL: members without a tier)
-- params: as_of
-- columns: tier VARCHAR, members BIGINT
-- source: docs/loyalty.md §Members: the members at $as_of by their tier, as in model loyalty_report_members (the
-- source: to_tier of each member's last stored tier change dated ≤ $as_of; on one day left, then review, then
-- source: upgrade)
WITH m AS (
    SELECT DISTINCT user_id
    FROM memberships
    WHERE joined_at::DATE <= $as_of AND (left_at IS NULL OR left_at::DATE > $as_of)
), last AS (
    SELECT user_id, to_tier,
           row_number() OVER (PARTITION BY user_id
                              ORDER BY date DESC,
                                       CASE reason WHEN 'left' THEN 0 WHEN 'review' THEN 1 ELSE 2 END DESC) AS rn
    FROM tier_changes
    WHERE date <= $as_of
)
SELECT l.to_tier AS tier, count(*) AS members
FROM m LEFT JOIN last l ON l.user_id = m.user_id AND l.rn = 1
GROUP BY l.to_tier
ORDER BY l.to_tier NULLS FIRST
