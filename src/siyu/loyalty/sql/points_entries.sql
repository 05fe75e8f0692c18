-- name: points_entries
-- engines: duckdb (reads the points ledger stored in the workspace file)
-- grain: one row per ledger entry of user $user_id dated ≤ $as_of, in ledger order (date, recording time, id)
-- params: user_id, as_of
-- columns: entry_id VARCHAR, date DATE, kind VARCHAR, points BIGINT, qualifying BIGINT, source_id VARCHAR,
-- columns: reason VARCHAR, expires_on DATE, recorded_at TIMESTAMP, balance BIGINT
-- source: docs/loyalty-points.md §Balance: balance is the running sum of the user's points up to and including
-- source: the entry
SELECT entry_id, date, kind, points, qualifying, source_id, reason, expires_on, recorded_at,
       sum(points) OVER (ORDER BY date, recorded_at, entry_id ROWS UNBOUNDED PRECEDING)::BIGINT AS balance
FROM points_ledger
WHERE user_id = $user_id AND date <= $as_of
ORDER BY date, recorded_at, entry_id
