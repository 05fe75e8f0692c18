-- name: quote_tiers
-- engines: duckdb (tier changes are stored by siyu loyalty run in the workspace file)
-- grain: one row per stored tier change, per user in the order they happened: by date, and within a day in the
--   order of tier_changes_list (left, review, upgrade); a user's tier on day d is the to_tier of the last row dated
--   on or before d (NULL: below the first tier, or left)
-- params:
-- columns: user_id VARCHAR, date DATE, to_tier VARCHAR
-- source: docs/offers.md §The quote, step 1
SELECT user_id, date, to_tier
FROM tier_changes
ORDER BY user_id, date, CASE reason WHEN 'left' THEN 0 WHEN 'review' THEN 1 ELSE 2 END
