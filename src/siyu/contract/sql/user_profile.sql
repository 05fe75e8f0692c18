-- name: user_profile
-- grain: the users row of $user_id (no row when the table has none), personal data as stored
-- params: user_id
-- columns: user_id VARCHAR, phone_masked VARCHAR, phone_enc BLOB, city_tier VARCHAR, gender VARCHAR, age_band VARCHAR,
-- columns: is_88vip BOOLEAN, registered_at TIMESTAMP, tags VARCHAR
-- source: docs/data.md §Personal data (the phone is stored masked and encrypted; the API unmasks only for `unmask`)
SELECT user_id, phone_masked, phone_enc, city_tier, gender, age_band, is_88vip, registered_at, tags
FROM users WHERE user_id = $user_id
