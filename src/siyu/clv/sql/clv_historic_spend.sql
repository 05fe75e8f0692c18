-- name: clv_historic_spend
-- grain: one row per customer of _clv_ids
-- params: t
-- columns: customer_id VARCHAR, spend DOUBLE
-- source: historic (realised) value of each predicted customer: net spend of purchases paid on or before t
--   (fully refunded orders are not purchases; amounts net of refunds); _clv_ids is registered by the caller
SELECT s.customer_id, coalesce(sum(o.amount - coalesce(o.refund_amount, 0)), 0)::DOUBLE AS spend
FROM _clv_ids s
LEFT JOIN orders o
  ON o.user_id = s.customer_id
 AND coalesce(o.refund_amount, 0) < o.amount
 AND CAST(o.paid_at AS DATE) <= $t
GROUP BY s.customer_id
