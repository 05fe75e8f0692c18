-- name: clv_stored_predictions
-- engines: duckdb (stored CLV predictions live in the workspace file; the Spark engine stores nothing)
-- grain: one row per customer of the stored predictions (table clv_predictions, written by `siyu clv predict`)
-- params:
-- columns: predicted_clv DOUBLE, p_alive DOUBLE
-- source: the distributions the report and console draw; run only when the table exists (clv_tables)
SELECT predicted_clv, p_alive FROM clv_predictions
