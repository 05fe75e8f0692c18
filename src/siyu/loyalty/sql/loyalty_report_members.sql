-- name: loyalty_report_members
-- engines: duckdb (tier changes are stored by siyu loyalty run in the workspace file)
-- grain: one row per member at $as_of (of tier $tier only when given; '' for no tier), by user
-- params: as_of, tier
-- columns: user_id VARCHAR, tier VARCHAR, since DATE
-- source: docs/loyalty.md §Members: a member on day d has a membership row with joined ≤ d and (left empty or
-- source: left > d), in local dates. The tier at d is the to_tier of the user's last stored tier change dated ≤ d
-- source: (on one day: left, then review, then upgrade, as siyu loyalty run records them), none without one;
-- source: since is the date of the change that gave the tier (NULL without a tier)
WITH m AS (
    SELECT DISTINCT user_id
    FROM memberships
    WHERE joined_at::DATE <= $as_of AND (left_at IS NULL OR left_at::DATE > $as_of)
), last AS (
    SELECT user_id, to_tier, date,
           row_number() OVER (PARTITION BY user_id
                              ORDER BY date DESC,
                                       CASE reason WHEN 'left' THEN 0 WHEN 'review' THEN 1 ELSE 2 END DESC) AS rn
    FROM tier_changes
    WHERE date <= $as_of
), t AS (
    SELECT m.user_id, l.to_tier AS tier, CASE WHEN l.to_tier IS NULL THEN NULL ELSE l.date END AS since
    FROM m LEFT JOIN last l ON l.user_id = m.user_id AND l.rn = 1
)
SELECT user_id, tier, since
FROM t
WHERE $tier IS NULL OR coalesce(tier, '') = $tier
ORDER BY user_id
