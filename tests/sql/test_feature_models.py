"""Golden data tests of the per-user feature snapshot (``user_features``), ``fast`` on top of it, and ``last_pay_date``.

In-memory DuckDB with the contract tables; every user is built by hand and its whole feature row worked out in the
comments from docs/customer-assets.md. Snapshot T = 2024-12-31; the windows are the defaults of ``[model]``
(A and I 15 days, P 913, L 365, member activity 30, RFM 365, new-customer look-back 365).
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


PARAMS = dict(as_of=T, event_days=365, short_days=30, a_days=15, i_days=15, p_days=913, l_days=365,
              l_min_purchase_days=2, l_include_positive_review=False, ad_click_stage="A", member_active_days=30,
              rfm_days=365, new_cust_lookback_days=365, tier_order=["V1", "V2", "V3"])

ORDERS = [  # order_id, user_id, paid_at, amount, refund_amount
    ("o1", "buyer", ts(0, 9), 100, 0), ("o2", "buyer", ts(0, 20), 50, 0),  # one purchase day on T: 150
    ("o3", "buyer", ts(40), 80, 30),                                        # partial refund: 50
    ("o4", "buyer", ts(400), 60, 0),                                        # T-400: in the lapsed range T-729..T-365
    ("o5", "buyer", ts(800), 10, 0),
    ("o6", "buyer", ts(-1), 999, 0),                                        # after T: not used
    ("o7", "newbie", ts(10), 20, 0),
    ("o8", "refunder", ts(3), 40, 40),                                      # fully refunded: not a purchase
]
EVENTS = [  # event_id, user_id, ts, type, keyword_type, rating
    ("e1", "browser", ts(2), "visit", None, None), ("e2", "browser", ts(5), "visit", None, None),  # 2 visit days in W15
    ("e3", "browser", ts(1), "impression", None, None),     # not activity
    ("e4", "browser", ts(100), "review", None, 5),          # positive review in W365
    ("e5", "browser", ts(20), "add_cart", None, None),      # outside W15 (not high intent), inside W30 (member active)
    ("e6", "adclicker", ts(3), "ad_click", None, None),
    ("e7", "future", ts(-1), "add_cart", None, None),       # after T: not used
]
FOLLOWS = [("browser", ts(200), None)]
MEMBERSHIPS = [  # user_id, joined_at, left_at, tier
    ("newbie", ts(5), None, "V2"),           # joined in W15 -> I action; tier V2 = rank 2
    ("newbie", ts(300), ts(100), "V3"),      # an ended spell: its tier does not count
]
USERS = [("buyer", True)]
REACH = [("m1", "ghost", ts(1), "sms", "delivered")]  # in the universe through reach_log only

NOBODY = dict(pdays_l=0, buys_l=False, pos_review_l=False, buys_p=False, i_action=False, any_event_a=False,
              pdays_365=0, spend_365=0.0, last_purchase=None, last_activity=None, bought_lapsed=False,
              new_in_30=False, high_intent=False, member_engaged=False, any_event_365=False, pdays_rfm=0,
              spend_rfm=0.0, last_purchase_rfm=None, is_fan=False, is_member=False, tier_rank=None, is_88vip=False,
              stage="none")

EXPECTED = {
    # purchase days T-800, T-400, T-40 (50), T (150): 2 in W365 -> L; the W30 day T follows T-40, within the
    # 365-day look-back -> not new; bought in W30 -> member-engaged (the flag does not need membership)
    "buyer": NOBODY | dict(pdays_l=2, buys_l=True, buys_p=True, pdays_365=2, spend_365=200.0, last_purchase=T,
                           last_activity=T, bought_lapsed=True, member_engaged=True, pdays_rfm=2, spend_rfm=200.0,
                           last_purchase_rfm=T, is_88vip=True, stage="L"),
    # first purchase ever T-10 -> new in W30, P; joined T-5 -> I action, member with tier V2 (rank 2)
    "newbie": NOBODY | dict(pdays_l=1, buys_l=True, buys_p=True, i_action=True, pdays_365=1, spend_365=20.0,
                            last_purchase=day(10), last_activity=day(10), new_in_30=True, member_engaged=True,
                            pdays_rfm=1, spend_rfm=20.0, last_purchase_rfm=day(10), is_member=True, tier_rank=2,
                            stage="P"),
    # 2 visit days in W15 -> I; last activity T-2 (the impression at T-1 is not activity); add_cart T-20 -> member
    # engaged but not high intent; a fan since T-200
    "browser": NOBODY | dict(pos_review_l=True, i_action=True, any_event_a=True, last_activity=day(2),
                             member_engaged=True, any_event_365=True, is_fan=True, stage="I"),
    "adclicker": NOBODY | dict(any_event_a=True, last_activity=day(3), any_event_365=True, stage="A"),
    "refunder": NOBODY,
    "future": NOBODY,
    "ghost": NOBODY,
}


@pytest.fixture
def conn():
    c = duckdb.connect()
    create_schema(c)
    c.executemany("INSERT INTO orders (order_id, user_id, paid_at, amount, refund_amount) VALUES (?, ?, ?, ?, ?)",
                  ORDERS)
    c.executemany("INSERT INTO events (event_id, user_id, ts, type, keyword_type, rating) VALUES (?, ?, ?, ?, ?, ?)",
                  EVENTS)
    c.executemany("INSERT INTO follows VALUES (?, ?, ?)", FOLLOWS)
    c.executemany("INSERT INTO memberships (user_id, joined_at, left_at, tier) VALUES (?, ?, ?, ?)", MEMBERSHIPS)
    c.executemany("INSERT INTO users (user_id, is_88vip) VALUES (?, ?)", USERS)
    c.executemany("INSERT INTO reach_log (message_id, user_id, ts, channel, status) VALUES (?, ?, ?, ?, ?)", REACH)
    yield c
    c.close()


def test_user_features_golden(conn):
    rows = {r.pop("user_id"): r for r in run_model(conn, "user_features", **PARAMS)}
    assert set(rows) == set(EXPECTED)
    for user, expected in EXPECTED.items():
        assert rows[user] == expected, user


def test_user_features_switched_options(conn):
    rows = {r["user_id"]: r for r in run_model(conn, "user_features", **(PARAMS | dict(
        ad_click_stage="I", l_include_positive_review=True, l_min_purchase_days=3)))}
    assert rows["adclicker"]["stage"] == "I"   # an ad click is an I action under Quick Audience's rule
    assert rows["buyer"]["stage"] == "P"       # 2 purchase days < 3
    assert rows["browser"]["stage"] == "I"     # a positive review makes L only for a buyer in W365


# --- fast ------------------------------------------------------------------------------------------------------------
def test_fast_golden():
    c = duckdb.connect()
    c.register("_features", pa.table({
        "user_id": ["f1", "f2", "f3", "f4", "f5", "f6"],
        "stage": ["L", "I", "P", "none", "A", "L"],
        "is_member": [True, True, False, False, False, False],
        "member_engaged": [True, False, True, False, False, False]}))  # f3's engagement does not count: no member
    c.register("_sprev", pa.table({"user_id": ["f1", "f2", "f3", "f4", "f6", "gone"],
                                   "stage": ["A", "I", "P", "A", "L", "I"]}))
    (row,) = run_model(c, "fast")
    # F: stage other than none at T: f1 f2 f3 f5 f6; deepened: f1 (A -> L); could deepen (A, I or P before):
    # f1 f2 f3 f4; A or I before: f1 f2 f4, of whom f1 reached P or L; members f1 f2, engaged f1.
    # "gone" (only at T - p) and f5 (no earlier stage) count in F only where they are at T
    assert row == {"f": 5, "deepened": 1, "could_deepen": 4, "ai_prev": 3, "ai_to_p": 1, "s": 2, "active_members": 1}
    c.close()


# --- last_pay_date ---------------------------------------------------------------------------------------------------
def test_last_pay_date_golden(conn):
    # the latest local pay date of any order (o6, paid the day after T; refunds do not matter)
    assert run_model(conn, "last_pay_date") == [{"d": T + dt.timedelta(days=1)}]
    conn.execute("DELETE FROM orders")
    assert run_model(conn, "last_pay_date") == [{"d": None}]
