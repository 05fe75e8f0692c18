-- name: pool_transitions_clear
-- engines: duckdb (a write to the workspace file; the Spark engine only reads and computes)
-- grain: a statement: one row, the number of stored pool transitions deleted
-- params: first, last
-- inputs: the workspace table pool_transitions (created by siyu.assets.pools._store)
-- columns: Count BIGINT
-- source: siyu.assets.pools.pool_transitions(store=True): stored transitions dated $first .. $last (inclusive) are
-- source: replaced by a new evaluation of those dates; this deletes them (pool_transitions_append adds the new ones)
DELETE FROM pool_transitions WHERE date BETWEEN CAST($first AS DATE) AND CAST($last AS DATE)
