"""Golden tests of audiences: every operator, field kind and window edge, null handling and ``not`` over nulls.

A hand-made store at T = 2024-12-31; each user is built to sit on one edge and the expected members are worked
out by hand in the comment beside each case (docs/audiences.md).
"""

from __future__ import annotations

import datetime as dt

import pytest

from siyu import ConfigError, Workspace, WorkspaceError
from siyu import audiences as A
from siyu.engine.duckdb import run

T = dt.date(2024, 12, 31)


def ts(days_before: int, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(T - dt.timedelta(days=days_before), dt.time(hour))


ORDERS = [  # order_id, user_id, paid_at, amount, refund_amount
    ("o1", "edge", ts(29, 0), 100, 0),        # first day of W30 (T-29 00:00): inside
    ("o2", "edge", ts(30, 23), 50, 0),        # T-30 23:00: outside W30, inside W31
    ("o3", "refund", ts(1), 80, 80),          # fully refunded: not a purchase
    ("o4", "refund", ts(2), 100, 40),         # partly refunded: a purchase of 60
    ("o5", "twice", ts(3, 9), 10, 0),         # two orders on one day: count 2, days 1
    ("o6", "twice", ts(3, 20), 15.5, 0),
    ("o7", "today", ts(0, 23), 5, 0),         # a purchase on T: days_since_purchase 0
    ("o8", "future", T + dt.timedelta(days=1), 999, 0),   # after T: never used
]
EVENTS = [  # event_id, user_id, ts, type, channel, sku
    ("e1", "edge", ts(6, 0), "add_cart", "sms", "S1"),    # W7 first day: inside
    ("e2", "edge", ts(7, 23), "add_cart", "push", "S2"),  # T-7: outside W7, inside W8
    ("e3", "fan", ts(0, 23), "visit", None, None),        # on T, last second-ish: inside W1
    ("e4", "fan", ts(-1, 0), "visit", None, None),        # after T: never used
]
USERS = [  # user_id, city_tier, gender, age_band, is_88vip, registered_at, tags
    ("edge", "一线", "F", "25-29", True, ts(400), "vip ; xhs:学生党;red"),
    ("fan", "二线", None, None, False, ts(10), None),
    ("refund", None, "M", "18-24", None, ts(30), ""),
]
FOLLOWS = [("fan", ts(50), None), ("gone", ts(50), ts(0))]            # gone unfollowed on T: not a fan at T
MEMBERS = [("edge", ts(100), None, "V1"), ("edge", ts(20), None, "V3"),   # two active spells: latest joined -> V3
           ("left", ts(100), ts(1), "V2")]                              # left before T: not a member


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    w = Workspace.init(tmp_path_factory.mktemp("aud") / "ws")
    with w.session() as c:
        c.executemany("INSERT INTO orders (order_id, user_id, paid_at, amount, refund_amount) VALUES (?, ?, ?, ?, ?)",
                      ORDERS)
        c.executemany("INSERT INTO events (event_id, user_id, ts, type, channel, sku) VALUES (?, ?, ?, ?, ?, ?)",
                      EVENTS)
        c.executemany("INSERT INTO users (user_id, city_tier, gender, age_band, is_88vip, registered_at, tags) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)", USERS)
        c.executemany("INSERT INTO follows VALUES (?, ?, ?)", FOLLOWS)
        c.executemany("INSERT INTO memberships (user_id, joined_at, left_at, tier) VALUES (?, ?, ?, ?)", MEMBERS)
        run(c, "INSERT INTO reach_log (message_id, user_id, ts, channel, status) VALUES ('m1', 'quiet', ?, 'sms', "
               "'sent')", [ts(5)])
    yield w
    w.close()


UNIVERSE = {"edge", "refund", "twice", "today", "future", "fan", "gone", "left", "quiet"}


def m(ws, query: str) -> set[str]:
    got = set(A.members(ws, A.parse(query), T).column("user_id").to_pylist())
    assert A.count(ws, A.parse(query), T)["count"] == len(got)
    return got


def test_the_universe_is_every_user_id_in_any_table(ws):
    assert A.count(ws, A.parse("aipl is not null"), T)["universe"] == len(UNIVERSE)
    assert m(ws, "aipl is not null") == UNIVERSE


@pytest.mark.parametrize("query, expected", [
    # orders windows: W30 = T-29 .. T; o1 at T-29 00:00 inside, o2 at T-30 23:00 outside
    ("orders.count(30d) >= 1 and orders.amount(30d) = 100", {"edge"}),
    ("orders.count(31d) = 2 and orders.amount(31d) = 150", {"edge"}),
    # the fully refunded order is not a purchase; the partial refund is net
    ("orders.count(30d) = 1 and orders.amount(30d) = 60", {"refund"}),
    # two orders on one day: count 2, days 1, amount 25.5
    ("orders.count(7d) = 2 and orders.days(7d) = 1 and orders.amount(7d) = 25.5", {"twice"}),
    # W1 is T alone; the order after T is never counted
    ("orders.count(1d) >= 1", {"today"}),
    ("orders.count(3650d) = 0", UNIVERSE - {"edge", "refund", "twice", "today"}),
    # events: W7 = T-6 .. T; e1 at T-6 00:00 inside, e2 at T-7 outside
    ("event.add_cart(7d) = 1", {"edge"}),
    ("event.add_cart(8d) = 2", {"edge"}),
    ("event.add_cart(8d, channel=push) = 1 and event.add_cart(8d, sku=S1) = 1", {"edge"}),
    ("event.add_cart(8d, channel=push, sku=S1) >= 1", set()),
    ("event.visit(1d) = 1", {"fan"}),              # the event after T is never counted
    # no events in W1, AIPL none (no purchase, no event: 'gone' and 'left' have only a follow / a membership
    # long before T) and not a fan at T
    ("event.visit(1d) in (0, 2) and aipl = none and is_fan = false", {"future", "gone", "left", "quiet"}),
])
def test_windows_at_their_edges(ws, query, expected):
    assert m(ws, query) == expected


def test_a_window_count_is_never_null_so_not_in_holds_for_users_without_rows(ws):
    assert m(ws, "event.visit(30d) not in (1)") == UNIVERSE - {"fan"}
    assert m(ws, "event.visit(30d) != 1") == UNIVERSE - {"fan"}
    assert m(ws, "event.visit(30d) < 1") == UNIVERSE - {"fan"}


@pytest.mark.parametrize("query, expected", [
    # enum with nulls: fan_pool is null for non-fans; comparisons with null are false, != and not_in included
    ("fan_pool is not null", {"fan"}),
    ("fan_pool is null", UNIVERSE - {"fan"}),
    ("fan_pool != silent", {"fan"}),
    ("fan_pool not in (silent)", {"fan"}),
    ("not fan_pool = silent", UNIVERSE),           # `not` over a null comparison: true
    ("not fan_pool != silent", UNIVERSE - {"fan"}),
    # strings: city_tier null for users without a profile row or without the value
    ("city_tier = 一线", {"edge"}),
    ("city_tier != 一线", {"fan"}),
    ("city_tier in (一线, 二线)", {"edge", "fan"}),
    ("city_tier not in (一线)", {"fan"}),
    ("gender is null", UNIVERSE - {"edge", "refund"}),
    # booleans: is_88vip comes from the profile (null when unknown); is_fan / is_member are never null
    ("is_88vip", {"edge"}),
    ("is_88vip = false", {"fan"}),
    ("is_88vip != true", {"fan"}),
    ("is_88vip is null", UNIVERSE - {"edge", "fan"}),
    ("is_fan", {"fan"}),                           # 'gone' unfollowed on T
    ("is_member", {"edge"}),                       # 'left' left before T
    ("not is_member", UNIVERSE - {"edge"}),
    # tier: the latest-joined active spell
    ("tier = V3", {"edge"}),
    ("tier in (V1, V2)", set()),
    ("tier is null", UNIVERSE - {"edge"}),
    # tags: one ';'-separated tag, spaces around separators ignored; an empty string has no tag
    ("tags contains vip", {"edge"}),
    ("tags contains \"xhs:学生党\" and tags contains red", {"edge"}),
    ("tags contains xhs", set()),
    ("tags is not null", {"edge", "refund"}),
    # dates
    ("registered_at = 2024-12-21", {"fan"}),       # ts(10)
    ("registered_at < 2024-12-01", {"edge"}),     # refund registered on 2024-12-01 (ts(30)) exactly
    ("registered_at >= 2024-12-01", {"fan", "refund"}),
    ("registered_at in (2024-12-01, 2024-12-21)", {"fan", "refund"}),
    # numbers: days_since_purchase 0 on T, null without a purchase
    ("days_since_purchase = 0", {"today"}),
    ("days_since_purchase <= 3", {"today", "refund", "twice"}),
    ("days_since_purchase > 3", {"edge"}),
    ("days_since_purchase is null", UNIVERSE - {"today", "refund", "twice", "edge"}),
    ("not days_since_purchase > 3", UNIVERSE - {"edge"}),
    # stored predictions: none stored yet -> null for everyone
    ("predicted_clv is null and p_alive is null", UNIVERSE),
    ("predicted_clv >= 0", set()),
])
def test_fields_operators_and_nulls(ws, query, expected):
    assert m(ws, query) == expected


def test_groups_and_labels(ws):
    assert m(ws, "is_fan or is_member") == {"fan", "edge"}
    assert m(ws, "any(is_fan)") == {"fan"}
    assert m(ws, "all(is_fan, is_member)") == set()
    assert m(ws, "not (is_fan or is_member)") == UNIVERSE - {"fan", "edge"}
    # the same tree by code, Chinese label and English label
    assert A.parse("aipl = 忠诚") == A.parse("aipl = L") == A.parse("aipl = loyalty")
    assert A.parse("customer_pool = 老客") == {"field": "customer_pool", "op": "=", "value": "old"}


def test_explain_gives_each_leaf_its_own_value_and_agrees_with_membership(ws):
    tree = A.parse("orders.amount(31d) >= 150 and not fan_pool = silent and tags contains vip and tier = V3")
    ex = A.explain(ws, "edge", tree, T)
    assert ex["member"] is True and "edge" in m(ws, A.to_text(tree))
    assert [c["path"] for c in ex["conditions"]] == ["all[0]", "all[1].not", "all[2]", "all[3]"]
    assert [c["value"] for c in ex["conditions"]] == [150.0, None, "vip;xhs:学生党;red", "V3"]
    assert [c["pass"] for c in ex["conditions"]] == [True, False, True, True]
    other = A.explain(ws, "fan", tree, T)
    assert other["member"] is False and other["conditions"][0]["value"] == 0
    with pytest.raises(WorkspaceError, match="not in the universe"):
        A.explain(ws, "nobody", tree, T)


@pytest.mark.parametrize("tree, where", [
    ({"all": []}, "at all: `all` takes a non-empty list"),
    ({"all": [{"field": "aipl", "op": "=", "value": "A"}, {"field": "nope", "op": "=", "value": 1}]}, r"at all\[1\].field: unknown field \"nope\""),
    ({"any": [{"field": "aipl", "op": "<", "value": "A"}]}, r"at any\[0\].op: `<` does not apply to aipl"),
    ({"field": "aipl", "op": "=", "value": "X"}, "at value: 'X' is not a value of aipl"),
    ({"field": "days_since_purchase", "op": ">", "value": "3"}, "at value: a number is needed"),
    ({"field": "is_fan", "op": "=", "value": 1}, "at value: is_fan takes true or false"),
    ({"field": "tier", "op": "is_null", "value": 1}, "at value: `is_null` takes no value"),
    ({"field": "tier", "op": "in", "value": []}, "at value: `in` takes a non-empty list"),
    ({"not": {"event": "teleport", "within_days": 3, "op": ">", "value": 1}}, "at not.event: unknown event type"),
    ({"event": "visit", "within_days": 0, "op": ">", "value": 1}, "at within_days: a whole number of days"),
    ({"event": "visit", "within_days": 3, "op": "is_null", "value": 1}, "at op: \"is_null\" is not an operator here"),
    ({"event": "visit", "within_days": 3, "op": ">"}, "at value: missing"),
    ({"orders": "profit", "within_days": 3, "op": ">", "value": 1}, "at orders: \"profit\" is not an orders measure"),
    ({"field": "registered_at", "op": ">", "value": "2024-13-01"}, "at value: a date YYYY-MM-DD"),
    ({"field": "aipl", "op": "=", "value": "A", "extra": 1}, "at extra: unknown key"),
    ([1, 2], "at the root: a node is a JSON object"),
])
def test_ill_typed_trees_name_the_path(ws, tree, where):
    with pytest.raises(ConfigError, match=where):
        A.count(ws, tree, T)


def test_the_profile_is_reused_until_the_data_change(ws, tmp_path):
    from siyu.audiences.evaluate import _PROFILES

    A.count(ws, A.parse("is_fan"), T)
    name, gen, _ = _PROFILES[ws.engine][T]
    assert A.count(ws, A.parse("is_member"), T)["count"] == 1 and _PROFILES[ws.engine][T][:2] == (name, gen)
    f = tmp_path / "users.csv"
    f.write_text("user_id,city_tier\nnewbie,一线\n", encoding="utf-8")
    ws.ingest("users", f)                       # a write: the profile at T is rebuilt on next use
    assert m(ws, "city_tier = 一线") == {"edge", "newbie"}
    assert _PROFILES[ws.engine][T][1] > gen
    ws.forget("newbie")
    assert m(ws, "city_tier = 一线") == {"edge"}
    ws.close()                                  # the session's tables go with the connection
    assert m(ws, "city_tier = 一线") == {"edge"}


def test_a_capability_adds_a_field_through_the_registry(ws):
    """A field from another source joins without touching the compiler: here a plugin's query (a callable)."""
    from siyu.audiences.fields import FIELDS, AudienceField, register_field

    def follows_at(_ws, as_of):
        return ("SELECT user_id, count(*) AS follows FROM follows WHERE CAST(followed_at AS DATE) <= $as_of "
                "GROUP BY user_id", {"as_of": as_of})

    register_field(AudienceField("follows_ever", "number", "follows up to T", source=follows_at, column="follows"))
    try:
        with pytest.raises(ValueError, match="already registered"):
            register_field(AudienceField("follows_ever", "number", "again"))
        assert m(ws, "follows_ever >= 1") == {"fan", "gone"}
        assert m(ws, "follows_ever >= 1 and not is_fan and city_tier is null") == {"gone"}
        assert A.explain(ws, "gone", A.parse("follows_ever = 1"), T)["conditions"][0]["value"] == 1
    finally:
        FIELDS.pop("follows_ever")
    with pytest.raises(ConfigError, match="unknown field"):
        A.parse("follows_ever >= 1")


def test_a_profile_older_than_the_cached_ones_is_kept_while_it_is_used(ws):
    """Going back in time: each new date is older than the cached ones and must not evict itself."""
    from siyu.audiences.evaluate import _PROFILES, KEEP_PROFILES

    for back in range(0, 5 * 30, 30):
        t = T - dt.timedelta(days=back)
        assert A.count(ws, A.parse("aipl is not null"), t)["universe"] >= 1
        assert t in _PROFILES[ws.engine]
    assert len(_PROFILES[ws.engine]) == KEEP_PROFILES
