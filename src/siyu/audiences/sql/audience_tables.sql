-- name: audience_tables
-- engines: duckdb (saved audiences live in the workspace file; the Spark engine stores nothing)
-- grain: one row per saved-audience table present in the database
-- params:
-- columns: table_name VARCHAR
-- source: whether an audience has been saved yet (the tables are created on the first save)
SELECT table_name FROM information_schema.tables
WHERE table_name IN ('audiences', 'audience_snapshots', 'audience_members') AND table_schema = 'main'
