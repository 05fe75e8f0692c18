-- name: audience_snapshot_members
-- engines: duckdb (saved audiences live in the workspace file)
-- grain: one row per member of snapshot $snapshot_id, by user id
-- params: snapshot_id
-- columns: user_id VARCHAR
-- source: docs/audiences.md §Saved audiences and snapshots
SELECT user_id FROM audience_members WHERE snapshot_id = $snapshot_id ORDER BY user_id
