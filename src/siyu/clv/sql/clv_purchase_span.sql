-- name: clv_purchase_span
-- grain: one row
-- params:
-- inputs: _clv_tx (customer_id, paid_at DATE or local TIMESTAMP, amount, refund_amount), a temp view set up by
-- inputs: siyu.clv.summary.transactions
-- columns: first_day DATE, last_day DATE, purchases BIGINT
-- source: reads the temp view _clv_tx; the message of siyu.clv.summary when no customer has a purchase on or before
-- source: calibration_end: first and last local purchase day and the number of purchases (siyu.clv.summary.PURCHASE:
-- source: refund_amount < amount, or amount >= 0 without refund information) with a customer id
SELECT min(CAST(paid_at AS DATE)) AS first_day, max(CAST(paid_at AS DATE)) AS last_day, count(*) AS purchases
FROM _clv_tx
WHERE CASE WHEN refund_amount IS NULL THEN amount >= 0 ELSE refund_amount < amount END AND customer_id IS NOT NULL
