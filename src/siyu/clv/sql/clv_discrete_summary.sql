-- name: clv_discrete_summary
-- grain: one row per customer whose first purchase day is on or before $calibration_end
-- params: calibration_end, period, n_periods
-- inputs: _clv_tx (customer_id, paid_at DATE or local TIMESTAMP, amount, refund_amount), a temp view set up by
-- inputs: siyu.clv.summary.transactions
-- columns: customer_id VARCHAR, frequency BIGINT, recency BIGINT, "T" BIGINT
-- source: reads the temp view _clv_tx; Fader, Hardie & Shang (2010) "Customer-Base Analysis in a Discrete-Time
-- source: Noncontractual Setting", Marketing Science 29(6) §2 (x, t_x, n); siyu.clv.summary.discrete_summary.
-- $period is Y (calendar years), M (calendar months) or W (weeks from Monday, 1969-12-29 being one), giving the period
-- index of a date (siyu.clv.summary.PERIODS), consecutive periods having consecutive indices. The first-purchase period is
-- period 0; the opportunities are the periods 1..n complete by $calibration_end (n capped at $n_periods). A purchase
-- is siyu.clv.summary.PURCHASE. Rows are ordered by customer_id.
WITH periods AS (
    SELECT DISTINCT customer_id,
        CASE $period
            WHEN 'Y' THEN year(CAST(paid_at AS DATE))
            WHEN 'M' THEN (year(CAST(paid_at AS DATE)) * 12 + month(CAST(paid_at AS DATE)) - 1)
            WHEN 'W' THEN (date_diff('day', DATE '1969-12-29', CAST(paid_at AS DATE)) // 7)
        END AS period
    FROM _clv_tx
    WHERE customer_id IS NOT NULL
      AND CASE WHEN refund_amount IS NULL THEN amount >= 0 ELSE refund_amount < amount END
      AND CAST(paid_at AS DATE) <= CAST($calibration_end AS DATE)
),
opportunities AS (   -- n: complete periods after the first-purchase period (a period is complete when it ends <= T)
    SELECT customer_id, min(period) AS p0,
           greatest(0, least(
               CASE $period   -- the index of the period of the day after $calibration_end
                   WHEN 'Y' THEN year(CAST($calibration_end AS DATE) + 1)
                   WHEN 'M' THEN (year(CAST($calibration_end AS DATE) + 1) * 12 + month(CAST($calibration_end AS DATE) + 1) - 1)
                   WHEN 'W' THEN (date_diff('day', DATE '1969-12-29', CAST($calibration_end AS DATE) + 1) // 7)
               END - 1 - min(period), $n_periods)) AS n
    FROM periods GROUP BY customer_id
)
SELECT o.customer_id,
       count(*) FILTER (WHERE p.period - o.p0 BETWEEN 1 AND o.n) AS frequency,
       coalesce(max(p.period - o.p0) FILTER (WHERE p.period - o.p0 BETWEEN 1 AND o.n), 0) AS recency,
       o.n AS "T"
FROM opportunities o JOIN periods p USING (customer_id)
GROUP BY o.customer_id, o.n
ORDER BY o.customer_id
