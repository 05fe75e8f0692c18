-- name: audience_clv
-- engines: duckdb (stored CLV predictions live in the workspace file; the Spark engine stores none)
-- grain: one row per customer of the stored predictions (table clv_predictions, written by `siyu clv predict`)
-- params:
-- columns: user_id VARCHAR, predicted_clv DOUBLE, p_alive DOUBLE
-- source: docs/audiences.md §Fields (predicted_clv, p_alive); run only when the table exists (clv_tables)
SELECT customer_id AS user_id, predicted_clv, p_alive FROM clv_predictions
