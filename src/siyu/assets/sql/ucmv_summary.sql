-- name: ucmv_summary
-- grain: one row per UCMV stage with at least one user at the snapshot of _features
-- params:
-- inputs: _u (user_id, stage: the ucmv model), an Arrow table registered by siyu.assets.ucmv.ucmv_summary;
-- inputs: _features (user_features at T, the temp table of siyu.engine.sql.snapshot)
-- columns: stage VARCHAR, n BIGINT, gmv DOUBLE
-- source: reads the registered Arrow table _u and the temp table _features; docs/customer-assets.md §UCMV:
-- source: users and W365 GMV per stage. GMV is money: each user's spend_365 is summed as DECIMAL(18,2) (exact to the
-- source: cent, the contract's money type), so the total does not depend on DuckDB's parallel order of summation
SELECT u.stage, count(*) AS n, CAST(sum(CAST(f.spend_365 AS DECIMAL(18, 2))) AS DOUBLE) AS gmv
FROM _u u JOIN _features f USING (user_id)
WHERE u.stage IS NOT NULL
GROUP BY ALL
