-- name: loyalty_purchases
-- grain: one row per member and local pay date in [$lo, $as_of] with at least one purchase
-- params: lo, as_of, basis, points_per_yuan
-- columns: user_id VARCHAR, d DATE, units BIGINT
-- source: docs/loyalty.md §Qualifying spend: net amount (amount − refund_amount) of purchases (orders not fully
-- source: refunded) in fen when $basis is 'spend'; when it is 'points', the base points of each purchase,
-- source: floor(net yuan × $points_per_yuan), summed. Only users with a membership row are listed.
SELECT o.user_id, o.paid_at::DATE AS d,
       sum(CASE WHEN $basis = 'spend' THEN CAST(round((o.amount - o.refund_amount) * 100) AS BIGINT)
                ELSE CAST(floor((o.amount - o.refund_amount) * $points_per_yuan + 1e-9) AS BIGINT) END)::BIGINT
           AS units
FROM orders o
WHERE o.refund_amount < o.amount AND o.paid_at::DATE BETWEEN $lo AND $as_of
  AND o.user_id IN (SELECT user_id FROM memberships)
GROUP BY o.user_id, o.paid_at::DATE
ORDER BY 1, 2
