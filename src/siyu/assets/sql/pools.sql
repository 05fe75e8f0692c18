-- name: pools
-- grain: one row per user in the universe at snapshot $as_of (labels empty where a pool does not apply)
-- params: as_of, fan_silent_days, member_silent_days, high_value_pct
-- inputs: _features (user_features at $as_of)
-- columns: user_id VARCHAR, fan_pool VARCHAR, member_pool VARCHAR, customer_pool VARCHAR, high_intent BOOLEAN
-- source: docs/customer-assets.md §Relationship pools (codes: silent/opportunity/active/ordinary,
-- source: quality/potential/silent, new/old/lapsed/prospect)
WITH thr AS (
    SELECT quantile_cont(spend_365, CAST($high_value_pct AS DOUBLE)) FILTER (WHERE is_member AND pdays_365 > 0) AS p_high
    FROM _features
),
labelled AS (
    SELECT f.user_id,
        CASE WHEN NOT f.is_fan THEN NULL
             WHEN f.last_activity IS NULL
                  OR f.last_activity <= CAST($as_of AS DATE) - CAST($fan_silent_days AS INTEGER) THEN 'silent'
             WHEN f.pdays_365 = 0 THEN 'opportunity'
             WHEN f.last_activity > CAST($as_of AS DATE) - 30 THEN 'active'
             ELSE 'ordinary' END AS fan_pool,
        CASE WHEN NOT f.is_member THEN NULL
             WHEN f.pdays_365 >= 2 OR (f.pdays_365 > 0 AND f.spend_365 >= thr.p_high) THEN 'quality'
             WHEN f.last_activity IS NULL
                  OR f.last_activity <= CAST($as_of AS DATE) - CAST($member_silent_days AS INTEGER) THEN 'silent'
             ELSE 'potential' END AS member_pool,
        CASE WHEN f.new_in_30 THEN 'new'
             WHEN f.pdays_365 > 0 THEN 'old'
             WHEN f.bought_lapsed THEN 'lapsed'
             WHEN NOT f.buys_p AND f.stage IN ('A', 'I') THEN 'prospect' END AS customer_pool,
        f.high_intent
    FROM _features f, thr
)
SELECT user_id, fan_pool, member_pool, customer_pool,
       coalesce(fan_pool = 'opportunity' AND high_intent, false) AS high_intent
FROM labelled
