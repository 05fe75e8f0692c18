-- name: quote_uses
-- engines: duckdb (coupon uses are stored by siyu offers uses in the workspace file)
-- grain: one row per recorded coupon use
-- params:
-- columns: user_id VARCHAR, coupon_id VARCHAR, used_at TIMESTAMP
-- source: docs/offers.md §Coupon uses: a coupon's per-user limit is used up at moment t when the user has
--   per_user_limit uses or more with used_at <= t
SELECT user_id, coupon_id, used_at
FROM coupon_uses
ORDER BY user_id, used_at, coupon_id
