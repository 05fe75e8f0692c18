-- name: membership_tier_at
-- grain: one row per member at $as_of with a tier as loaded (the audience field tier before any program has run)
-- params: as_of
-- columns: user_id VARCHAR, tier VARCHAR
-- source: docs/audiences.md §Fields: the tier of the most recently joined membership row active at $as_of
SELECT user_id, arg_max(tier, joined_at) AS tier
FROM memberships
WHERE CAST(joined_at AS DATE) <= CAST($as_of AS DATE)
  AND (left_at IS NULL OR CAST(left_at AS DATE) > CAST($as_of AS DATE))
GROUP BY user_id
