-- name: loyalty_spells
-- grain: one row per run of consecutive member days of a user, up to $as_of
-- params: as_of
-- columns: user_id VARCHAR, start_d DATE, stop_d DATE
-- source: docs/loyalty.md §Members: a user is a member on day d when a membership row has joined ≤ d and (left
-- source: empty or left > d), in local dates; overlapping or touching rows merge into one run [start_d, stop_d)
-- source: (stop_d NULL: still a member). A row whose left date equals its joined date covers no day.
WITH spells AS (
    SELECT user_id, joined_at::DATE AS j, left_at::DATE AS l
    FROM memberships
    WHERE joined_at::DATE <= $as_of AND (left_at IS NULL OR left_at::DATE > joined_at::DATE)
), reach AS (
    SELECT user_id, j, l,
           max(coalesce(l, DATE '9999-12-31')) OVER (PARTITION BY user_id ORDER BY j, l NULLS LAST
                                                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_stop
    FROM spells
), islands AS (
    SELECT user_id, j, l,
           sum(CASE WHEN prev_stop IS NULL OR j > prev_stop THEN 1 ELSE 0 END)
               OVER (PARTITION BY user_id ORDER BY j, l NULLS LAST ROWS UNBOUNDED PRECEDING) AS island
    FROM reach
)
SELECT user_id, min(j) AS start_d,
       CASE WHEN max(coalesce(l, DATE '9999-12-31')) = DATE '9999-12-31' THEN NULL
            ELSE max(l) END AS stop_d
FROM islands
GROUP BY user_id, island
ORDER BY user_id, start_d
