-- name: clv_tables
-- engines: duckdb (stored CLV predictions live in the workspace file; the Spark engine stores nothing)
-- grain: one row per stored CLV table present in the database
-- params:
-- columns: table_name VARCHAR
-- source: whether `siyu clv predict` has stored predictions yet
SELECT table_name FROM information_schema.tables WHERE table_name = 'clv_predictions'
