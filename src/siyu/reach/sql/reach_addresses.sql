-- name: reach_addresses
-- engines: duckdb (reach sends from the workspace file)
-- grain: one row per user of _reach_users(user_id) with a stored email address
-- params:
-- columns: user_id VARCHAR, email_enc BLOB
-- source: docs/reach.md §Channels: the email channel decrypts the address just before sending
SELECT u.user_id, u.email_enc
FROM users u SEMI JOIN _reach_users r ON r.user_id = u.user_id
WHERE u.email_enc IS NOT NULL
ORDER BY u.user_id
