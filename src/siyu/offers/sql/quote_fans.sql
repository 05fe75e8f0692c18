-- name: quote_fans
-- engines: duckdb (read by the quote's per-generation lookup)
-- grain: one row per follow spell that was not undone the moment it began (unfollowed_at NULL or after followed_at)
-- params:
-- columns: user_id VARCHAR, followed_at TIMESTAMP, unfollowed_at TIMESTAMP
-- source: docs/offers.md §The quote, step 3: a fan at moment t has a spell with followed_at <= t and
--   (unfollowed_at NULL or unfollowed_at > t)
SELECT user_id, followed_at, unfollowed_at
FROM follows
WHERE unfollowed_at IS NULL OR unfollowed_at > followed_at
ORDER BY user_id, followed_at
