"""Self-checks of the pandas reference (tests/reference/assets_pandas.py) on hand-computed fixtures.

Every expected label below was worked out by hand from docs/customer-assets.md; the comment next to it
gives the reasoning. Snapshot T = 2024-06-30 (2024 is a leap year):
W15 = 06-16..06-30, W30 = 06-01..06-30, W60 = 05-02..06-30, W180 = 2024-01-02..06-30,
W365 = 2023-07-02..2024-06-30, W730 = 2022-07-02..2024-06-30, W913 = 2021-12-31..2024-06-30.
``d(k)`` is the timestamp T−k days at 12:00 (``k < 0`` is after T).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from . import assets_pandas as R

T = dt.date(2024, 6, 30)


def d(k: int, hh: str = "12:00:00") -> pd.Timestamp:
    return pd.Timestamp(f"{T - dt.timedelta(days=k)} {hh}")


def tables(users=(), orders=(), events=(), follows=(), memberships=(), reach=()):
    """Frames from short tuples. orders: (user, k, amount, refund); events: (user, k, type[, keyword, rating]);
    follows: (user, k_followed, k_unfollowed|None); memberships: (user, k_joined, k_left|None, tier);
    reach: (user, k); users: (user, is_88vip)."""
    ev = [(e + (None, None))[:5] for e in events]
    return {
        "users": pd.DataFrame(list(users), columns=["user_id", "is_88vip"]),
        "orders": pd.DataFrame([(f"o{i}", u, d(k) if not isinstance(k, pd.Timestamp) else k, a, r)
                                for i, (u, k, a, r) in enumerate(orders)],
                               columns=["order_id", "user_id", "paid_at", "amount", "refund_amount"]),
        "events": pd.DataFrame([(u, d(k), ty, kw, rt) for u, k, ty, kw, rt in ev],
                               columns=["user_id", "ts", "type", "keyword_type", "rating"]),
        "follows": pd.DataFrame([(u, d(a), None if b is None else d(b)) for u, a, b in follows],
                                columns=["user_id", "followed_at", "unfollowed_at"]),
        "memberships": pd.DataFrame([(u, d(a), None if b is None else d(b), tier) for u, a, b, tier in memberships],
                                    columns=["user_id", "joined_at", "left_at", "tier"]),
        "reach_log": pd.DataFrame([(u, d(k), "sms", "delivered") for u, k in reach],
                                  columns=["user_id", "ts", "channel", "status"]),
    }


def as_dict(df: pd.DataFrame, col: str) -> dict:
    return {u: (None if (v is None or (isinstance(v, float) and np.isnan(v))) else v)
            for u, v in zip(df["user_id"], df[col])}


# ------------------------------------------------------------------------------------------------------------
# AIPL
# ------------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def aipl_t():
    return tables(
        users=[("a22", False)],
        orders=[
            ("a1", 29, 50, 0), ("a1", 29, 60, 0),             # two orders one day -> 1 purchase day -> P
            ("a2", 29, 50, 0), ("a2", 60, 50, 0),             # 2 purchase days in W365 -> L
            ("a3", 29, 50, 0), ("a3", 60, 50, 50),            # second fully refunded -> 1 day -> P
            ("a4", 29, 100, 0), ("a4", 60, 100, 50),          # partial refund still a purchase -> L
            ("a5", 364, 10, 0), ("a5", 0, 10, 0),             # T-364 is inside W365 -> L
            ("a6", 365, 10, 0), ("a6", 0, 10, 0),             # T-365 is outside W365 -> P
            ("a7", -1, 10, 0), ("a7", -2, 10, 0),             # only after T -> none
            ("a23", 10, 10, 0), ("a23", 20, 10, 0), ("a23", 30, 10, 0),  # 3 days: L (also with min 3)
            ("a24", 100, 10, 0), ("a25", 100, 10, 0),         # 1 purchase + review 5 / review 3
            ("a27", 912, 10, 0),                              # T-912 = 2021-12-31 first day of W913 -> P
            ("a27b", 913, 10, 0),                             # T-913 outside W913 -> none
            ("a28", pd.Timestamp("2024-06-30 23:59:59.999999"), 10, 0),  # last instant of T -> P
            ("a28b", pd.Timestamp("2024-07-01 00:00:00"), 10, 0),        # first instant after T -> none
        ],
        events=[
            ("a8", 14, "add_cart"), ("a9", 15, "add_cart"),    # T-14 in W15 -> I; T-15 out -> none
            ("a10", 10, "visit"), ("a10", 9, "visit"),         # 2 visit days -> I
            ("a11", 10, "visit"), ("a11b", 10, "visit"),       # 1 visit day each... (a11 gets a 2nd same day)
            ("a11", 10, "visit"),                              # a11: 2 visits on one day -> A
            ("a12", 3, "pdp_view"), ("a12", 3, "pdp_view"),    # 2 pdp_view events (same day) -> I
            ("a13", 3, "pdp_view"),                            # 1 pdp_view -> A
            ("a14", 3, "search", "brand"), ("a15", 3, "search", "category"),  # brand search I / category A
            ("a16", 3, "ad_click"),                            # A; I when ad_click_stage='I'
            ("a21", 0, "impression"),                          # impression on T -> A
            ("a24", 50, "review", None, 5), ("a25", 50, "review", None, 3),
            ("a26", 5, "review", None, 5),                     # review, no purchase -> A (any event in W15)
            ("a29", -1, "add_cart"),                           # event after T only -> none
            ("a30", 2, "coupon_claim"), ("a31", 2, "link_click"), ("a32", 2, "live_view"),  # I, I, A
        ],
        follows=[("a17", 10, None), ("a18", 60, None),       # follow in W15 -> I; follow 60 days ago -> none
                 ("a33", 10, 5)],                             # followed in W15 though unfollowed since -> I
        memberships=[("a19", 5, None, "V1")],                 # joined in W15 -> I
        reach=[("a20", 1)],                                   # reach_log only -> universe, none
    )


AIPL_DEFAULT = {
    "a1": "P", "a2": "L", "a3": "P", "a4": "L", "a5": "L", "a6": "P", "a7": "none", "a8": "I", "a9": "none",
    "a10": "I", "a11": "A", "a11b": "A", "a12": "I", "a13": "A", "a14": "I", "a15": "A", "a16": "A", "a17": "I",
    "a18": "none", "a19": "I", "a20": "none", "a21": "A", "a22": "none", "a23": "L", "a24": "P", "a25": "P",
    "a26": "A", "a27": "P", "a27b": "none", "a28": "P", "a28b": "none", "a29": "none", "a30": "I", "a31": "I",
    "a32": "A", "a33": "I",
}


def test_aipl_default(aipl_t):
    out = R.aipl(aipl_t, T)
    assert len(out) == len(AIPL_DEFAULT) and out["user_id"].is_unique  # one row per universe user
    assert as_dict(out, "stage") == AIPL_DEFAULT


def test_aipl_options(aipl_t):
    # ad_click as I: a16 A -> I
    assert as_dict(R.aipl(aipl_t, T, ad_click_stage="I"), "stage") == {**AIPL_DEFAULT, "a16": "I"}
    # L needs 3 purchase days: a2, a4, a5 (2 days) drop to P; a23 (3 days) stays L
    assert as_dict(R.aipl(aipl_t, T, l_min_purchase_days=3), "stage") == {
        **AIPL_DEFAULT, "a2": "P", "a4": "P", "a5": "P"}
    # positive review: a24 (purchase + rating 5 in W365) -> L; a25 (rating 3) stays P; a26 (no purchase) stays A
    assert as_dict(R.aipl(aipl_t, T, l_include_positive_review=True), "stage") == {**AIPL_DEFAULT, "a24": "L"}
    # as_of one day later: the a28b order (07-01 00:00) and a7 order (07-01) become purchases
    later = as_dict(R.aipl(aipl_t, T + dt.timedelta(days=1)), "stage")
    # and W15 moves on: a8's add_cart (T-14) falls out of it
    assert later["a28b"] == "P" and later["a7"] == "P" and later["a8"] == "none" and later["a10"] == "I"
    with pytest.raises(ValueError):
        R.aipl(aipl_t, T, ad_click_stage="X")


# ------------------------------------------------------------------------------------------------------------
# pools
# ------------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pools_t():
    return tables(
        orders=[
            ("f4", 172, 10, 0), ("f5", 172, 10, 0), ("f6", 20, 10, 0), ("f12", 100, 10, 0),
            # members with a purchase in W365 (population of P80): spends 10 (m1: 2 days 4+6), 20, 30, 40, 50, 60
            ("m1", 200, 4, 0), ("m1", 100, 6, 0),           # 2 purchase days -> quality whatever the spend
            ("m2", 100, 20, 0), ("m3", 100, 30, 0), ("m4", 100, 40, 0),
            ("m5", 100, 50, 0), ("m6", 100, 70, 10),        # m6 spend 60 after a partial refund
            ("m7", 100, 80, 80),                            # fully refunded: not a buyer, not in the population
            # customers
            ("c1", 10, 10, 0),                                         # first purchase ever -> new
            ("c2", 10, 10, 0), ("c2", 200, 10, 0),                     # previous within 365 d of d0 -> old
            ("c3", 10, 10, 0), ("c3", 10 + 366, 10, 0),                # previous at d0-366 -> new
            ("c3b", 10, 10, 0), ("c3b", 10 + 365, 10, 0),              # previous at d0-365 -> old
            ("c4", 400, 10, 0),                                        # T-400 only -> lapsed
            ("c5", 729, 10, 0),                                        # T-729 -> lapsed
            ("c5b", 730, 10, 0), ("c5b", 0, 10, 10),                   # T-730: not lapsed, P stage -> None
            ("c5c", 365, 10, 0),                                       # T-365 -> lapsed (first day of range)
            ("c9", 800, 10, 0),                                        # P stage, no prospect -> None
            ("c10", 29, 10, 0),                                        # d0 = T-29 (W30 start) -> new
            ("c10b", 30, 10, 0),                                       # T-30 outside W30 -> old
            ("c11", 20, 10, 0), ("c11", 5, 10, 0), ("c11", 20 + 366, 10, 0),  # d0=T-20, prev d0-366 -> new
            ("c12", 20, 10, 0), ("c12", 5, 10, 0), ("c12", 20 + 300, 10, 0),  # prev d0-300 -> old
        ],
        events=[
            ("f2", 29, "visit"), ("f3", 10, "add_cart"), ("f4", 5, "visit"), ("f5", 41, "visit"),
            ("f8", 5, "visit"), ("f9", 5, "impression"), ("f10", 59, "visit"), ("f10b", 60, "visit"),
            ("f12", 2, "favorite"), ("f3b", 16, "add_cart"),
            ("m8", 179, "visit"), ("m9", 5, "impression"), ("m10", 180, "visit"),
            ("c6", 3, "add_cart"), ("c7", 3, "impression"), ("c9", 3, "visit"), ("c8", 20, "visit"),
        ],
        follows=[
            ("f1", 200, None), ("f2", 200, None), ("f3", 200, None), ("f3b", 200, None), ("f4", 200, None),
            ("f5", 200, None), ("f6", 200, None), ("f7", 200, 0), ("f8", 200, 150), ("f8", 90, None),
            ("f9", 200, None), ("f10", 200, None), ("f10b", 200, None), ("f11", -1, None), ("f12", 200, None),
        ],
        memberships=[
            ("m1", 300, None, "V1"), ("m2", 300, None, "V1"), ("m3", 300, None, "V1"), ("m4", 300, None, "V1"),
            ("m5", 300, None, "V1"), ("m6", 300, None, "V1"), ("m7", 300, None, "V1"),
            ("m8", 300, None, "V1"), ("m9", 300, None, "V1"), ("m10", 300, None, "V1"),
            ("m11", 300, 0, "V1"), ("m12", 300, 50, "V1"),   # left on T / before T -> not members
            ("m13", 300, 250, "V1"), ("m13", 200, None, "V2"),  # left and re-joined -> member, no activity
        ],
    )


def test_fan_pool(pools_t):
    out = R.pools(pools_t, T)
    fan, hi = as_dict(out, "fan_pool"), as_dict(out, "high_intent")
    expected = {
        "f1": "silent",        # fan, nothing at all
        "f2": "opportunity",   # visit T-29, no purchase
        "f3": "opportunity",   # add_cart T-10 -> high intent
        "f3b": "opportunity",  # add_cart T-16 is in W60 but not W15 -> not high intent
        "f4": "active",        # purchase T-172 (W365) + visit T-5 (W30)
        "f5": "ordinary",      # purchase T-172 + last activity T-41
        "f6": "active",        # a purchase T-20 is itself activity in W30
        "f7": None,            # unfollowed on T
        "f8": "opportunity",   # unfollowed T-150, re-followed T-90 -> fan; visit T-5
        "f9": "silent",        # impressions are not activity
        "f10": "opportunity",  # visit T-59 = first day of W60
        "f10b": "silent",      # visit T-60 just outside W60
        "f11": None,           # follows after T
        "f12": "active",       # purchase + favorite T-2 -> active; high_intent only for opportunity
    }
    assert {u: fan[u] for u in expected} == expected
    assert {u for u, v in hi.items() if v} == {"f3"}
    assert all(fan[u] is None for u in fan if not u.startswith("f"))


def test_member_pool(pools_t):
    out = R.pools(pools_t, T)
    mem = as_dict(out, "member_pool")
    # P80 over W365 spend of members with a purchase: [10, 20, 30, 40, 50, 60] (m7 fully refunded excluded);
    # (6-1)*0.8 = 4 -> threshold = 50 exactly: m5 (50, at threshold) and m6 (60) qualify, m4 (40) does not.
    expected = {
        "m1": "quality",     # 2 purchase days
        "m2": "potential", "m3": "potential", "m4": "potential",  # 1 day, below P80, purchase = activity in W180
        "m5": "quality", "m6": "quality",
        "m7": "silent",      # its only order is fully refunded: not a purchase, not activity
        "m8": "potential",   # visit T-179 in W180
        "m9": "silent",      # impressions only
        "m10": "silent",     # visit T-180 just outside W180
        "m11": None, "m12": None,  # left on T / before T
        "m13": "silent",     # re-joined member with no activity
    }
    assert {u: mem[u] for u in expected} == expected
    # a tie at the threshold: lift m4 to 50 -> population [10,20,30,50,50,60], P80 = x[4] = 50 -> m4, m5 quality
    t2 = dict(pools_t)
    o = t2["orders"].copy()
    o.loc[o["user_id"] == "m4", "amount"] = 50
    t2["orders"] = o
    mem2 = as_dict(R.pools(t2, T), "member_pool")
    assert mem2["m4"] == "quality" and mem2["m5"] == "quality" and mem2["m3"] == "potential"


def test_customer_pool(pools_t):
    out = R.pools(pools_t, T)
    cus = as_dict(out, "customer_pool")
    expected = {
        "c1": "new", "c2": "old", "c3": "new", "c3b": "old", "c4": "lapsed", "c5": "lapsed",
        "c5b": None,     # T-730 purchase is outside T-729..T-365 and inside W913 (P), refunded order on T ignored
        "c5c": "lapsed", "c9": None,
        "c6": "prospect",   # stage I, no purchase in W913
        "c7": "prospect",   # stage A
        "c8": None,         # visit T-20: outside W15 -> stage none
        "c10": "new", "c10b": "old", "c11": "new", "c12": "old",
        "m2": "old",        # buyer in W365
        "m7": None,         # fully refunded only; no events -> none
        "f3": "prospect",   # fan with add_cart in W15 -> I
        "f1": None,         # fan with nothing: AIPL none (follow 200 days ago)
    }
    assert {u: cus[u] for u in expected} == expected


# ------------------------------------------------------------------------------------------------------------
# UCMV
# ------------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ucmv_t():
    return tables(
        users=[("v1", False), ("b6", True), ("n1", True), ("n2", True), ("b4", False)],
        orders=[
            ("v1", 10, 1000, 0), ("v2", 20, 1000, 0),
            ("b3", 10, 150, 0), ("b3", 40, 150, 0),
            ("b4", 10, 200, 0),
            ("b5", 10, 30, 0), ("b5", 20, 30, 0), ("b5", 30, 40, 0),
            ("b6", 10, 50, 0),
            ("t1", 10, 60, 0), ("t3", 10, 70, 0), ("t4", 10, 80, 0),
            ("x1", 10, 500, 500),                # fully refunded: not a buyer; no events -> None
            ("x2", 400, 5000, 0),                # outside W365: not a buyer, no events in W365 -> None
        ],
        events=[("n1", 5, "visit"), ("u1", 300, "impression"), ("u2", 365, "visit")],
        follows=[("u3", 100, None)],
        memberships=[("t1", 100, None, "V3"), ("t2", 100, None, "V3"), ("t3", 100, None, "V1"),
                     ("t4", 100, 50, "V5"), ("t5", 100, None, "VX")],
        reach=[("u4", 3)],
    )


def test_ucmv(ucmv_t):
    # buyers' W365 spend sorted: [50 b6, 60 t1, 70 t3, 80 t4, 100 b5, 200 b4, 300 b3, 1000 v1, 1000 v2], n = 9
    # P95: 8*0.95 = 7.6 -> x7 + 0.6*(x8-x7) = 1000 (tie) -> v1 and v2 V.  P50: 8*0.5 = 4 -> x4 = 100.
    # top tier among members at T: V3 (t4's V5 spell ended; VX is not in tier_order) -> t1 (buyer) V, t2 (no buy) U
    expected = {
        "v1": "V", "v2": "V",
        "b3": "M",    # 2 purchase days, 300 >= 100
        "b4": "C",    # 1 day
        "b5": "M",    # 3 purchase days
        "b6": "V",    # 88VIP buyer
        "n1": "U",    # 88VIP non-buyer with a visit: not V
        "n2": None,   # 88VIP, nothing else
        "t1": "V", "t2": "U", "t3": "C", "t4": "C", "t5": "U",
        "x1": None, "x2": None,
        "u1": "U",    # impression T-300
        "u2": None,   # visit T-365 outside W365
        "u3": "U",    # fan
        "u4": None,   # reach_log only
    }
    out = R.ucmv(ucmv_t, T)
    assert as_dict(out, "stage") == expected
    only_spend = as_dict(R.ucmv(ucmv_t, T, vip_rule=("top_spend",)), "stage")
    assert only_spend == {**expected, "b6": "C", "t1": "C"}
    # 88vip + top_tier only: v1, v2 are 1-day buyers with 1000 >= P50 but 1 day -> C
    assert as_dict(R.ucmv(ucmv_t, T, vip_rule=("88vip", "top_tier")), "stage") == {**expected, "v1": "C", "v2": "C"}
    # tier order with V1 on top: t3 (V1, buyer) becomes V; t1 (V3) drops to C
    t_rev = as_dict(R.ucmv(ucmv_t, T, tier_order=("V3", "V1")), "stage")
    assert t_rev["t3"] == "V" and t_rev["t1"] == "C"


# ------------------------------------------------------------------------------------------------------------
# RFM
# ------------------------------------------------------------------------------------------------------------

def test_rfm():
    t = tables(orders=[
        ("r1", 0, 100, 0), ("r1", 3, 100, 100),                    # refunded order ignored: rec 0, 1 day, 100
        ("r2", 10, 150, 0), ("r2", 40, 100, 50),                   # rec 10, 2 days, 200 (partial refund)
        ("r3", 10, 100, 0), ("r3", 10, 50, 0), ("r3", 20, 25, 0), ("r3", 30, 25, 0),  # rec 10, 3 days, 200
        ("r4", 100, 50, 0), ("r4", 400, 999, 0),                   # rec 100, 1 day, 50 (T-400 outside W365)
        ("r5", 300, 200, 0), ("r5", 301, 200, 0), ("r5", 302, 200, 0), ("r5", 303, 200, 0), ("r5", 304, 200, 0),
    ])
    out = R.rfm(t, T).set_index("user_id")
    # n = 5 so score = rank. recency ordered descending: 300 (1), 100 (2), 10,10 (3,3), 0 (5)
    # frequency ascending: 1,1 (1,1), 2 (3), 3 (4), 5 (5); monetary: 50 (1), 100 (2), 200,200 (3,3), 1000 (5)
    exp = pd.DataFrame({
        "recency": [0, 10, 10, 100, 300], "frequency": [1, 2, 3, 1, 5], "monetary": [100.0, 200.0, 200.0, 50.0, 1000.0],
        "r": [5, 3, 3, 2, 1], "f": [1, 3, 4, 1, 5], "m": [2, 3, 3, 1, 5],
        "group": ["new_customers", "need_attention", "loyal_customers", "hibernating", "cant_lose_them"],
    }, index=pd.Index(["r1", "r2", "r3", "r4", "r5"], name="user_id"))
    assert out.sort_index()[exp.columns].astype(object).equals(exp.astype(object))


def test_rfm_score_formula():
    # 7 buyers with distinct frequencies 1..7 on distinct last days -> ranks 1..7, score = 1 + floor(5(rank-1)/7)
    orders = [(f"q{i}", k, 10, 0) for i in range(1, 8) for k in range(i)]
    out = R.rfm(tables(orders=orders), T).set_index("user_id").sort_index()
    assert out["f"].tolist() == [1, 1, 2, 3, 3, 4, 5]          # floor(5*[0..6]/7) + 1
    assert out["m"].tolist() == [1, 1, 2, 3, 3, 4, 5]
    assert (out["recency"] == 0).all() and (out["r"] == 1).all()  # everyone bought on T: all tie at rank 1


# ------------------------------------------------------------------------------------------------------------
# FAST and transitions
# ------------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fast_t():
    return tables(
        orders=[("x3", 2, 10, 0), ("x4", 100, 10, 0), ("x4", 1, 10, 0), ("x5", 100, 10, 0), ("x5", 200, 10, 0)],
        events=[("x1", 10, "impression"), ("x1", 1, "add_cart"), ("x2", 8, "add_cart"), ("x6", 21, "impression"),
                ("mev", 29, "favorite"), ("mev2", 30, "favorite")],
        memberships=[("x4", 400, None, "V1"), ("x5", 400, None, "V1"), ("mev", 400, None, "V1"),
                     ("mev2", 400, None, "V1"), ("mleft", 400, 0, "V1")],
    )


def test_fast(fast_t):
    # stage at T-7 / T: x1 A/I (deepened), x2 I/I, x3 none/P, x4 P/L (deepened), x5 L/L, x6 A/none,
    # mev, mev2, mleft none/none.  F = 5; deepened = 2; could deepen (A,I,P at T-7) = x1,x2,x4,x6 = 4;
    # A or I at T-7 = x1,x2,x6 = 3, none of them P/L at T.  Members at T: x4,x5,mev,mev2 (mleft left on T);
    # active in W30 (T-29..T): x4 (purchase T-1), mev (favorite T-29) -> T = 2/4.
    out = R.fast(fast_t, T)
    assert out == {"F": 5, "A": 2 / 5, "A_could_deepen": 2 / 4, "ai_to_p_rate": 0 / 3, "S": 4, "T": 2 / 4}


def test_transitions(fast_t):
    m = R.aipl_transitions(fast_t, T - dt.timedelta(days=7), T)
    assert list(m.index) == list(m.columns) == ["none", "A", "I", "P", "L"]
    exp = np.zeros((5, 5), int)
    idx = {s: i for i, s in enumerate(R.STAGES)}
    for a, b, c in [("none", "none", 3), ("none", "P", 1), ("A", "I", 1), ("A", "none", 1), ("I", "I", 1),
                    ("P", "L", 1), ("L", "L", 1)]:
        exp[idx[a], idx[b]] = c
    assert (m.to_numpy() == exp).all()


def test_empty_tables():
    t = tables(users=[("z", False)])
    assert as_dict(R.aipl(t, T), "stage") == {"z": "none"}
    assert R.rfm(t, T).empty
    assert as_dict(R.ucmv(t, T), "stage") == {"z": None}
    assert R.fast(t, T)["A"] is None


# ------------------------------------------------------------------------------------------------------------
# invariants on a simulated store
# ------------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    from siyu.simulate import SimulationConfig, simulate_store, write_store

    tables_, truth = simulate_store(SimulationConfig(users=5000))
    out = tmp_path_factory.mktemp("sim")
    write_store(out / "pq", tables_, truth)
    write_store(out / "csv", tables_, truth, fmt="csv")
    return R.load_tables(out / "pq"), R.load_tables(out / "csv")


def test_simulated_invariants(sim):
    t, t_csv = sim
    as_of = t["orders"]["paid_at"].max().date()
    universe = set().union(*(set(t[k]["user_id"]) for k in R.UNIVERSE_TABLES))
    a = R.aipl(t, as_of)
    assert len(a) == len(universe) and set(a["user_id"]) == universe and a["user_id"].is_unique
    assert set(a["stage"]) <= set(R.STAGES) and a["stage"].notna().all()
    counts = a["stage"].value_counts()

    p = R.pools(t, as_of)
    assert len(p) == len(universe) and (p["user_id"].to_numpy() == a["user_id"].to_numpy()).all()
    ts_end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    f = t["follows"]
    fans = set(f.loc[(f.followed_at < ts_end) & (f.unfollowed_at.isna() | (f.unfollowed_at >= ts_end)), "user_id"])
    m = t["memberships"]
    members = set(m.loc[(m.joined_at < ts_end) & (m.left_at.isna() | (m.left_at >= ts_end)), "user_id"])
    assert set(p.loc[p.fan_pool.notna(), "user_id"]) == fans            # partition of the fans
    assert set(p.fan_pool.dropna()) <= {"silent", "opportunity", "active", "ordinary"}
    assert set(p.loc[p.member_pool.notna(), "user_id"]) == members      # partition of the members
    assert set(p.member_pool.dropna()) <= {"quality", "potential", "silent"}
    assert set(p.customer_pool.dropna()) <= {"new", "old", "lapsed", "prospect"}
    assert not (p.high_intent & (p.fan_pool != "opportunity")).any()
    # every buyer in W365 is new or old; prospects are A/I
    st = a.set_index("user_id")["stage"]
    assert set(st[p.set_index("user_id").customer_pool.eq("prospect")]) <= {"A", "I"}
    assert (p.customer_pool.isin(["new", "old"])).sum() == len(R.rfm(t, as_of))

    u = R.ucmv(t, as_of)
    assert len(u) == len(universe) and set(u.stage.dropna()) <= {"V", "M", "C", "U"}
    assert u.stage.isin(["V", "M", "C"]).sum() == len(R.rfm(t, as_of))

    t0 = as_of - dt.timedelta(days=30)
    mtx = R.aipl_transitions(t, t0, as_of)
    c0 = R.aipl(t, t0)["stage"].value_counts()
    for s in R.STAGES:
        assert mtx.loc[s].sum() == c0.get(s, 0)
        assert mtx[s].sum() == counts.get(s, 0)
    fs = R.fast(t, as_of)
    assert fs["F"] == len(universe) - counts.get("none", 0) and fs["S"] == len(members)

    # the CSV copy of the store gives identical answers
    for fn in (R.aipl, R.pools, R.ucmv, R.rfm):
        assert fn(t_csv, as_of).equals(fn(t, as_of))
