-- name: audience_list
-- engines: duckdb (saved audiences live in the workspace file)
-- grain: one row per saved audience, by name, with its latest snapshot (the one created last)
-- params:
-- columns: name VARCHAR, query VARCHAR, updated_at TIMESTAMP, snapshots BIGINT, last_as_of DATE, last_members BIGINT
-- source: docs/audiences.md §Saved audiences and snapshots
SELECT a.name, a.query, a.updated_at,
    count(s.snapshot_id) AS snapshots,
    arg_max(s.as_of, s.created_at) AS last_as_of,
    arg_max(s.members, s.created_at) AS last_members
FROM audiences a
LEFT JOIN audience_snapshots s ON s.name = a.name
GROUP BY a.name, a.query, a.updated_at
ORDER BY a.name
