-- name: data_coverage
-- grain: one row per log (orders, events, reach_log)
-- params:
-- columns: source VARCHAR, lo DATE, hi DATE
-- source: docs/customer-assets.md "Comparable periods": the first and last local date of each log bound what a
-- source: look-back window can see (NULL for an empty log); the state tables date their own spells
SELECT 'orders' AS source, min(CAST(paid_at AS DATE)) AS lo, max(CAST(paid_at AS DATE)) AS hi FROM orders
UNION ALL
SELECT 'events', min(CAST(ts AS DATE)), max(CAST(ts AS DATE)) FROM events
UNION ALL
SELECT 'reach_log', min(CAST(ts AS DATE)), max(CAST(ts AS DATE)) FROM reach_log
