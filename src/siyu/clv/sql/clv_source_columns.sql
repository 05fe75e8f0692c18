-- name: clv_source_columns
-- engines: duckdb (reads DuckDB's catalog; on Spark the connection describes a view's columns itself)
-- grain: one row per column of the relation named $relation, in column order
-- params: relation
-- inputs: the catalog (duckdb_columns()): the workspace table orders, or the temp view / registered frame _clv_src
-- inputs: that siyu.clv.summary sets up for a file or a DataFrame / Arrow table
-- columns: column_name VARCHAR, data_type VARCHAR
-- source: reads the catalog entry of the temp view or registered frame _clv_src (or of the table orders);
-- source: siyu.clv.summary.transactions: which columns the CLV source has and their DuckDB types (the same names
-- source: and type names as DESCRIBE), to check the user's column arguments and choose each column's conversion
SELECT column_name, data_type
FROM duckdb_columns()
WHERE table_name = $relation
  AND database_name IN ('temp', current_database())
  AND schema_name = current_schema()
ORDER BY column_index
