-- name: audience_get
-- engines: duckdb (saved audiences live in the workspace file)
-- grain: the saved audience named $audience (no row when none)
-- params: audience
-- columns: name VARCHAR, definition VARCHAR, query VARCHAR, created_at TIMESTAMP, updated_at TIMESTAMP
-- source: docs/audiences.md §Saved audiences and snapshots
SELECT name, definition, query, created_at, updated_at FROM audiences WHERE name = $audience
