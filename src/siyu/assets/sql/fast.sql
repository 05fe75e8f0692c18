-- name: fast
-- grain: one row per snapshot T (the snapshot of _features) against the stages at T - p in _sprev
-- params:
-- inputs: _features (user_features at T), _sprev (user_id, stage at T - advancing_period_days)
-- columns: f BIGINT, deepened BIGINT, could_deepen BIGINT, ai_prev BIGINT, ai_to_p BIGINT, s BIGINT, active_members BIGINT
-- source: docs/customer-assets.md §FAST (F = |AIPL(T)|; A = deepened / F, alt. / could deepen; ai_to_p_rate; S = members; T = active members / S)
SELECT
    count(*) FILTER (WHERE f.stage <> 'none') AS f,
    count(*) FILTER (WHERE p.stage IN ('A', 'I', 'P')
                       AND list_position(['none', 'A', 'I', 'P', 'L'], f.stage)
                           > list_position(['none', 'A', 'I', 'P', 'L'], p.stage)) AS deepened,
    count(*) FILTER (WHERE p.stage IN ('A', 'I', 'P')) AS could_deepen,
    count(*) FILTER (WHERE p.stage IN ('A', 'I')) AS ai_prev,
    count(*) FILTER (WHERE p.stage IN ('A', 'I') AND f.stage IN ('P', 'L')) AS ai_to_p,
    count(*) FILTER (WHERE f.is_member) AS s,
    count(*) FILTER (WHERE f.is_member AND f.member_engaged) AS active_members
FROM _features f LEFT JOIN _sprev p USING (user_id)
