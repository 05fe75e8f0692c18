-- name: clv_summary
-- grain: one row per customer whose first purchase day is on or before $calibration_end
-- params: calibration_end, unit_days
-- inputs: _clv_tx (customer_id, paid_at DATE or local TIMESTAMP, amount, refund_amount), a temp view set up by
-- inputs: siyu.clv.summary.transactions; refund_amount is NULL when the source records no refunds (a transaction log)
-- columns: customer_id VARCHAR, frequency BIGINT, recency DOUBLE, "T" DOUBLE, monetary DOUBLE, first_purchase DATE
-- source: Fader, Hardie & Lee (2005) "Counting Your Customers the Easy Way", Marketing Science 24(2) §3 (x, t_x, T);
-- source: lifetimes.utils.summary_data_from_transaction_data (freq="D"); docs/customer-assets.md (purchase, spend)
-- The calibration summary alone (clv_summary_holdout adds a holdout period, with the same rules). A purchase is an
-- order with refund_amount < amount (without refund information, every row with amount >= 0, as in lifetimes'
-- transaction logs); its spend is amount - refund_amount. Orders are aggregated to local purchase days (spend of a
-- day = the sum of its purchases) up to $calibration_end; frequency = purchase days after the first, recency =
-- (last - first) / unit, T = ($calibration_end - first) / unit, monetary = mean spend of the repeat days (0 without
-- one). Rows come in no particular order (sorting 2M ids would cost a tenth of the run).
WITH purchase_days AS (
    SELECT customer_id, CAST(paid_at AS DATE) AS day, sum(amount - coalesce(refund_amount, 0)) AS spend
    FROM _clv_tx
    WHERE customer_id IS NOT NULL
      AND CASE WHEN refund_amount IS NULL THEN amount >= 0 ELSE refund_amount < amount END
      AND CAST(paid_at AS DATE) <= CAST($calibration_end AS DATE)
    GROUP BY ALL
),
customers AS (
    SELECT customer_id, min(day) AS first_day, arg_min(spend, day) AS first_spend, max(day) AS last_day,
        count(*) AS n_days, sum(spend) AS spend
    FROM purchase_days
    GROUP BY customer_id
)
SELECT
    customer_id,
    n_days - 1 AS frequency,
    CAST(date_diff('day', first_day, last_day) AS DOUBLE) / $unit_days AS recency,
    CAST(date_diff('day', first_day, CAST($calibration_end AS DATE)) AS DOUBLE) / $unit_days AS "T",
    CASE WHEN n_days > 1 THEN CAST(spend - first_spend AS DOUBLE) / (n_days - 1) ELSE 0.0 END AS monetary,
    first_day AS first_purchase
FROM customers
