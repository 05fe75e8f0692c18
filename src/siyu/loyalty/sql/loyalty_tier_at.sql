-- name: loyalty_tier_at
-- engines: duckdb (tier changes are stored by siyu loyalty run in the workspace file)
-- grain: one row per member at $as_of with a program tier (the audience field tier once a program has run)
-- params: as_of
-- columns: user_id VARCHAR, tier VARCHAR
-- source: docs/loyalty.md §Audiences: the to_tier of the user's last stored tier change on or before $as_of; NULL
-- source: tiers (below the first threshold, or after leaving) are not listed
SELECT user_id, to_tier AS tier
FROM (SELECT user_id, to_tier,
             row_number() OVER (PARTITION BY user_id ORDER BY date DESC, CASE reason WHEN 'left' THEN 0
                                WHEN 'review' THEN 1 ELSE 2 END DESC) AS rn
      FROM tier_changes WHERE date <= CAST($as_of AS DATE))
WHERE rn = 1 AND to_tier IS NOT NULL
