-- name: clv_summary_days
-- engine: spark
-- override: DuckDB's bitstring_agg / bit_count (one hash aggregation over a bitstring of purchase days) have no
-- override: Spark equivalent; Spark counts the distinct purchase days instead, which is the same number
-- grain: one row per customer whose first purchase day is on or before $calibration_end
-- params: calibration_end, unit_days, day_lo, day_hi
-- columns: customer_id VARCHAR, frequency BIGINT, recency DOUBLE, "T" DOUBLE, first_purchase DATE
-- source: Fader, Hardie & Lee (2005) §3 (x, t_x, T); the same figures as ../clv_summary_days.sql
SELECT
    customer_id,
    count(DISTINCT day) - 1 AS frequency,
    CAST(date_diff('day', min(day), max(day)) AS DOUBLE) / $unit_days AS recency,
    CAST(date_diff('day', min(day), CAST($calibration_end AS DATE)) AS DOUBLE) / $unit_days AS "T",
    min(day) AS first_purchase
FROM (
    SELECT customer_id, CAST(paid_at AS DATE) AS day
    FROM _clv_tx
    WHERE customer_id IS NOT NULL
      AND CASE WHEN refund_amount IS NULL THEN amount >= 0 ELSE refund_amount < amount END
      AND CAST(paid_at AS DATE) <= CAST($calibration_end AS DATE)
)
GROUP BY customer_id
