-- name: aipl
-- grain: one row per user in the universe at the snapshot of _features
-- params:
-- inputs: _features (user_features at T)
-- columns: user_id VARCHAR, stage VARCHAR
-- source: docs/customer-assets.md §AIPL (siyu's exact rules; L -> P -> I -> A, first match wins; otherwise none)
SELECT user_id, stage FROM _features
