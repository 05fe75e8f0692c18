-- name: link_store
-- grain: one row per snapshot $as_of: the store-level LINK+ counts of L 汇聚 and I 连接 over W($days)
-- params: as_of, days
-- inputs: _link_users (sql/link_users.sql at the snapshot)
-- columns: uv BIGINT, new_uv BIGINT, buyers_window BIGINT, fans BIGINT, members BIGINT, follows_started BIGINT,
-- columns: follows_ended BIGINT, new_fans BIGINT, joins BIGINT, leaves BIGINT, new_members BIGINT
-- source: docs/gain.md §LINK+ (L 店铺访问人数 and new-visitor share; I 粉丝数/会员数 stock and net adds, 转粉率, 入会率)
-- uv: users with a visit in W(days); new_uv: of them, no visit in the 365 days before their first one there.
-- follows_started / follows_ended (joins / leaves): follow (membership) rows starting / ending in W(days);
-- new_fans / new_members: distinct users with a follow (membership) starting in W(days).
WITH p AS (
    SELECT CAST($as_of AS DATE) AS t, CAST($days AS INTEGER) AS n
),
f AS (
    SELECT f.user_id, CAST(f.followed_at AS DATE) BETWEEN p.t - p.n + 1 AND p.t AS started,
           coalesce(CAST(f.unfollowed_at AS DATE) BETWEEN p.t - p.n + 1 AND p.t, false) AS ended
    FROM follows f, p
),
m AS (
    SELECT m.user_id, CAST(m.joined_at AS DATE) BETWEEN p.t - p.n + 1 AND p.t AS started,
           coalesce(CAST(m.left_at AS DATE) BETWEEN p.t - p.n + 1 AND p.t, false) AS ended
    FROM memberships m, p
),
u AS (
    SELECT count(*) FILTER (WHERE visits > 0) AS uv,
           count(*) FILTER (WHERE is_new_visitor) AS new_uv,
           count(*) FILTER (WHERE buyer_window) AS buyers_window,
           count(*) FILTER (WHERE is_fan) AS fans,
           count(*) FILTER (WHERE is_member) AS members
    FROM _link_users
)
SELECT u.uv, u.new_uv, u.buyers_window, u.fans, u.members,
       (SELECT count(*) FILTER (WHERE started) FROM f) AS follows_started,
       (SELECT count(*) FILTER (WHERE ended) FROM f) AS follows_ended,
       (SELECT count(DISTINCT user_id) FILTER (WHERE started) FROM f) AS new_fans,
       (SELECT count(*) FILTER (WHERE started) FROM m) AS joins,
       (SELECT count(*) FILTER (WHERE ended) FROM m) AS leaves,
       (SELECT count(DISTINCT user_id) FILTER (WHERE started) FROM m) AS new_members
FROM u
