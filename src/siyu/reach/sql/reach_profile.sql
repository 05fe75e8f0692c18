-- name: reach_profile
-- engines: duckdb (reach sends from the workspace file)
-- grain: one row per user of _reach_users(user_id) that has a users row
-- params:
-- columns: user_id VARCHAR, city_tier VARCHAR, gender VARCHAR, age_band VARCHAR, is_88vip BOOLEAN, tags VARCHAR,
-- columns: registered_at TIMESTAMP
-- source: docs/reach.md §Content: a personalised template sees the profile without personal data (no phone, no email)
SELECT u.user_id, u.city_tier, u.gender, u.age_band, u.is_88vip, u.tags, u.registered_at
FROM users u SEMI JOIN _reach_users r ON r.user_id = u.user_id
ORDER BY u.user_id
