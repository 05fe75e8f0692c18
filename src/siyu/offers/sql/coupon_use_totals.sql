-- name: coupon_use_totals
-- engines: duckdb (coupon uses are stored by siyu offers uses in the workspace file)
-- grain: one row per coupon with a recorded use
-- params:
-- columns: coupon_id VARCHAR, uses BIGINT, users BIGINT, last_used_at TIMESTAMP
-- source: docs/offers.md §Coupon uses (siyu offers show)
SELECT coupon_id, count(*) AS uses, count(DISTINCT user_id) AS users, max(used_at) AS last_used_at
FROM coupon_uses
GROUP BY coupon_id
ORDER BY coupon_id
