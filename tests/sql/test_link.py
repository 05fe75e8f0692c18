"""Golden data tests of LINK+ (sql/link_*.sql and siyu.health.linkplus): hand-made rows → hand-computed funnel, T = 2024-12-31.

Each user of the fixture hits one rule or window edge: every relationship route (fan only, member only, old customer
only) and the routes that end (an unfollowed fan, a member who left), visits at the W30 edge (T−29 in, T−30 out), new
vs returning visitors (a visit 200 days earlier; 365 and 366 days before), reach statuses (delivered / opened /
clicked count, failed / sent do not, T−30 is outside W30), durations (one missing) and PDP views per visit, a full
refund (not a buyer), two orders on one day (one purchase day), and purchases made before / after becoming a
relationship user. The expected values are worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt

import pytest
from golden import run_model

from siyu import Workspace
from siyu.engine.duckdb import run
from siyu.engine.sql import load_model
from siyu.health.linkplus import GROUPS, LINK_LABELS, MULTIPLES, STEP_LABELS, STEPS, link_plus

T = dt.date(2024, 12, 31)


def ts(days_before: int, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(T - dt.timedelta(days=days_before), dt.time(hour))


ORDERS: list[tuple] = []   # order_id, user_id, paid_at, amount, refund_amount
EVENTS: list[tuple] = []   # event_id, user_id, ts, type, channel, duration_s
FOLLOWS: list[tuple] = []  # user_id, followed_at, unfollowed_at
MEMBERS: list[tuple] = []  # user_id, joined_at, left_at, tier
REACH: list[tuple] = []    # message_id, user_id, ts, channel, status


def buy(user, days, amount, refund=0, hour=12):
    ORDERS.append((f"o{len(ORDERS)}", user, ts(days, hour), amount, refund))


def ev(user, days, type_="visit", channel=None, duration=None, hour=12):
    EVENTS.append((f"e{len(EVENTS)}", user, ts(days, hour), type_, channel, duration))


def reach(user, days, status):
    REACH.append((f"m{len(REACH)}", user, ts(days), "sms", status))


# fan only: follows since T-100; visits T-29 (in W30, first ever: new) and T-10; 3 PDP views; buys as a fan
FOLLOWS.append(("fan", ts(100), None))
ev("fan", 29, channel="search", duration=100); ev("fan", 10, channel="ads_feed", duration=50)
ev("fan", 29, "pdp_view"); ev("fan", 10, "pdp_view", hour=13); ev("fan", 10, "pdp_view", hour=14)
ev("fan", -1, channel="search", duration=999)        # after T: ignored
reach("fan", 10, "delivered")                          # reached
buy("fan", 1, 300)                                     # a fan on T-1: relationship purchase
# member only: joined T-200; visit T-30 is outside W30; two purchase days as a member
MEMBERS.append(("member", ts(200), None, "V1"))
ev("member", 30, channel="search", duration=70)
reach("member", 5, "failed"); reach("member", 30, "delivered")  # failed does not count; T-30 outside W(reach_days)
buy("member", 50, 500); buy("member", 20, 100)
# old customer only: bought T-400 (outside W365, gives the status) and T-100 (in W365: an old customer at T)
buy("oldcust", 400, 100); buy("oldcust", 100, 200)
reach("oldcust", 3, "sent")                            # sent does not count
# an unfollowed fan (T-300 .. T-10): not a fan at T; a visit on T-5 without a duration puts it in the 大盘
FOLLOWS.append(("unfollowed", ts(300), ts(10)))
ev("unfollowed", 5, duration=None)                     # channel missing: 'unknown'
# a member who left (T-300 .. T-20): not a member; an impression puts it in the 大盘
MEMBERS.append(("leftmember", ts(300), ts(20), "V2"))
ev("leftmember", 50, "impression")
# visitors outside the relationship
ev("returning", 2, channel="search", duration=60); ev("returning", 202, channel="search", duration=60)  # returning
reach("returning", 29, "clicked")                      # clicked on T-29: reached
ev("farback", 5, channel="xhs", duration=40); ev("farback", 371, channel="xhs")  # 366 days before: new visitor
ev("edge365", 5, channel="direct", duration=40); ev("edge365", 370, channel="direct")  # 365 days before: returning
ev("newvis", 3, channel="pigeon_post", duration=20)   # unrecognised channel: group 'other'
buy("refunder", 5, 80, 80); ev("refunder", 5, channel="search", duration=30)  # full refund: not a buyer
# buyers
buy("twoorders", 10, 100, hour=9); buy("twoorders", 10, 50, hour=20)  # one purchase day, new: not relationship
ev("twoorders", 10, channel="search", duration=10); ev("twoorders", 10, "pdp_view")
buy("repeat", 300, 100); buy("repeat", 5, 100)        # T-300 as a new buyer; T-5 as an old customer
ev("repeat", 5, channel="ads_search", duration=90)
MEMBERS.append(("joinbuy", ts(7, 9), None, "V1")); buy("joinbuy", 7, 400, hour=15)  # joins and buys on T-7
ev("joinbuy", 7, channel="search", duration=120)
# a new fan with no behaviour: a relationship user outside the 大盘; and a fan who came and went inside W30
FOLLOWS.append(("newfan", ts(15), None)); reach("newfan", 15, "opened")
FOLLOWS.append(("quitfan", ts(20), ts(5)))
# lapsed: a purchase on T-365 (outside W365) and a visit T-400: in neither group
buy("lapsed", 365, 70); ev("lapsed", 400, channel="search")

# Relationship users at T: fan, newfan (fans); member, joinbuy (members); oldcust, twoorders, repeat, joinbuy (old
# customers) -> 7. 大盘: everyone with an event or purchase in W365 -> 13 (not newfan, quitfan, lapsed).
RELATIONSHIP = {"fan", "member", "oldcust", "twoorders", "repeat", "joinbuy", "newfan"}
ALL = {"fan", "member", "oldcust", "unfollowed", "leftmember", "returning", "farback", "edge365", "newvis",
       "refunder", "twoorders", "repeat", "joinbuy"}
# UV (a visit in T-29 .. T): fan, unfollowed, returning, farback, edge365, newvis, refunder, twoorders, repeat,
# joinbuy -> 10; new visitors: all but returning and edge365 -> 8
NEW_VISITORS = {"fan", "unfollowed", "farback", "newvis", "refunder", "twoorders", "repeat", "joinbuy"}


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    w = Workspace.init(tmp_path_factory.mktemp("link") / "ws")
    with w.session() as c:
        c.executemany("INSERT INTO orders (order_id, user_id, paid_at, amount, refund_amount) VALUES (?, ?, ?, ?, ?)",
                      ORDERS)
        c.executemany("INSERT INTO events (event_id, user_id, ts, type, channel, duration_s) VALUES (?, ?, ?, ?, ?, ?)",
                      EVENTS)
        c.executemany("INSERT INTO follows VALUES (?, ?, ?)", FOLLOWS)
        c.executemany("INSERT INTO memberships (user_id, joined_at, left_at, tier) VALUES (?, ?, ?, ?)", MEMBERS)
        c.executemany("INSERT INTO reach_log (message_id, user_id, ts, channel, status) VALUES (?, ?, ?, ?, ?)", REACH)
    yield w
    w.close()


@pytest.fixture(scope="module")
def res(ws):
    return link_plus(ws, T)


def value(r):
    return r["value"]


def ratios(obj):
    """Every ratio dict inside a link_plus result."""
    if isinstance(obj, dict):
        if set(obj) == {"value", "numerator", "denominator"}:
            yield obj
        else:
            for v in obj.values():
                yield from ratios(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from ratios(v)


# --------------------------------------------------------------------------------------------------------------------
# the SQL models


def test_link_users_golden_and_headers(ws):
    m = ws.config.model
    with ws.session() as c:
        users = {r["user_id"]: r for r in run_model(c, "link_users", as_of=T, days=30, reach_days=m.reach_days)}
        run(c, "CREATE OR REPLACE TEMP TABLE _link_users AS " + load_model("link_users").sql,
            {"as_of": T, "days": 30, "reach_days": m.reach_days})
        try:
            groups = run_model(c, "link_groups")
            (store,) = run_model(c, "link_store", as_of=T, days=30)
            channels = run_model(c, "link_lead_channels", as_of=T, days=30)
        finally:
            run(c, "DROP TABLE _link_users")
    assert {u for u, r in users.items() if r["is_relationship"]} == RELATIONSHIP
    assert {u for u, r in users.items() if r["in_all"]} == ALL
    assert set(users) == RELATIONSHIP | ALL  # quitfan and lapsed are in neither group
    assert {u for u, r in users.items() if r["is_fan"]} == {"fan", "newfan"}            # unfollowed fan: no
    assert {u for u, r in users.items() if r["is_member"]} == {"member", "joinbuy"}     # leftmember: no
    assert {u for u, r in users.items() if r["is_old_customer"]} == {"member", "oldcust", "twoorders", "repeat",
                                                                      "fan", "joinbuy"}
    assert {u for u, r in users.items() if r["is_new_visitor"]} == NEW_VISITORS
    assert users["returning"]["is_new_visitor"] is False and users["member"]["is_new_visitor"] is None
    assert {u for u, r in users.items() if r["reached"]} == {"fan", "newfan", "returning"}
    assert users["fan"]["visits"] == 2 and users["fan"]["pdp_views"] == 3 and users["fan"]["duration_sum"] == 150
    assert users["member"]["visits"] == 0                                               # T-30 is outside W30
    assert users["unfollowed"]["visits"] == 1 and users["unfollowed"]["duration_n"] == 0
    assert users["refunder"]["orders_365"] == 0 and not users["refunder"]["buyer_window"]
    tw = users["twoorders"]
    assert (tw["orders_365"], tw["pdays_365"], tw["gmv_365"], tw["rel_orders_365"]) == (2, 1, 150, 0)
    rp = users["repeat"]   # T-300 new (not relationship), T-5 an old customer
    assert (rp["pdays_365"], rp["rel_pdays_365"], rp["rel_gmv_365"], rp["rel_buyer_window"]) == (2, 1, 100, True)
    assert users["joinbuy"]["rel_orders_365"] == 1                                      # joined the same day
    assert users["oldcust"]["gmv_365"] == users["oldcust"]["rel_gmv_365"] == 200       # T-400 counts for status only
    assert [g["grp"] for g in groups] == ["all", "relationship"]
    assert store["uv"] == 10 and store["new_uv"] == 8
    assert [c["channel"] for c in channels] == ["search", "ads_feed", "ads_search", "direct", "pigeon_post",
                                                "unknown", "xhs"]


def test_every_link_model_has_a_complete_header():
    from siyu.engine.sql import list_models

    names = [n for n in list_models() if n.startswith("link_")]
    assert set(names) == {"link_users", "link_groups", "link_store", "link_lead_channels"}
    for name in names:
        header = load_model(name).header
        assert all(header.get(k) for k in ("name", "grain", "columns", "source")) and "params" in header


# --------------------------------------------------------------------------------------------------------------------
# link_plus


def test_labels_and_shape(res):
    assert STEPS == ("L", "I", "N", "K") and set(STEP_LABELS) == set(STEPS)
    assert LINK_LABELS["uv"] == ("店铺访问人数", "Store visitors (UV)")
    assert res["as_of"] == T and set(res["steps"]) == set(STEPS)
    for step in ("N", "K"):
        assert set(res["steps"][step]) == set(GROUPS)
        for metrics in res["steps"][step].values():
            assert set(metrics) <= set(LINK_LABELS), set(metrics) - set(LINK_LABELS)
    for step in ("L", "I"):
        assert set(res["steps"][step]) <= set(LINK_LABELS)
    assert set(res["multiples"]) == set(MULTIPLES) <= set(LINK_LABELS)


def test_lead(res):
    lead = res["steps"]["L"]
    assert lead["uv"] == 10 and lead["new_uv"] == 8 and value(lead["new_visitor_share"]) == pytest.approx(0.8)
    ch = {c["channel"]: c for c in res["lead_channels"]}
    # search: fan, returning, refunder, twoorders, joinbuy (returning is not new); fan also came through ads_feed
    assert (ch["search"]["uv"], ch["search"]["new_uv"], ch["search"]["channel_group"]) == (5, 4, "onsite_free")
    assert value(ch["search"]["share"]) == pytest.approx(0.5) and ch["search"]["share"]["denominator"] == 10
    assert (ch["ads_feed"]["uv"], ch["ads_feed"]["channel_group"]) == (1, "onsite_paid")
    assert (ch["direct"]["uv"], ch["direct"]["new_uv"]) == (1, 0)          # edge365 is returning
    assert (ch["xhs"]["new_uv"], ch["xhs"]["channel_group"]) == (1, "offsite_online")
    assert ch["pigeon_post"]["channel_group"] == "other" and ch["unknown"]["channel_group"] == "unknown"
    assert sum(c["uv"] for c in res["lead_channels"]) == 11                # fan counts in two channels


def test_interlock(res):
    i = res["steps"]["I"]
    assert (i["fans"], i["members"]) == (2, 2)
    # follows: newfan and quitfan started in W30, unfollowed (T-10) and quitfan (T-5) ended: net 0
    assert (i["follows_started"], i["follows_ended"], i["net_fan_adds"], i["new_fans"]) == (2, 2, 0, 2)
    # memberships: joinbuy joined T-7, leftmember left T-20
    assert (i["joins"], i["leaves"], i["net_member_adds"], i["new_members"]) == (1, 1, 0, 1)
    assert i["follow_rate"] == {"value": pytest.approx(0.2), "numerator": 2, "denominator": 10}
    assert i["join_rate"] == {"value": pytest.approx(0.1), "numerator": 1, "denominator": 10}
    # buyers in W30: fan (T-1), member (T-20), twoorders (T-10), repeat (T-5), joinbuy (T-7)
    assert i["join_rate_buyers"] == {"value": pytest.approx(0.2), "numerator": 1, "denominator": 5}


def test_engage(res):
    rel, all_ = res["steps"]["N"]["relationship"], res["steps"]["N"]["all"]
    assert res["relationship_users"] == rel["users"] == 7 and res["all_users"] == all_["users"] == 13
    # reached: relationship fan, newfan; 大盘 fan, returning
    assert (rel["reach_rate"]["numerator"], all_["reach_rate"]["numerator"]) == (2, 2)
    assert value(rel["reach_rate"]) == pytest.approx(2 / 7) and value(all_["reach_rate"]) == pytest.approx(2 / 13)
    # visitors: relationship fan, twoorders, repeat, joinbuy (member's visit is T-30) -> 4 / 7; 大盘 10 / 13
    assert value(rel["revisit_rate"]) == pytest.approx(4 / 7) and value(all_["revisit_rate"]) == pytest.approx(10 / 13)
    # durations: relationship 100 + 50 + 10 + 90 + 120 = 370 over 5 visits; 大盘 + 60 + 40 + 40 + 20 + 30 = 560 over
    # 10 (unfollowed's visit has none)
    assert rel["dwell_time"] == {"value": pytest.approx(74), "numerator": 370, "denominator": 5}
    assert all_["dwell_time"] == {"value": pytest.approx(56), "numerator": 560, "denominator": 10}
    # PDP views per visit: relationship 4 / 5 (fan 3, twoorders 1); 大盘 4 / 11
    assert rel["browse_depth"] == {"value": pytest.approx(0.8), "numerator": 4, "denominator": 5}
    assert all_["browse_depth"] == {"value": pytest.approx(4 / 11), "numerator": 4, "denominator": 11}


def test_keep(res):
    rel, all_ = res["steps"]["K"]["relationship"], res["steps"]["K"]["all"]
    # 大盘 W365 purchases: fan 300, member 500 + 100, oldcust 200, twoorders 100 + 50, repeat 100 + 100, joinbuy 400
    assert (all_["buyers"], all_["orders"], all_["gmv"], all_["repeat_buyers"]) == (6, 9, 1850, 2)  # member, repeat
    assert value(all_["repeat_rate"]) == pytest.approx(1 / 3)
    assert value(all_["kedanjia"]) == pytest.approx(1850 / 6) and value(all_["bidanjia"]) == pytest.approx(1850 / 9)
    assert all_["conversion_rate"] == {"value": pytest.approx(0.5), "numerator": 5, "denominator": 10}
    # relationship purchases: fan 300 (a fan), member 500 + 100, oldcust 200 (bought T-400), repeat's T-5 100,
    # joinbuy 400 (joined that day); not twoorders (new, neither fan nor member) nor repeat's T-300
    assert (rel["buyers"], rel["orders"], rel["gmv"], rel["repeat_buyers"]) == (5, 6, 1600, 1)      # member
    assert value(rel["repeat_rate"]) == pytest.approx(0.2)
    assert value(rel["kedanjia"]) == pytest.approx(320) and value(rel["bidanjia"]) == pytest.approx(1600 / 6)
    # W30 relationship buyers fan, member, repeat, joinbuy over relationship visitors fan, twoorders, repeat, joinbuy
    assert rel["conversion_rate"] == {"value": pytest.approx(1.0), "numerator": 4, "denominator": 4}
    assert res["relationship_gmv_share"] == {"value": pytest.approx(1600 / 1850), "numerator": 1600,
                                             "denominator": 1850}


def test_multiples(res):
    mu = res["multiples"]
    assert value(mu["revisit"]) == pytest.approx((4 / 7) / (10 / 13))
    assert value(mu["browse_depth"]) == pytest.approx(0.8 / (4 / 11))
    assert value(mu["kedanjia"]) == pytest.approx(320 / (1850 / 6))
    assert value(mu["repeat_rate"]) == pytest.approx(0.2 / (1 / 3))
    assert mu["kedanjia"]["numerator"] == pytest.approx(320) and mu["kedanjia"]["denominator"] == pytest.approx(1850 / 6)


def test_every_ratio_is_its_numerator_over_its_denominator(res):
    found = list(ratios(res))
    assert len(found) > 20
    for r in found:
        if r["denominator"]:
            assert r["value"] == pytest.approx(r["numerator"] / r["denominator"])
        else:
            assert r["value"] is None


def test_empty_windows_give_none(ws):
    # two years after the data: no visits, no buyers in W30 -> rates over UV or visitors are None, counts 0
    # fans (fan, newfan) and members (member, joinbuy) are still relationship users; the 大盘 is empty
    res = link_plus(ws, T + dt.timedelta(days=800))
    assert res["steps"]["L"]["uv"] == 0 and res["steps"]["L"]["new_visitor_share"]["value"] is None
    assert res["steps"]["I"]["follow_rate"]["value"] is None and res["lead_channels"] == []
    assert res["steps"]["K"]["all"]["kedanjia"]["value"] is None and res["relationship_gmv_share"]["value"] is None
    assert res["multiples"]["revisit"]["value"] is None
    assert (res["relationship_users"], res["all_users"]) == (4, 0)
    assert res["steps"]["N"]["relationship"]["revisit_rate"] == {"value": 0.0, "numerator": 0, "denominator": 4}


# --------------------------------------------------------------------------------------------------------------------
# a simulated store

RATES = ("new_visitor_share", "follow_rate", "join_rate", "join_rate_buyers", "reach_rate", "revisit_rate",
         "conversion_rate", "repeat_rate")


@pytest.fixture(scope="module")
def sim_ws(tmp_path_factory):
    from siyu.contract import TABLES
    from siyu.simulate import SimulationConfig, simulate_store, write_store

    root = tmp_path_factory.mktemp("link_sim")
    tables, truth = simulate_store(SimulationConfig(users=3000))
    files = write_store(root / "data", tables, truth)
    w = Workspace.init(root / "ws")
    for t in TABLES:
        w.ingest(t, files[t])
    yield w
    w.close()


def test_simulated_store(sim_ws):
    res = link_plus(sim_ws)
    assert res["as_of"] == sim_ws.last_date()
    mu = res["multiples"]
    assert value(mu["revisit"]) > 1 and value(mu["kedanjia"]) > 1
    steps = res["steps"]
    checked = [steps["L"]["new_visitor_share"], res["relationship_gmv_share"], *(c["share"] for c in res["lead_channels"])]
    checked += [steps["I"][k] for k in RATES if k in steps["I"]]
    checked += [steps[s][g][k] for s in ("N", "K") for g in GROUPS for k in RATES if k in steps[s][g]]
    assert len(checked) > 15
    for r in checked:
        assert r["value"] is not None and 0 <= r["value"] <= 1, r
    for r in ratios(res):
        assert r["value"] is None or r["value"] == pytest.approx(r["numerator"] / r["denominator"])
    # relationship purchases are a subset of all purchases; relationship buyers are relationship users
    k = steps["K"]
    for c in ("buyers_window", "buyers", "repeat_buyers", "orders"):
        assert k["relationship"][c] <= k["all"][c]
    assert k["relationship"]["buyers"] <= res["relationship_users"]
    assert steps["L"]["uv"] == steps["N"]["all"]["revisit_rate"]["numerator"]
    assert sum(c["uv"] for c in res["lead_channels"]) >= steps["L"]["uv"]
    assert {c["channel_group"] for c in res["lead_channels"]} <= {"onsite_free", "onsite_paid", "offsite_online",
                                                                  "offsite_offline", "private_reach", "other",
                                                                  "unknown"}
