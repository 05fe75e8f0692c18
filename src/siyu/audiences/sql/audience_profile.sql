-- name: audience_profile
-- grain: one row per user in the universe (every user id in any table) at snapshot $as_of: the fields audiences test
-- params: as_of
-- inputs: _features (user_features at T), _pools, _ucmv, _rfm (the per-user asset models at T), _clv (stored CLV
-- inputs: predictions: user_id, predicted_clv, p_alive; empty when none are stored)
-- columns: user_id VARCHAR, aipl VARCHAR, fan_pool VARCHAR, member_pool VARCHAR, customer_pool VARCHAR, ucmv VARCHAR,
-- columns: rfm_group VARCHAR, is_fan BOOLEAN, is_member BOOLEAN, tier VARCHAR, city_tier VARCHAR, gender VARCHAR,
-- columns: age_band VARCHAR, is_88vip BOOLEAN, tags VARCHAR, registered_at DATE, days_since_purchase INTEGER,
-- columns: predicted_clv DOUBLE, p_alive DOUBLE
-- source: docs/audiences.md §Fields (labels as the asset commands print them per user; null where not applicable)
SELECT f.user_id,
    f.stage AS aipl,
    po.fan_pool, po.member_pool, po.customer_pool,
    uc.stage AS ucmv,
    r."group" AS rfm_group,
    f.is_fan, f.is_member,
    m.tier,
    us.city_tier, us.gender, us.age_band, us.is_88vip,
    regexp_replace(trim(us.tags), '\s*;\s*', ';', 'g') AS tags,   -- spaces around the separators dropped
    CAST(us.registered_at AS DATE) AS registered_at,
    CAST(date_diff('day', f.last_purchase, CAST($as_of AS DATE)) AS INTEGER) AS days_since_purchase,
    CAST(c.predicted_clv AS DOUBLE) AS predicted_clv,
    CAST(c.p_alive AS DOUBLE) AS p_alive
FROM _features f
LEFT JOIN _pools po ON po.user_id = f.user_id
LEFT JOIN _ucmv uc ON uc.user_id = f.user_id
LEFT JOIN _rfm r ON r.user_id = f.user_id
LEFT JOIN users us ON us.user_id = f.user_id
LEFT JOIN (   -- the tier of the most recently joined membership spell active at T
    SELECT user_id, arg_max(tier, joined_at) AS tier
    FROM memberships
    WHERE CAST(joined_at AS DATE) <= CAST($as_of AS DATE)
      AND (left_at IS NULL OR CAST(left_at AS DATE) > CAST($as_of AS DATE))
    GROUP BY user_id
) m ON m.user_id = f.user_id
LEFT JOIN _clv c ON c.user_id = f.user_id
