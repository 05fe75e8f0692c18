-- name: pool_transitions_append
-- engines: duckdb (a write to the workspace file; the Spark engine only reads and computes)
-- grain: a statement: one row, the number of pool transitions stored
-- params:
-- inputs: _pt (the pool_changes rows of an evaluation run), an Arrow table registered by siyu.assets.pools._store;
-- inputs: the workspace table pool_transitions
-- columns: Count BIGINT
-- source: reads the registered Arrow table _pt; siyu.assets.pools.pool_transitions(store=True), after
-- source: pool_transitions_clear deleted the rows of the same dates (one transaction)
INSERT INTO pool_transitions SELECT user_id, pool_type, from_pool, to_pool, date FROM _pt
