-- name: audience_snapshot_list
-- engines: duckdb (saved audiences live in the workspace file)
-- grain: one row per membership snapshot of audience $audience, newest first
-- params: audience
-- columns: snapshot_id VARCHAR, as_of DATE, members BIGINT, created_at TIMESTAMP, purpose VARCHAR, definition VARCHAR
-- source: docs/audiences.md §Saved audiences and snapshots
SELECT snapshot_id, as_of, members, created_at, purpose, definition
FROM audience_snapshots WHERE name = $audience
ORDER BY created_at DESC, snapshot_id
