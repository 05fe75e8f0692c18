-- name: clv_day_span
-- grain: one row
-- params: calibration_end
-- inputs: _clv_tx (customer_id, paid_at, amount, refund_amount), the temp view of siyu.clv.summary.transactions
-- columns: day_lo INTEGER, day_hi INTEGER
-- source: the first and last local purchase day on or before $calibration_end, as days since 1970-01-01 (NULL
-- source: without a purchase); the bit range of clv_summary_days. Purchases as in clv_summary (docs/clv.md)
SELECT CAST(date_diff('day', DATE '1970-01-01', min(CAST(paid_at AS DATE))) AS INTEGER) AS day_lo,
       CAST(date_diff('day', DATE '1970-01-01', max(CAST(paid_at AS DATE))) AS INTEGER) AS day_hi
FROM _clv_tx
WHERE customer_id IS NOT NULL
  AND CASE WHEN refund_amount IS NULL THEN amount >= 0 ELSE refund_amount < amount END
  AND CAST(paid_at AS DATE) <= CAST($calibration_end AS DATE)
