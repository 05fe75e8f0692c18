-- name: ucmv
-- grain: one row per user in the universe at snapshot $as_of (stage empty for users outside UCMV)
-- params: vip_top_pct, vip_rule
-- inputs: _features (user_features at T)
-- columns: user_id VARCHAR, stage VARCHAR
-- source: docs/customer-assets.md §UCMV (PROP; V requires a purchase; top tier = highest of tier_order held)
WITH thr AS (
    SELECT quantile_cont(spend_365, 1 - CAST($vip_top_pct AS DOUBLE)) FILTER (WHERE pdays_365 > 0) AS p_top,
           quantile_cont(spend_365, 0.5) FILTER (WHERE pdays_365 > 0) AS p50,
           max(tier_rank) FILTER (WHERE is_member) AS top_rank
    FROM _features
)
SELECT f.user_id,
    CASE WHEN f.pdays_365 > 0 AND (
                (list_contains($vip_rule, 'top_spend') AND f.spend_365 >= thr.p_top)
             OR (list_contains($vip_rule, 'top_tier') AND f.is_member AND f.tier_rank = thr.top_rank)
             OR (list_contains($vip_rule, '88vip') AND f.is_88vip)) THEN 'V'
         WHEN (f.pdays_365 >= 2 AND f.spend_365 >= thr.p50) OR f.pdays_365 >= 3 THEN 'M'
         WHEN f.pdays_365 >= 1 THEN 'C'
         WHEN f.any_event_365 OR f.is_fan OR f.is_member THEN 'U' END AS stage
FROM _features f, thr
