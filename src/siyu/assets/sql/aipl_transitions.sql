-- name: aipl_transitions
-- grain: one row per (stage at t0, stage at t1) pair with at least one user in both snapshots
-- params:
-- inputs: _s0, _s1 (user_id, stage: the aipl model at t0 and at t1), Arrow tables registered by
-- inputs: siyu.assets.aipl.aipl_transitions
-- columns: s0 VARCHAR, s1 VARCHAR, n BIGINT
-- source: reads the registered Arrow tables _s0 and _s1 (not contract tables); Quick Audience 流转分析 [S3][S4]
-- source: (docs/customer-assets.md §AIPL): users counted by their stage at t0 and at t1; a user missing from either snapshot is left out
SELECT a.stage AS s0, b.stage AS s1, count(*) AS n
FROM _s0 a JOIN _s1 b USING (user_id)
GROUP BY ALL
