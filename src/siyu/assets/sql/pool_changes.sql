-- name: pool_changes
-- grain: one row per (user, pool type) whose label differs between the evaluations _p0 and _p1
-- params: date
-- inputs: _p0, _p1 (the pools model at two consecutive evaluation dates), Arrow tables registered by
-- inputs: siyu.assets.pools.pool_transitions
-- columns: user_id VARCHAR, pool_type VARCHAR, from_pool VARCHAR, to_pool VARCHAR, date DATE
-- source: reads the registered Arrow tables _p0 and _p1 (not contract tables); docs/customer-assets.md §Relationship pools:
-- source: a change of a user's fan, member or customer label is an event dated $date (the evaluation of _p1);
-- source: entering a pool from nothing has from_pool NULL, leaving one has to_pool NULL; a user absent from _p1 is
-- source: not reported. One branch per pool type, in the order of siyu.assets.pools.POOL_TYPES.
SELECT b.user_id, 'fan' AS pool_type, a.fan_pool AS from_pool, b.fan_pool AS to_pool, CAST($date AS DATE) AS date
FROM _p1 b LEFT JOIN _p0 a USING (user_id) WHERE a.fan_pool IS DISTINCT FROM b.fan_pool
UNION ALL
SELECT b.user_id, 'member' AS pool_type, a.member_pool AS from_pool, b.member_pool AS to_pool, CAST($date AS DATE) AS date
FROM _p1 b LEFT JOIN _p0 a USING (user_id) WHERE a.member_pool IS DISTINCT FROM b.member_pool
UNION ALL
SELECT b.user_id, 'customer' AS pool_type, a.customer_pool AS from_pool, b.customer_pool AS to_pool,
       CAST($date AS DATE) AS date
FROM _p1 b LEFT JOIN _p0 a USING (user_id) WHERE a.customer_pool IS DISTINCT FROM b.customer_pool
