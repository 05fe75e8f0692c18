"""Golden data tests of the customer-asset SQL models (AIPL, pools, UCMV, RFM, FAST, transitions).

Every user of the fixture is built to hit one rule or window edge; the expected label is worked out by hand
from docs/customer-assets.md in the comment beside it. Snapshot T = 2024-12-31.
"""

from __future__ import annotations

import datetime as dt

import pytest

from siyu import SiyuConfig, Workspace
from siyu import assets as A
from siyu.engine.duckdb import run
from siyu.config import ModelConfig

T = dt.date(2024, 12, 31)


def ts(days_before: int, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(T - dt.timedelta(days=days_before), dt.time(hour))


ORDERS: list[tuple] = []   # order_id, user_id, paid_at, amount, refund_amount
EVENTS: list[tuple] = []   # event_id, user_id, ts, type, keyword_type, rating
FOLLOWS: list[tuple] = []  # user_id, followed_at, unfollowed_at
MEMBERS: list[tuple] = []  # user_id, joined_at, left_at, tier
REACH: list[tuple] = []    # message_id, user_id, ts, channel, status


def buy(user, days, amount=100, refund=0, hour=12):
    ORDERS.append((f"o{len(ORDERS)}", user, ts(days, hour), amount, refund))


def ev(user, days, type_, keyword=None, rating=None, hour=12):
    EVENTS.append((f"e{len(EVENTS)}", user, ts(days, hour), type_, keyword, rating))


# --- AIPL --------------------------------------------------------------------------------
buy("uL", 0); buy("uL", 364)                           # 2 purchase days in W365 (T-364 is its first day) -> L
buy("uLedge", 0); buy("uLedge", 365)                   # T-365 is outside W365: 1 day -> P
buy("uSameDay", 3, hour=9); buy("uSameDay", 3, hour=20)  # two orders, one day -> P
buy("uRefund", 10, 100, 100); buy("uRefund", 20)       # full refund is not a purchase -> 1 day -> P
buy("uRefundOnly", 5, 80, 80)                          # only a fully refunded order, nothing else -> none
buy("uPartial", 10, 100, 40); buy("uPartial", 40)      # partial refund still a purchase -> L
buy("uP912", 912)                                      # inside W913 -> P
buy("uP913", 913)                                      # outside W913 -> none
ev("uIcart", 14, "add_cart")                           # W15 = T-14..T -> I
ev("uOld15", 15, "add_cart")                           # outside W15 and W15 for A -> none
ev("uIvisits", 2, "visit"); ev("uIvisits", 5, "visit")  # 2 visit days -> I
ev("uAvisit", 2, "visit", hour=9); ev("uAvisit", 2, "visit", hour=20)  # 1 visit day -> A
ev("uIpdp", 1, "pdp_view", hour=9); ev("uIpdp", 1, "pdp_view", hour=10)  # 2 PDP views -> I
ev("uApdp", 1, "pdp_view")                             # 1 PDP view -> A
ev("uIbrand", 6, "search", "brand")                    # brand-keyword search -> I
ev("uAcat", 6, "search", "category")                   # category search -> A
ev("uAdClick", 3, "ad_click")                          # A (Data Bank); I when ad_click_stage = "I"
FOLLOWS.append(("uIfollow", ts(3), None))              # follow within W15 -> I
FOLLOWS.append(("uOldFollow", ts(100), None))          # old follow, nothing else -> none (but a fan)
MEMBERS.append(("uIjoin", ts(1), None, "V1"))          # joined within W15 -> I
REACH.append(("m1", "uReachOnly", ts(1), "sms", "delivered"))  # reach_log never counts -> none
ev("uImpr", 0, "impression", hour=23)                  # impression on T late evening -> A
ev("uFuture", -1, "add_cart")                          # after T: ignored -> none
buy("uReview", 50); ev("uReview", 40, "review", rating=5)  # P; L with l_include_positive_review

EXPECTED_AIPL = {
    "uL": "L", "uLedge": "P", "uSameDay": "P", "uRefund": "P", "uRefundOnly": "none", "uPartial": "L",
    "uP912": "P", "uP913": "none", "uIcart": "I", "uOld15": "none", "uIvisits": "I", "uAvisit": "A",
    "uIpdp": "I", "uApdp": "A", "uIbrand": "I", "uAcat": "A", "uAdClick": "A", "uIfollow": "I",
    "uOldFollow": "none", "uIjoin": "I", "uReachOnly": "none", "uImpr": "A", "uFuture": "none", "uReview": "P",
}

# --- pools -------------------------------------------------------------------------------
FOLLOWS.append(("fSilent", ts(200), None)); ev("fSilent", 60, "visit")        # last activity T-60: outside W60
FOLLOWS.append(("fOpp", ts(200), None)); ev("fOpp", 59, "visit"); ev("fOpp", 10, "add_cart")  # opportunity, high intent
FOLLOWS.append(("fOpp2", ts(200), None)); ev("fOpp2", 20, "favorite", hour=1); ev("fOpp2", 16, "add_cart")
FOLLOWS.append(("fActive", ts(200), None)); buy("fActive", 200); ev("fActive", 29, "visit")   # activity T-29 in W30
FOLLOWS.append(("fOrdinary", ts(200), None)); buy("fOrdinary", 200); ev("fOrdinary", 30, "visit")  # T-30 not in W30
FOLLOWS.append(("fImprOnly", ts(200), None)); buy("fImprOnly", 300); ev("fImprOnly", 1, "impression")  # impressions are not activity
FOLLOWS.append(("fRefollow", ts(100), ts(50))); FOLLOWS.append(("fRefollow", ts(10), None)); ev("fRefollow", 5, "visit")
FOLLOWS.append(("fUnfollowT", ts(100), ts(0, 8)))                             # unfollowed on T: not a fan
EXPECTED_FAN = {"fSilent": "silent", "fOpp": "opportunity", "fOpp2": "opportunity", "fActive": "active",
                "fOrdinary": "ordinary", "fImprOnly": "silent", "fRefollow": "opportunity", "fUnfollowT": None,
                "uOldFollow": "silent", "uIfollow": "silent"}
EXPECTED_HIGH_INTENT = {"fOpp": True, "fOpp2": False}  # fOpp2's add_cart is T-16: outside W15

MEMBERS.append(("m2days", ts(300), None, "V2")); buy("m2days", 100, 10); buy("m2days", 50, 10)   # 2 days -> quality
MEMBERS.append(("mBig", ts(300), None, "V3")); buy("mBig", 250, 5000)                            # spend >= P80 -> quality
MEMBERS.append(("mSmall", ts(300), None, "V1")); buy("mSmall", 90, 20)                           # potential
MEMBERS.append(("mSilent", ts(400), None, "V1")); ev("mSilent", 180, "visit")                    # T-180 outside W180 -> silent
MEMBERS.append(("mPotential", ts(30), None, "V1")); ev("mPotential", 20, "visit")                # potential
MEMBERS.append(("mLeft", ts(300), ts(100), "V3"))                                                # left before T
MEMBERS.append(("mLeftT", ts(300), ts(0, 6), "V1"))                                              # left on T
# purchasing members' W365 spend: m2days 20, mBig 5000, mSmall 20 -> P80 = 20 + 0.6 * 4980 = 3008
EXPECTED_MEMBER = {"m2days": "quality", "mBig": "quality", "mSmall": "potential", "mSilent": "silent",
                   "mPotential": "potential", "mLeft": None, "mLeftT": None,
                   "uIjoin": "silent"}  # joining is not activity (docs/customer-assets.md §Conventions): a silent new member

buy("cNew", 10)                                        # first purchase in W30, none before -> new
buy("cBack", 420); buy("cBack", 5)                     # previous purchase 415 days before -> new again
buy("cOld", 100)                                       # purchase in W365, none in W30 -> old
buy("cOld2", 200); buy("cOld2", 5)                     # previous purchase 195 days before -> old
buy("cLapsed", 500)                                    # T-729..T-365 -> lapsed
buy("cLapsedEdge", 729)                                # still lapsed (T-729)
buy("cGone", 730)                                      # outside the lapsed range, inside W913 -> empty
EXPECTED_CUSTOMER = {"cNew": "new", "cBack": "new", "cOld": "old", "cOld2": "old",
                     "cLapsed": "lapsed", "cLapsedEdge": "lapsed", "cGone": None, "uIcart": "prospect",
                     "uAvisit": "prospect", "uRefundOnly": None, "uP913": None, "uL": "old",
                     "uSameDay": "new"}


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    w = Workspace.init(tmp_path_factory.mktemp("assets") / "ws")
    with w.session() as c:
        c.executemany("INSERT INTO orders (order_id, user_id, paid_at, amount, refund_amount) VALUES (?, ?, ?, ?, ?)", ORDERS)
        c.executemany("INSERT INTO events (event_id, user_id, ts, type, keyword_type, rating) VALUES (?, ?, ?, ?, ?, ?)", EVENTS)
        c.executemany("INSERT INTO follows VALUES (?, ?, ?)", FOLLOWS)
        c.executemany("INSERT INTO memberships (user_id, joined_at, left_at, tier) VALUES (?, ?, ?, ?)", MEMBERS)
        c.executemany("INSERT INTO reach_log (message_id, user_id, ts, channel, status) VALUES (?, ?, ?, ?, ?)", REACH)
        run(c, "INSERT INTO users (user_id, is_88vip) VALUES ('uVipNoBuy', true), ('cOld', true)")
    yield w
    w.close()


def by_user(table, col):
    return dict(zip(table.column("user_id").to_pylist(), table.column(col).to_pylist()))


def test_aipl_golden(ws):
    got = by_user(A.aipl(ws, T), "stage")
    for user, stage in EXPECTED_AIPL.items():
        assert got[user] == stage, (user, got[user], stage)
    assert got["uVipNoBuy"] == "none"  # in users only: part of the universe, no behaviour


def test_aipl_options_switch_rules(ws, monkeypatch):
    monkeypatch.setattr(ws, "config", SiyuConfig(model=ModelConfig(ad_click_stage="I", l_include_positive_review=True,
                                                                   l_min_purchase_days=3)))
    got = by_user(A.aipl(ws, T), "stage")
    assert got["uAdClick"] == "I"
    assert got["uReview"] == "L"
    assert got["uL"] == "P" and got["uPartial"] == "P"  # 2 purchase days no longer enough


def test_pools_golden(ws):
    p = A.pools(ws, T)
    fan, member, customer = by_user(p, "fan_pool"), by_user(p, "member_pool"), by_user(p, "customer_pool")
    hi = by_user(p, "high_intent")
    for user, label in EXPECTED_FAN.items():
        assert fan[user] == label, (user, fan[user], label)
    for user, flag in EXPECTED_HIGH_INTENT.items():
        assert hi[user] is flag, user
    for user, label in EXPECTED_MEMBER.items():
        assert member[user] == label, (user, member[user], label)
    for user, label in EXPECTED_CUSTOMER.items():
        assert customer[user] == label, (user, customer[user], label)
    assert fan["uL"] is None and member["uL"] is None  # not a fan, not a member


def test_ucmv_and_rfm_golden(ws):
    u = by_user(A.ucmv(ws, T), "stage")
    # W365 buyers' spend: every buyer spends 100 except uRefund(100), uPartial(60+100), m2days 20, mBig 5000,
    # mSmall 20, fActive 100 ... -> P95 is far below 5000 and above 200: mBig is V by spend (and top tier V3)
    assert u["mBig"] == "V"
    assert u["cOld"] == "V"              # 88VIP flag and a purchase
    assert u["uVipNoBuy"] is None        # 88VIP without a purchase and no behaviour: not V, not U
    assert u["uL"] == "M"                # 2 purchase days, spend 200 >= P50 (100)
    assert u["m2days"] == "C"            # 2 purchase days but spend 20 < P50; not 3 days
    assert u["uSameDay"] == "C"          # spend 200 >= P50 but one purchase day only
    assert u["uIcart"] == "U" and u["uOldFollow"] == "U" and u["uReachOnly"] is None


def test_rfm_scores_and_groups(ws):
    r = {row["user_id"]: row for row in A.rfm(ws, T).to_pylist()}
    n = len(r)
    assert all(1 <= row[k] <= 5 for row in r.values() for k in ("r", "f", "m"))
    assert r["uL"]["recency"] == 0 and r["uL"]["frequency"] == 2 and r["uL"]["monetary"] == 200
    # most recent buyers (recency 0: uL, uLedge) share the top recency rank n - 1 ... score 5
    assert r["uL"]["r"] == 5 and r["uLedge"]["r"] == 5
    ones = sum(1 for row in r.values() if row["frequency"] == 1)
    # every one-day buyer has rank 1 -> f score 1; two-day buyers have rank ones+1
    assert {row["f"] for row in r.values() if row["frequency"] == 1} == {1}
    assert r["uL"]["f"] == 1 + (5 * ones) // n
    assert r["uL"]["group"] in ("champions", "loyal_customers", "potential_loyalists")
    assert "uIcart" not in r and "uRefundOnly" not in r


def test_transitions_add_up(ws):
    tr = A.aipl_transitions(ws, T - dt.timedelta(days=30), T)
    for x, acc in tr["accounting"].items():
        assert acc["start"] == acc["stayed"] + acc["moved"] + acc["churned"]
        assert acc["moved"] == acc["deepened"] + acc["regressed"]
    total0 = sum(sum(r.values()) for r in tr["matrix"].values())
    assert total0 == len(A.aipl(ws, T))


def test_fast_golden(ws):
    f = A.fast_at(ws, T)
    stages = by_user(A.aipl(ws, T), "stage")
    assert f["F"] == sum(1 for s in stages.values() if s != "none")
    members = {"m2days", "mBig", "mSmall", "mSilent", "mPotential", "uIjoin"}
    assert f["S"] == len(members)
    # active in W30: purchases/add_cart/favorite/benefit_claim -> none of the members qualify except ... none
    assert f["parts"]["active_members"] == 0 and f["T"] == 0
