"""Golden data tests of the GAIN SQL models (``gain_indicators``, ``gain_g3_channels``, ``gain_value_per_user``).

In-memory DuckDB with the contract tables; every value is worked out by hand from docs/gain.md §The 12 indicators in
the comments. Snapshot T = 2024-12-31; W30 = T-29..T, W90 = T-89..T, the base window T-454..T-90, last year's 90
days T-454..T-365; new-customer look-back 365 days.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest
from golden import run_model

from siyu.contract.loader import create_schema

T = dt.date(2024, 12, 31)


def day(n: int) -> dt.date:
    return T - dt.timedelta(days=n)


def ts(n: int, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day(n), dt.time(hour))


ORDERS = [  # order_id, user_id, paid_at, amount, refund_amount, channel
    ("o1", "n1", ts(5), 30, 0, "search"),        # n1: first purchase ever, in W30
    ("o2", "n2", ts(400), 100, 0, "xhs"),        # n2: new last year (T-400), base spend 100 ...
    ("o3", "n2", ts(20), 60, 0, "ads_feed"),     # ... and new again in W30 (T-400 is > 365 days before T-20)
    ("o4", "n3", ts(200), 200, 0, "search"),     # n3: base spend 200
    ("o5", "n3", ts(3), 80, 0, "search"),        # T-200 is within 365 days before T-3: not new
    ("o6", "n4", ts(60), 45, 0, None),           # n4: first purchase in W90, not in W30; no channel
    ("o7", "ly1", ts(400), 50, 0, "xhs"),        # ly1: new last year, base spend 50
    ("o8", "b4", ts(300), 10, 0, "search"),      # b4: base spend 10
    ("o9", "b5", ts(150), 400, 0, "search"),     # b5: base spend 400 ...
    ("o10", "b5", ts(30), 30, 0, "search"),      # ... bought again in W90 (not new; T-30 is outside W30)
    ("o11", "rf", ts(10), 70, 70, "search"),     # fully refunded: not a purchase
]
ITEMS = [("o1", "N", 1, 30), ("o3", "A", 1, 60), ("o4", "A", 1, 200), ("o5", "A", 1, 40), ("o5", "B", 1, 40)]
PRODUCTS = [  # sku, category_leaf, brand, launch_date
    ("A", "lipstick", "X", day(1000)), ("B", "mascara", "X", day(250)), ("N", "lipstick", "Y", day(30))]
EVENTS = [  # event_id, user_id, ts, type, keyword_type, channel
    ("e1", "n1", ts(10), "search", "brand", None),    # brand search 5 days before n1's first purchase: G1
    ("e2", "n2", ts(40), "visit", None, "direct"),    # direct, but 20 days before n2's first purchase in W30
    ("e3", "mx", ts(30), "favorite", None, None),     # T-30: just outside W30
]
MEMBERSHIPS = [  # user_id, joined_at, left_at
    ("n1", ts(2), None), ("n2", ts(600), None), ("n3", ts(500), None), ("mx", ts(50), None),
    ("b5", ts(100), ts(10)),                           # left before T: not a member
]
REACH = [  # message_id, user_id, ts, channel, status
    ("m1", "n1", ts(1), "sms", "opened"), ("m2", "n3", ts(30), "sms", "delivered"),  # T-30: outside W30
    ("m3", "mx", ts(2), "sms", "failed"),
]
USERS = [("n1", False, "hv;pot"), ("n4", True, "main"), ("b4", None, "hv")]  # user_id, is_88vip, tags
STAGE90 = pa.table({"user_id": ["n1", "ly1", "b4"], "stage": ["I", "I", "A"]})

PARAMS = dict(as_of=T, new_cust_lookback_days=365, high_value_pct=0.8, mid_low=0.2, mid_high=0.8, reach_days=30,
              new_product_days=180, category_level="leaf", crossbuy_dimension="category", audience_mode="internal",
              crowd_a1="hv", crowd_a2="main", crowd_a3="pot")


@pytest.fixture
def conn():
    c = duckdb.connect()
    create_schema(c)
    c.executemany("INSERT INTO orders (order_id, user_id, paid_at, amount, refund_amount, channel) "
                  "VALUES (?, ?, ?, ?, ?, ?)", ORDERS)
    c.executemany("INSERT INTO order_items (order_id, sku, qty, amount) VALUES (?, ?, ?, ?)", ITEMS)
    c.executemany("INSERT INTO products (sku, category_leaf, brand, launch_date) VALUES (?, ?, ?, ?)", PRODUCTS)
    c.executemany("INSERT INTO events (event_id, user_id, ts, type, keyword_type, channel) VALUES (?, ?, ?, ?, ?, ?)",
                  EVENTS)
    c.executemany("INSERT INTO memberships (user_id, joined_at, left_at) VALUES (?, ?, ?)", MEMBERSHIPS)
    c.executemany("INSERT INTO reach_log (message_id, user_id, ts, channel, status) VALUES (?, ?, ?, ?, ?)", REACH)
    c.executemany("INSERT INTO users (user_id, is_88vip, tags) VALUES (?, ?, ?)", USERS)
    c.register("_stage90", STAGE90)
    yield c
    c.close()


def test_gain_indicators_golden(conn):
    (row,) = run_model(conn, "gain_indicators", **PARAMS)
    assert row == {
        # G1: new in W30 = n1 (T-5), n2 (T-20); n1 searched the brand in [d0-14, d0]; n2's direct visit is earlier
        "g1_num": 1, "g1_den": 2,
        # G2: new in W90 = n1, n2, n4 of the W90 buyers n1 n2 n3 n4 b5 (rf's order was refunded)
        "g2_num": 3, "g2_den": 5,
        # G3: new in W90 (3) against new in T-454..T-365 (n2 and ly1 at T-400)
        "g3_num": 3, "g3_den": 2,
        # base spends 10 (b4), 50 (ly1), 100 (n2), 200 (n3), 400 (b5): P80 = 200 + 0.2 * 200 = 240,
        # P20 = 10 + 0.8 * 40 = 42. A1 base = b5 (bought at T-30); A2 base = ly1 n2 n3, of whom n2 and n3 bought in
        # W90; A3 base = stage I at T-90 = n1 (bought) and ly1
        "a1_num": 1, "a1_den": 1, "a2_num": 2, "a2_den": 3, "a3_num": 1, "a3_den": 2,
        # members at T: n1 n2 n3 mx (b5 left). Old customers (W365 buyer, first purchase before T-364): n2, a member
        "i1_num": 1, "i1_den": 1,
        # engaged in W30: n1 n2 n3 bought there; mx's favourite at T-30 is outside
        "i2_num": 3, "i2_den": 4,
        # reached in W30: n1 (opened); n3's message is at T-30, mx's failed
        "i3_num": 1, "i3_den": 4,
        # purchasing members in W365: n1 (1 day), n2 (1 day: T-400 is outside), n3 (2 days)
        "n1_num": 1, "n1_den": 3,
        # categories in W365: n3 lipstick + mascara; n1 lipstick; n2 lipstick
        "n2_num": 1, "n2_den": 3,
        # new SKU (within 180 days of launch): n1's N bought 25 days after launch; n3's B 247 days after (T-3) and
        # not bought at T-200 (only A then)
        "n3_num": 1, "n3_den": 3,
        # W90 buyers n1 n2 n3 n4 b5, of whom n4 is an 88VIP
        "vip88_num": 1, "vip88_den": 5,
    }


def test_gain_indicators_platform_audiences(conn):
    (row,) = run_model(conn, "gain_indicators", **(PARAMS | {"audience_mode": "platform"}))
    # crowds from tags: A1 "hv" = n1 (bought in W90), b4 (did not); A2 "main" = n4 (bought); A3 "pot" = n1 (bought)
    assert (row["a1_num"], row["a1_den"], row["a2_num"], row["a2_den"], row["a3_num"], row["a3_den"]) == (
        1, 2, 1, 1, 1, 1)


def test_gain_indicators_crossbuy_by_brand(conn):
    (row,) = run_model(conn, "gain_indicators", **(PARAMS | {"crossbuy_dimension": "brand"}))
    assert (row["n2_num"], row["n2_den"]) == (0, 3)  # n3's lipstick and mascara are both brand X


def test_gain_g3_channels_golden(conn):
    rows = run_model(conn, "gain_g3_channels", as_of=T, new_cust_lookback_days=365)
    # this year (W90): n1 search, n2 ads_feed (its first order in the window), n4 no channel -> unknown;
    # last year: n2 and ly1, both xhs. Ordered by this year's new buyers, then channel
    assert [(r["channel"], r["new_buyers"], r["new_buyers_last_year"]) for r in rows] == [
        ("ads_feed", 1, 0), ("search", 1, 0), ("unknown", 1, 0), ("xhs", 0, 2)]


def test_gain_value_per_user_golden(conn):
    (row,) = run_model(conn, "gain_value_per_user", as_of=T)
    # W365 buyers (spend, purchase days, member, categories): n1 (30, 1, yes, 1), n2 (60, 1, yes, 1),
    # n3 (200 + 80, 2, yes, 2), n4 (45, 1, no), b4 (10, 1, no), b5 (400 + 30, 2, no); T-400 orders are outside
    assert row == pytest.approx({
        "spend_per_buyer": 855 / 6,
        "spend_per_member_buyer": 370 / 3,
        "spend_per_nonmember_buyer": 485 / 3,
        "spend_per_repeat_buyer": (280 + 430) / 2,
        "spend_per_once_buyer": (30 + 60 + 45 + 10) / 4,
        "spend_per_multicat_member": 280.0,
        "spend_per_single_cat_member": (30 + 60) / 2,
    })
