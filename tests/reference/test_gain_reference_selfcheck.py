"""Self-checks of the pandas GAIN reference (tests/reference/gain_pandas.py) on hand-computed fixtures.

Every expected number below was worked out by hand from siyu's exact rules for the 12 values (docs/gain.md §The 12 indicators);
the comments give the reasoning. Snapshot T = 2024-06-30; ``k`` = days before T (``d(k)`` = T−k at 12:00, k < 0 is
after T). Windows in k: W30 = 0..29, W90 = 0..89, W365 = 0..364, last year's G3 window T−454..T−365 = 365..454,
A1/A2 base window B = T−454..T−90 = 90..454, "recent" T−89..T = 0..89, AIPL snapshot for A3 = T−90 (k = 90).
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pyarrow as pa
import pytest

from . import assets_pandas as R
from . import gain_pandas as G

T = dt.date(2024, 6, 30)


def d(k: int, hh: str = "12:00:00") -> pd.Timestamp:
    return pd.Timestamp(f"{T - dt.timedelta(days=k)} {hh}")


def day(k: int) -> dt.date:
    return T - dt.timedelta(days=k)


def tables(users=(), products=(), orders=(), items=(), events=(), memberships=(), reach=()):
    """Contract frames (shaped exactly as load_tables returns them) from short tuples.

    users: (user, is_88vip, tags); products: (sku, leaf, l1, brand, launch k | None);
    orders: (user, k | Timestamp, amount, refund[, channel[, order_id]]) -- order ids default to o000, o001 ...;
    items: (order_id, sku); events: (user, k | Timestamp, type[, keyword_type[, channel]]);
    memberships: (user, k_joined, k_left | None); reach: (user, k, status).
    """
    def ts(k):
        return k if isinstance(k, pd.Timestamp) else d(k)

    o_rows = []
    for i, row in enumerate(orders):
        u, k, a, r, ch, oid = (tuple(row) + (None, None))[:6]
        o_rows.append((oid or f"o{i:03d}", u, ts(k), a, r, ch))
    ev = [(tuple(e) + (None, None))[:5] for e in events]
    frames = {
        "users": pd.DataFrame(list(users), columns=["user_id", "is_88vip", "tags"]),
        "products": pd.DataFrame([(s, lf, l1, b, None if k is None else day(k)) for s, lf, l1, b, k in products],
                                 columns=["sku", "category_leaf", "category_l1", "brand", "launch_date"]),
        "orders": pd.DataFrame(o_rows, columns=["order_id", "user_id", "paid_at", "amount", "refund_amount", "channel"]),
        "order_items": pd.DataFrame([(o, s, 1, 1.0) for o, s in items], columns=["order_id", "sku", "qty", "amount"]),
        "events": pd.DataFrame([(u, ts(k), ty, kw, ch) for u, k, ty, kw, ch in ev],
                               columns=["user_id", "ts", "type", "keyword_type", "channel"]),
        "memberships": pd.DataFrame([(u, d(a), None if b is None else d(b)) for u, a, b in memberships],
                                    columns=["user_id", "joined_at", "left_at"]),
        "reach_log": pd.DataFrame([(u, d(k), "sms", st) for u, k, st in reach],
                                  columns=["user_id", "ts", "channel", "status"]),
    }
    out = {}
    for name in R.TABLES:
        f = frames.get(name)
        out[name] = R._to_frame(pa.Table.from_pandas(f, preserve_index=False) if f is not None and len(f) else None,
                                name)
    return out


def vals(res: dict) -> dict:
    return {k: (v["numerator"], v["denominator"], v["value"]) for k, v in res.items()}


# ------------------------------------------------------------------------------------------------------------
# G1 / G2 / G3
# ------------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def g_t():
    return tables(
        orders=[
            ("g1", 10, 50, 0),                       # new, d0 = T-10
            ("g2", 10, 50, 0),                       # new
            ("g3", 10, 50, 0),                       # new
            ("g4", 10, 50, 0),                       # new
            ("g5", 10, 50, 0), ("g5", 5, 50, 0), ("g5", 375, 50, 0),  # prior at d0-365 -> not new (both windows)
            ("g6", 10, 50, 0), ("g6", 376, 50, 0),   # prior at d0-366 -> new
            ("g7", 10, 50, 0), ("g7", 100, 50, 50),  # prior order fully refunded -> not a purchase -> new
            ("g8", 29, 50, 0),                       # d0 = T-29, first day of W30 -> new in W30
            ("g9", 30, 50, 0),                       # T-30: outside W30, new in W90
            ("g10", 20, 50, 0), ("g10", 200, 50, 0),  # prior within 365 d -> not new
            ("g11", 5, 50, 0), ("g11", 40, 50, 0),   # W30: d0=T-5 but bought T-40 -> not new; W90: d0=T-40 -> new
            ("g12", -1, 50, 0),                      # after T only -> nothing
            ("g13", 89, 50, 0),                      # T-89 first day of W90 -> new in W90
            ("g14", 90, 50, 0),                      # T-90 outside W90
            ("g15", 3, 50, 50),                      # only a fully refunded order -> not a buyer
            # last year's window (k 365..454); g5 (k 375, no prior) and g6 (k 376) are new there as well
            ("h1", 454, 50, 0),                      # first day of the window -> new
            ("h2", 455, 50, 0),                      # just before the window -> not counted
            ("h3", 365, 50, 0), ("h3", 500, 50, 0),  # prior at d0-135 -> not new
            ("h4", 365, 50, 0), ("h4", 400, 50, 50),  # last day of the window; prior refunded -> new
        ],
        events=[
            ("g1", 24, "search", "brand"),                 # d0-14 -> counts
            ("g2", 25, "search", "brand"),                 # d0-15 -> too early
            ("g3", d(10, "18:00:00"), "visit", None, "direct"),  # same local day, after the purchase -> counts
            ("g4", 9, "visit", None, "direct"),            # d0+1 -> after d0, does not count
            ("g4", 12, "search", "category"),              # category search -> no
            ("g4", 12, "visit", None, "search"),           # channel search -> no
            ("g6", 20, "search", "brand"),                 # counts
            ("g8", 43, "pdp_view", None, "direct"),        # d0-14 of d0=T-29 (outside W30 itself) -> counts
            ("g9", 31, "search", "brand"),                 # g9 not a W30 buyer -> irrelevant
            ("g10", 20, "search", "brand"),                # not new -> irrelevant
        ],
    )


def test_g1_g2_g3(g_t):
    r = G.gain_indicators(g_t, T)
    # new buyers in W30: g1 g2 g3 g4 g6 g7 g8 (g5 prior at d0-365, g9 outside W30, g10 not new, g11 bought T-40)
    # with a brand search / direct event in d0-14..d0: g1 (d0-14), g3 (same day), g6, g8 -> 4/7
    assert vals(r)["G1"] == (4, 7, 4 / 7)
    # buyers in W90: g1..g11 + g13 = 12 (g12 after T, g14 T-90, g15 refunded)
    # new in W90: g1 g2 g3 g4 g6 g7 g8 g9 g11 g13 = 10 (g5: prior at d0-365; g10: prior T-200)
    assert vals(r)["G2"] == (10, 12, 10 / 12)
    # last year's new buyers: g5 (T-375), g6 (T-376), h1 (T-454), h4 (T-365) = 4 -> 10/4 - 1 = 1.5
    assert vals(r)["G3"] == (10, 4, 1.5)
    assert G.gain_sets(g_t, T)["G1"][0] == {"g1", "g3", "g6", "g8"}


def test_new_cust_lookback_option(g_t):
    # lookback 366: g6 (prior at d0-366) is no longer new in W30/W90; g5 was not new already
    r = G.gain_indicators(g_t, T, new_cust_lookback_days=366)
    assert vals(r)["G1"] == (3, 6, 3 / 6)
    assert vals(r)["G2"][:2] == (9, 12)
    # lookback 100: g10 (prior at d0-180) and g5 (prior at d0-365) become new; g11 in W30 still not (d0-35);
    # g10's brand search is on its d0 (T-20) -> G1 = g1 g3 g6 g8 g10 / 9
    r = G.gain_indicators(g_t, T, new_cust_lookback_days=100)
    assert vals(r)["G1"][:2] == (5, 9)
    assert vals(r)["G2"][:2] == (12, 12)
    # last year: g5 g6 h1 h4 + h3 (prior at d0-135 > 100) = 5
    assert vals(r)["G3"] == (12, 5, 12 / 5 - 1)


@pytest.fixture(scope="module")
def g3_t():
    return tables(orders=[
        # this year (W90)
        ("c1", d(10, "12:00:00"), 10, 0, "xhs"), ("c1", d(10, "08:00:00"), 10, 0, "search"),  # earliest -> search
        ("c1", 400, 10, 0, "live"),                                # last year: d0=T-400, new -> live
        ("c2", 20, 10, 0, "live", "ob"), ("c2", 20, 10, 0, "xhs", "oa"),  # same paid_at: order_id oa -> xhs
        ("c3", 30, 10, 0, None),                                   # missing channel -> unknown
        ("c4", 50, 10, 10, "search"), ("c4", 40, 10, 0, "xhs"),    # refunded order is not the first -> xhs
        ("c5", 50, 10, 0, "search"),
        # last year (T-454..T-365)
        ("c6", 400, 10, 0, "xhs"),
        ("c7", 400, 10, 0, "search"),
        ("c8", 454, 10, 0, "search"),
        ("c9", 455, 10, 0, "live"),                                # outside -> not counted
    ])


def test_g3_by_channel(g3_t):
    r = G.gain_indicators(g3_t, T)
    assert vals(r)["G3"] == (5, 4, 5 / 4 - 1)  # c1..c5 vs c1 c6 c7 c8
    ch = G.g3_by_channel(g3_t, T)
    # this year: search c1 c5, xhs c2 c4, unknown c3; last year: xhs c6, search c7 c8, live c1
    assert {k: v for k, v in ch.items() if k != "_breadth"} == {
        "search": {"numerator": 2, "denominator": 2, "value": 0.0},
        "xhs": {"numerator": 2, "denominator": 1, "value": 1.0},
        "unknown": {"numerator": 1, "denominator": 0, "value": None},
        "live": {"numerator": 0, "denominator": 1, "value": -1.0},
    }
    # 1 - (0.4² + 0.4² + 0.2²) = 0.64
    assert ch["_breadth"] == pytest.approx(0.64, abs=1e-15)


# ------------------------------------------------------------------------------------------------------------
# A1 / A2 / A3 (internal) and platform mode
# ------------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def a_t():
    return tables(
        orders=[
            # spend in B (k 90..454): a1 10, a2 20, a3 30, a4 40, a5 50, a6 50 -> P80 = 50 (index 0.8*5 = 4),
            # P20 = 20 (index 1): H = {a5, a6} (ties at P80 qualify), M = {a2, a3, a4} (20 <= s < 50)
            ("a1", 100, 10, 0),
            ("a2", 454, 20, 0),                     # first day of B
            ("a3", 200, 20, 0), ("a3", 300, 10, 0),  # two orders -> 30
            ("a4", 90, 100, 60),                    # last day of B, partial refund -> 40
            ("a5", 120, 50, 0),
            ("a6", 130, 50, 0), ("a6", 140, 1000, 1000),  # fully refunded order adds nothing -> 50
            ("x1", 455, 999, 0),                    # before B -> not in the percentile population
            # recent purchases (k 0..89)
            ("a5", 89, 5, 0),                       # T-89 -> counts
            ("a6", -1, 5, 0),                       # after T -> no
            ("a2", 0, 5, 0),                        # on T -> counts
            ("a3", 10, 5, 5),                       # fully refunded -> no
            ("a4", 50, 5, 0),                       # counts
            ("a1", 5, 5, 0),                        # below P20: not in any base
            ("x2", 89, 5, 0),                       # not in B
        ],
    )


def test_a1_a2_internal(a_t):
    r = vals(G.gain_indicators(a_t, T))
    assert r["A1"] == (1, 2, 0.5)          # H = a5 a6; a5 bought T-89
    assert r["A2"] == (2, 3, 2 / 3)        # M = a2 a3 a4; a2 and a4 bought
    sets = G.gain_sets(a_t, T)
    assert sets["A1"] == ({"a5"}, {"a5", "a6"}) and sets["A2"] == ({"a2", "a4"}, {"a2", "a3", "a4"})
    # interpolated thresholds: P70 = 40 + 0.5*10 = 45 -> H = a5 a6; P60 = 40 -> H = a4 a5 a6 (a4 bought)
    assert vals(G.gain_indicators(a_t, T, high_value_pct=0.6))["A1"] == (2, 3, 2 / 3)
    # mid band P30..P70 = 25 .. 45 -> a3 a4
    assert vals(G.gain_indicators(a_t, T, mid_value_pct=(0.3, 0.7)))["A2"] == (1, 2, 0.5)


@pytest.fixture(scope="module")
def a3_t():
    # AIPL at T-90 (k = 90): its W15 is k 90..104, its W913 is k 90..1002
    return tables(
        orders=[
            ("p1", 89, 10, 0),                      # bought after T-90 -> converts
            ("p2", 90, 10, 0),                      # purchase on T-90 -> stage P at T-90, not I
            ("p3", 10, 10, 0),
            ("p5", 0, 10, 10),                      # fully refunded -> no conversion
            ("p6", 1003, 10, 0), ("p6", 50, 10, 0),  # old purchase outside W913 at T-90 -> still I; converts
            ("p7", 5, 10, 0),
        ],
        events=[
            ("p1", 95, "add_cart"),                 # I at T-90
            ("p2", 95, "add_cart"),
            ("p3", 105, "add_cart"),                # T-90-15: outside W15 -> none
            ("p4", 100, "search", "brand"),         # I, never buys
            ("p5", 91, "visit"), ("p5", 92, "visit"),  # two visit days -> I
            ("p6", 104, "favorite"),                # T-90-14 -> I
            ("p7", 89, "add_cart"),                 # after T-90 -> not I at T-90
        ],
    )


def test_a3_internal(a3_t):
    # base = p1 p4 p5 p6; converted = p1 p6
    assert vals(G.gain_indicators(a3_t, T))["A3"] == (2, 4, 0.5)
    assert G.gain_sets(a3_t, T)["A3"] == ({"p1", "p6"}, {"p1", "p4", "p5", "p6"})


@pytest.fixture(scope="module")
def plat_t():
    return tables(
        users=[
            ("u1", True, "高价值人群;主力人群"),
            ("u2", False, "高价值人群"),
            ("u3", None, "xhs:学生党;潜力人群"),
            ("u4", False, "潜力人群"),
            ("u5", True, "高价值人群x"),          # not the exact tag
            ("u6", False, None),
            ("u7", False, " 主力人群 "),          # surrounding whitespace stripped (AMBIGUITY 4)
        ],
        orders=[
            ("u1", 10, 10, 0), ("u2", 90, 10, 0), ("u3", 89, 10, 0), ("u4", 5, 10, 10),
            ("u5", 1, 10, 0), ("u7", 0, 10, 0),
            ("u8", 3, 10, 0),                     # buyer not in users -> not 88VIP
        ],
    )


def test_platform_mode(plat_t):
    internal = vals(G.gain_indicators(plat_t, T))
    r = vals(G.gain_indicators(plat_t, T, audience_mode="platform"))
    assert r["A1"] == (1, 2, 0.5)        # crowd u1 u2; u2 bought only at T-90
    assert r["A2"] == (2, 2, 1.0)        # crowd u1 u7
    assert r["A3"] == (1, 2, 0.5)        # crowd u3 u4; u4's order fully refunded
    assert {k: v for k, v in r.items() if k[0] != "A"} == {k: v for k, v in internal.items() if k[0] != "A"}
    # buyers T-89..T: u1 u3 u5 u7 u8; 88VIP: u1 u5 -> 2/5
    assert G.vip88_buyer_share(plat_t, T) == {"numerator": 2, "denominator": 5, "value": 0.4}


# ------------------------------------------------------------------------------------------------------------
# I1 / I2 / I3
# ------------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def i_t():
    return tables(
        memberships=[
            ("m1", 100, None),                    # member
            ("m2", 100, 0),                       # left on T -> not a member
            ("m3", 100, -1),                      # leaves after T -> member
            ("m4", -1, None),                     # joins after T -> not
            ("m5", 0, None),                      # joined on T -> member
            ("m6", 200, 150), ("m6", 50, None),   # left and re-joined -> member (counted once)
        ],
        orders=[
            ("m1", 365, 10, 0), ("m1", 10, 10, 0),      # first purchase T-365 < T-364 -> old; member
            ("o1", 364, 10, 0), ("o1", 10, 10, 0),      # first purchase T-364 -> not old
            ("o2", 400, 10, 0), ("o2", 300, 10, 0),     # old, not a member
            ("m2", 500, 10, 0), ("m2", 100, 10, 0),     # old, left on T
            ("m3", 364, 10, 0),                         # first T-364 -> not old
            ("m5", 1000, 10, 0), ("m5", 364, 10, 0),    # old, member
            ("o3", 500, 10, 0), ("o3", 10, 10, 10),     # no purchase in W365 -> not old
            ("o4", 365, 10, 0),                         # T-365 is outside W365 -> not old
            ("m6", 366, 10, 10), ("m6", 200, 10, 0),    # refunded order is not the first purchase -> not old
        ],
        events=[
            ("m3", 29, "favorite"),                     # W30 -> active
            ("m5", 30, "add_cart"), ("m5", 0, "visit"),  # outside W30 / not an I2 type -> not active
            ("m6", 5, "benefit_claim"),                 # active
            ("m2", 1, "add_cart"),                      # not a member
        ],
        reach=[
            ("m1", 1, "sent"), ("m1", 2, "failed"), ("m1", 3, "suppressed"),  # none counts
            ("m3", 29, "opened"),                       # counts
            ("m5", 30, "delivered"), ("m5", -1, "delivered"),  # outside W30 on both sides
            ("m6", 0, "clicked"),                       # counts
            ("m2", 0, "delivered"),                     # not a member
        ],
    )


def test_i(i_t):
    r = vals(G.gain_indicators(i_t, T))
    assert r["I1"] == (2, 4, 0.5)      # old = m1 o2 m2 m5; members m1 m5
    assert r["I2"] == (3, 4, 0.75)     # members m1 m3 m5 m6; active m1 (purchase T-10) m3 m6
    assert r["I3"] == (2, 4, 0.5)      # m3 opened, m6 clicked
    assert G.gain_sets(i_t, T)["I1"] == ({"m1", "m5"}, {"m1", "o2", "m2", "m5"})


# ------------------------------------------------------------------------------------------------------------
# N1 / N2 / N3
# ------------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def n_t():
    members = [(u, 400, None) for u in ("n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n10")]
    return tables(
        products=[
            ("s1", "面霜", "护肤", "A", 2000), ("s2", "精华", "护肤", "A", 2000), ("s3", "口红", "彩妆", "B", 2000),
            ("s4", "面霜", "护肤", "B", 2000), ("s5", "眼霜", "护肤", None, 2000),
        ],
        memberships=members + [("n9", 400, 0)],
        orders=[
            ("n1", 10, 10, 0, None, "n1a"), ("n1", 10, 10, 0, None, "n1b"),   # one purchase day
            ("n2", 10, 10, 0, None, "n2a"), ("n2", 20, 10, 0, None, "n2b"),   # two days
            ("n3", 5, 20, 0, None, "n3a"),
            ("n4", 5, 20, 0, None, "n4a"),
            ("n5", 5, 10, 0, None, "n5a"), ("n5", 6, 10, 10, None, "n5b"),    # second fully refunded
            ("n6", 5, 10, 0, None, "n6a"), ("n6", 6, 10, 0, None, "n6b"),     # sku unknown, still a purchase day
            ("n7", 364, 10, 0, None, "n7a"), ("n7", 365, 10, 0, None, "n7b"),  # second outside W365
            ("n8", 5, 20, 0, None, "n8a"),
            ("n9", 5, 20, 0, None, "n9a"), ("n9", 6, 20, 0, None, "n9b"),     # left on T
            ("n10", 400, 20, 0, None, "n10a"),                                # no purchase in W365
            ("z1", 5, 20, 0, None, "z1a"), ("z1", 6, 20, 0, None, "z1b"),     # not a member
        ],
        items=[
            ("n1a", "s1"), ("n1b", "s1"),
            ("n2a", "s1"), ("n2b", "s2"),
            ("n3a", "s1"), ("n3a", "s3"),
            ("n4a", "s1"), ("n4a", "s4"),
            ("n5a", "s1"), ("n5b", "s3"),
            ("n6a", "s1"), ("n6b", "sX"),
            ("n7a", "s1"), ("n7b", "s3"),
            ("n8a", "s5"), ("n8a", "s2"),
            ("n9a", "s1"), ("n9b", "s3"), ("z1a", "s1"), ("z1b", "s3"),
        ],
    )


def test_n1_n2(n_t):
    r = vals(G.gain_indicators(n_t, T))
    # purchasing members: n1..n8 (n9 left on T, n10 bought outside W365, z1 not a member)
    assert r["N1"] == (2, 8, 0.25)     # n2, n6
    # leaf: n2 面霜+精华, n3 面霜+口红, n8 眼霜+精华; n4 面霜 twice; n5/n6/n7 second line does not count
    assert r["N2"] == (3, 8, 3 / 8)
    assert G.gain_sets(n_t, T)["N2"][0] == {"n2", "n3", "n8"}
    # l1: only n3 (护肤 + 彩妆)
    assert vals(G.gain_indicators(n_t, T, category_level="l1"))["N2"] == (1, 8, 1 / 8)
    # brand: n3 (A, B), n4 (A, B); n8 has A and a missing brand -> 1
    assert vals(G.gain_indicators(n_t, T, crossbuy_dimension="brand"))["N2"] == (2, 8, 0.25)
    assert vals(G.gain_indicators(n_t, T, crossbuy_dimension="brand", category_level="l1"))["N2"] == (2, 8, 0.25)
    assert r["N3"] == (0, 8, 0.0)      # every sku launched T-2000


@pytest.fixture(scope="module")
def n3_t():
    users = ("r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9")
    return tables(
        products=[
            ("L0", "x", "x", "A", 5), ("L179", "x", "x", "A", 184), ("L180", "x", "x", "A", 185),
            ("Lm1", "x", "x", "A", 4), ("Lnull", "x", "x", "A", None), ("L364", "x", "x", "A", 364),
            ("L400", "x", "x", "A", 400), ("Old", "x", "x", "A", 3000),
        ],
        memberships=[(u, 500, None) for u in users],
        orders=[
            ("r1", 5, 10, 0, None, "r1a"),                        # launched on the purchase day -> age 0, new
            ("r2", 5, 10, 0, None, "r2a"),                        # age 179 -> new
            ("r3", 5, 10, 0, None, "r3a"),                        # age 180 -> not new
            ("r4", 5, 10, 0, None, "r4a"),                        # launched the day after -> age -1
            ("r5", 5, 10, 0, None, "r5a"),                        # no launch date
            ("r6", 5, 10, 10, None, "r6a"), ("r6", 6, 10, 0, None, "r6b"),  # new sku only in a refunded order
            ("r7", 400, 10, 0, None, "r7a"), ("r7", 10, 10, 0, None, "r7b"),  # new sku only outside W365
            ("r8", 364, 10, 0, None, "r8a"),                      # T-364, launched that day -> new
            ("r9", d(5, "23:59:59"), 10, 0, None, "r9a"),         # late on the launch day -> age 0, new
        ],
        items=[
            ("r1a", "L0"), ("r2a", "L179"), ("r3a", "L180"), ("r4a", "Lm1"), ("r5a", "Lnull"),
            ("r6a", "L0"), ("r6b", "Old"), ("r7a", "L400"), ("r7b", "Old"), ("r8a", "L364"), ("r9a", "L0"),
        ],
    )


def test_n3(n3_t):
    # purchasing members r1..r9 (r6 and r7 through their old-sku purchases T-6 / T-10)
    r = vals(G.gain_indicators(n3_t, T))
    assert r["N3"] == (4, 9, 4 / 9)    # r1 r2 r8 r9
    assert G.gain_sets(n3_t, T)["N3"][0] == {"r1", "r2", "r8", "r9"}
    # 181 days: age 180 becomes new -> r3 joins
    assert vals(G.gain_indicators(n3_t, T, new_product_days=181))["N3"][0] == 5
    # 1 day: age 0 only -> r1 r8 r9
    assert vals(G.gain_indicators(n3_t, T, new_product_days=1))["N3"][0] == 3


# ------------------------------------------------------------------------------------------------------------
# empty input, options, invariants on a simulated store
# ------------------------------------------------------------------------------------------------------------

def test_empty_tables():
    t = tables()
    r = G.gain_indicators(t, T)
    assert list(r) == list(G.INDICATORS)
    assert all(v == {"numerator": 0, "denominator": 0, "value": None} for v in r.values())
    assert all(v["value"] is None for v in G.gain_indicators(t, T, audience_mode="platform").values())
    assert G.g3_by_channel(t, T) == {"_breadth": None}
    assert G.vip88_buyer_share(t, T)["value"] is None
    with pytest.raises(ValueError):
        G.gain_indicators(t, T, audience_mode="x")
    with pytest.raises(ValueError):
        G.gain_indicators(t, T, category_level="l2")
    with pytest.raises(ValueError):
        G.gain_indicators(t, T, crossbuy_dimension="sku")


def _check(res: dict) -> None:
    assert list(res) == list(G.INDICATORS)
    for k, v in res.items():
        num, den, val = v["numerator"], v["denominator"], v["value"]
        assert type(num) is int and type(den) is int and num >= 0 and den >= 0
        if den == 0:
            assert val is None, k
            continue
        assert isinstance(val, float)
        if k == "G3":
            assert val == num / den - 1
        else:
            assert num <= den and val == num / den and 0.0 <= val <= 1.0, k


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    from siyu.simulate import SimulationConfig, simulate_store, write_store

    tables_, truth = simulate_store(SimulationConfig(users=5000))
    out = tmp_path_factory.mktemp("gain_sim")
    write_store(out, tables_, truth)
    t = R.load_tables(out)
    as_of = t["orders"]["paid_at"].max().date()
    return t, as_of


def test_simulated_invariants(sim):
    t, as_of = sim
    res = G.gain_indicators(t, as_of)
    _check(res)
    # enough data that the rules are exercised (the store covers one year, so G3's last-year window is empty)
    for k in ("G1", "G2", "A1", "A2", "A3", "I1", "I2", "I3", "N1", "N2", "N3"):
        assert res[k]["denominator"] > 0, k
    # cross-checks with the other engineer's reference: I2 is FAST T; G1's base is the 新客 pool (new in W30)
    assert res["I2"]["value"] == R.fast(t, as_of)["T"]
    assert res["G1"]["denominator"] == int((R.pools(t, as_of)["customer_pool"] == "new").sum())
    # options keep the invariants
    _check(G.gain_indicators(t, as_of, category_level="l1", crossbuy_dimension="brand", new_product_days=90))
    # a later snapshot (T+400: W90 empty, last-year window full) keeps them too (G3 = 0/n - 1 = -1)
    later = vals(G.gain_indicators(t, as_of + dt.timedelta(days=400)))
    assert later["G3"][0] == 0 and later["G3"][1] > 0 and later["G3"][2] == -1.0
    # platform mode on crowd tags spread over the users
    t2 = dict(t)
    u = t["users"].copy()
    crowds = ["高价值人群", "主力人群;xhs:学生党", "潜力人群", None]
    u["tags"] = [crowds[i % 4] for i in range(len(u))]
    t2["users"] = u
    pr = G.gain_indicators(t2, as_of, audience_mode="platform")
    _check(pr)
    assert all(pr[k]["denominator"] == math.ceil((len(u) - i) / 4) for i, k in enumerate(("A1", "A2", "A3")))
    v = G.vip88_buyer_share(t, as_of)
    assert v["denominator"] == res["G2"]["denominator"] and 0 < v["value"] < 1


@pytest.fixture(scope="module")
def sim2(tmp_path_factory):
    """Two simulated years, so that G3's last-year window (T-454..T-365) holds data."""
    from siyu.simulate import SimulationConfig, simulate_store, write_store

    tables_, truth = simulate_store(SimulationConfig(users=5000, days=730))
    out = tmp_path_factory.mktemp("gain_sim2")
    write_store(out, tables_, truth)
    t = R.load_tables(out)
    return t, t["orders"]["paid_at"].max().date()


def test_simulated_g3(sim2):
    t, as_of = sim2
    res = G.gain_indicators(t, as_of)
    _check(res)
    assert res["G3"]["denominator"] > 0 and res["G3"]["numerator"] == res["G2"]["numerator"] > 0
    ch = G.g3_by_channel(t, as_of)
    # every new buyer has exactly one first-order channel
    assert sum(v["numerator"] for k, v in ch.items() if k != "_breadth") == res["G3"]["numerator"]
    assert sum(v["denominator"] for k, v in ch.items() if k != "_breadth") == res["G3"]["denominator"]
    for k, v in ch.items():
        if k != "_breadth" and v["denominator"]:
            assert v["value"] == v["numerator"] / v["denominator"] - 1
    assert 0 < ch["_breadth"] < 1
