-- name: clv_memory_limit
-- engines: duckdb (reads DuckDB's memory_limit setting; Spark sizes its executors itself)
-- grain: one row
-- params:
-- columns: memory_limit VARCHAR
-- source: siyu.clv.summary._memory_cap: DuckDB's memory_limit setting of the connection (e.g. '953.6 MiB'), read
-- source: before a summary lowers it to MEMORY_LIMIT and after it is reset
SELECT current_setting('memory_limit') AS memory_limit
