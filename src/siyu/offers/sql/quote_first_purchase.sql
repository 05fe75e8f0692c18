-- name: quote_first_purchase
-- engines: duckdb (read by the quote's per-generation lookup)
-- grain: one row per user with a purchase: an order that is not fully refunded (docs/data.md)
-- params:
-- columns: user_id VARCHAR, first_paid_at TIMESTAMP
-- source: docs/offers.md §The quote, step 2: a first-purchase coupon (新人礼券) is for users whose first purchase is
--   not before the quote moment
SELECT user_id, min(paid_at) AS first_paid_at
FROM orders
WHERE coalesce(refund_amount, 0) < amount
GROUP BY user_id
ORDER BY user_id
