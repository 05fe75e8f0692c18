-- name: rfm
-- grain: one row per buyer in W($rfm_days) at snapshot $as_of
-- params: as_of
-- inputs: _features (user_features at T, with rfm_days)
-- columns: user_id VARCHAR, recency INTEGER, frequency BIGINT, monetary DOUBLE, r INTEGER, f INTEGER, m INTEGER, "group" VARCHAR
-- source: docs/customer-assets.md (scores 1 + floor(5 (rank - 1) / n) with RANK(); the common RFM segment map)
WITH b AS (
    SELECT user_id, CAST(date_diff('day', last_purchase_rfm, CAST($as_of AS DATE)) AS INTEGER) AS recency,
           pdays_rfm AS frequency, spend_rfm AS monetary
    FROM _features WHERE pdays_rfm > 0
),
s AS (
    SELECT b.*,
        CAST(1 + floor(5 * (rank() OVER (ORDER BY recency DESC) - 1) / count(*) OVER ()) AS INTEGER) AS r,
        CAST(1 + floor(5 * (rank() OVER (ORDER BY frequency) - 1) / count(*) OVER ()) AS INTEGER) AS f,
        CAST(1 + floor(5 * (rank() OVER (ORDER BY monetary) - 1) / count(*) OVER ()) AS INTEGER) AS m
    FROM b
)
SELECT user_id, recency, frequency, monetary, r, f, m,
    CASE WHEN r = 5 AND f = 1 THEN 'new_customers'
         WHEN r >= 4 AND f BETWEEN 2 AND 3 THEN 'potential_loyalists'
         WHEN r = 5 AND f >= 4 THEN 'champions'
         WHEN r = 4 AND f = 1 THEN 'promising'
         WHEN r BETWEEN 3 AND 4 AND f >= 4 THEN 'loyal_customers'
         WHEN r = 3 AND f <= 2 THEN 'about_to_sleep'
         WHEN r = 3 AND f = 3 THEN 'need_attention'
         WHEN r <= 2 AND f <= 2 THEN 'hibernating'
         WHEN r <= 2 AND f BETWEEN 3 AND 4 THEN 'at_risk'
         ELSE 'cant_lose_them' END AS "group"
FROM s
