-- name: clv_holdout_tracking
-- grain: one row per local purchase day on or before $holdout_end with a purchase of the calibration cohort
-- params: calibration_end, holdout_end
-- inputs: _clv_tx (customer_id, paid_at DATE or local TIMESTAMP, amount, refund_amount), a temp view set up by
-- inputs: siyu.clv.summary.transactions
-- columns: day DATE, first_purchases BIGINT, repeat_purchases BIGINT
-- source: reads the temp view _clv_tx; Fader, Hardie & Lee (2005) "Counting Your Customers the Easy Way", Marketing
-- source: Science 24(2), Figure 3 (cumulative repeat transactions); siyu.clv.validation.holdout_tracking.
-- The cohort = customers whose first purchase day is <= $calibration_end; per day, the cohort's customers making their
-- first purchase that day and its repeat purchase days that day (a purchase is siyu.clv.summary.PURCHASE), ordered
-- by day.
WITH purchase_days AS (
    SELECT DISTINCT customer_id, CAST(paid_at AS DATE) AS day
    FROM _clv_tx
    WHERE customer_id IS NOT NULL AND CASE WHEN refund_amount IS NULL THEN amount >= 0 ELSE refund_amount < amount END
      AND CAST(paid_at AS DATE) <= CAST($holdout_end AS DATE)
),
cohort AS (
    SELECT customer_id, min(day) AS first_day FROM purchase_days
    GROUP BY customer_id HAVING min(day) <= CAST($calibration_end AS DATE)
)
SELECT p.day,
       count(*) FILTER (WHERE p.day = c.first_day) AS first_purchases,
       count(*) FILTER (WHERE p.day > c.first_day) AS repeat_purchases
FROM purchase_days p JOIN cohort c USING (customer_id)
GROUP BY p.day
ORDER BY p.day
