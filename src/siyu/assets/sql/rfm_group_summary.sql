-- name: rfm_group_summary
-- grain: one row per RFM group with at least one buyer
-- params:
-- inputs: _rfm (the rfm model's rows at the snapshot), an Arrow table registered by siyu.assets.rfm.rfm_summary
-- columns: "group" VARCHAR, users BIGINT, monetary DOUBLE, mean_recency DOUBLE, mean_frequency DOUBLE
-- source: reads the registered Arrow table _rfm (not a contract table); docs/customer-assets.md (RFM groups):
-- source: buyers, their spend and mean recency (days) and frequency (purchase days) per group
SELECT "group", count(*) AS users, sum(monetary) AS monetary, avg(recency) AS mean_recency,
       avg(frequency) AS mean_frequency
FROM _rfm
GROUP BY ALL
