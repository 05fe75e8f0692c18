"""The quote, rule by rule (docs/offers.md §The quote): every number below is worked out by hand in the comments.

Tier program: 银卡 95折, 金卡 9折. S100 lists at ¥100 (面霜 / 护肤), S200 at ¥200, T50 at ¥50 (T恤 / 服装).
"""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from siyu import audiences, offers
from siyu._exceptions import ConfigError
from siyu.engine.duckdb import run

from .conftest import AT, IS_MEMBER, build_store, coupon, load_offers, load_uses, quote

# -- step 1: member prices --------------------------------------------------------------------------------------


def test_the_price_list_wins_for_gold_and_the_tier_discount_for_silver(ws, tmp_path):
    load_offers(ws, tmp_path, price_lists=[("金卡", "S100", 80), ("银卡", "S100", 97)])
    # gold: min(80, 100 × 0.9 = 90) = 80 from the price list; saving 20
    assert quote(ws, "gold") == {
        "list_price": "100.00", "unit_price": "80.00", "price": "80.00",
        "applied": [("member_price", "金卡", "20.00")],
        "rejected": [("member_price", "银卡", "not_in_tier"), ("tier_discount", "金卡", "not_best")]}
    # silver: min(97, 100 × 0.95 = 95) = 95 from the discount; saving 5
    assert quote(ws, "silver") == {
        "list_price": "100.00", "unit_price": "95.00", "price": "95.00",
        "applied": [("tier_discount", "银卡", "5.00")],
        "rejected": [("member_price", "金卡", "not_in_tier"), ("member_price", "银卡", "not_best")]}
    # a guest has no tier: list price
    assert quote(ws, "guest") == {
        "list_price": "100.00", "unit_price": "100.00", "price": "100.00", "applied": [],
        "rejected": [("member_price", "金卡", "not_in_tier"), ("member_price", "银卡", "not_in_tier")]}


def test_on_a_tie_the_price_list_wins_and_without_one_the_discount_applies(ws, tmp_path):
    load_offers(ws, tmp_path, price_lists=[("金卡", "S200", 180), ("金卡", "T50", 60)])
    # S200: price list 180 = 200 × 0.9 = 180: a tie, the price list wins
    q = quote(ws, "gold", "S200")
    assert (q["price"], q["applied"], q["rejected"]) == (
        "180.00", [("member_price", "金卡", "20.00")], [("tier_discount", "金卡", "not_best")])
    # T50: price list 60 is above the list price 50; the discount gives 45
    q = quote(ws, "gold", "T50")
    assert (q["price"], q["applied"], q["rejected"]) == (
        "45.00", [("tier_discount", "金卡", "5.00")], [("member_price", "金卡", "not_best")])
    # S100 has no price list: 9折 → 90, nothing rejected
    q = quote(ws, "gold", "S100")
    assert (q["price"], q["applied"], q["rejected"]) == ("90.00", [("tier_discount", "金卡", "10.00")], [])


def test_a_price_list_tier_not_in_the_program_loads_with_a_warning_and_is_rejected_at_quote_time(ws, tmp_path):
    res = load_offers(ws, tmp_path, price_lists=[("钻石", "S100", 50)])
    assert res["warnings"] == [("price_lists[0].tier: '钻石' is not a tier of the stored program (金卡, 银卡); quotes "
                               "reject it as unknown_tier")]
    q = quote(ws, "gold")
    # 钻石's 50 never applies; gold's own 9折 does: 90
    assert (q["price"], q["applied"], q["rejected"]) == (
        "90.00", [("tier_discount", "金卡", "10.00")], [("member_price", "钻石", "unknown_tier")])


def test_without_a_stored_program_nobody_has_a_tier(tmp_path):
    from siyu.workspace import Workspace

    w = Workspace(build_store(tmp_path / "np", program=False))
    try:
        res = load_offers(w, tmp_path, price_lists=[("金卡", "S100", 80)])
        assert res["warnings"] == [("price_lists[0].tier: no tier program is stored yet (siyu loyalty run); tier "
                                   "'金卡' is checked at quote time")]
        assert quote(w, "gold") == {"list_price": "100.00", "unit_price": "100.00", "price": "100.00", "applied": [],
                                    "rejected": [("member_price", "金卡", "no_program")]}
    finally:
        w.close()


def test_the_tier_is_the_one_held_on_the_quote_date(ws, tmp_path):
    load_offers(ws, tmp_path, price_lists=[("银卡", "S100", 97)])
    # late becomes 银卡 on 2024-05-20: not at AT (2024-05-10)
    q = quote(ws, "late")
    assert (q["price"], q["applied"], q["rejected"]) == ("100.00", [], [("member_price", "银卡", "not_in_tier")])
    # on 2024-05-20 (any time of the day: tiers change by day) and after: 95折 (95) beats the price list (97)
    for at in ("2024-05-20 09:00", "2024-05-25 10:00"):
        q = quote(ws, "late", at=at)
        assert (q["price"], q["applied"], q["rejected"]) == (
            "95.00", [("tier_discount", "银卡", "5.00")], [("member_price", "银卡", "not_best")]), at


# -- step 2: coupons --------------------------------------------------------------------------------------------

#: one coupon per reason, plus a best non-stackable and a stackable one
MANY = [
    coupon("a-late", valid_from="2024-05-11 00:00"),
    coupon("b-old", valid_from="2024-04-01 00:00", valid_to=AT),
    coupon("c-sku", skus=["S200"]),
    coupon("d-cat", categories=["服装"]),
    coupon("e-thr", threshold=100.01),
    coupon("f-mem", audience=IS_MEMBER),
    coupon("g-new", first_purchase=True),
    coupon("h-lim", per_user_limit=1),
    coupon("i-small", amount_off=5),
    coupon("j-big", amount_off=12),
    coupon("k-st", amount_off=None, discount=0.95, stackable=True),
]


def test_every_coupon_rejection_reason_and_the_best_non_stackable_with_the_stackables(ws, tmp_path):
    load_offers(ws, tmp_path, coupons=MANY)
    load_uses(ws, tmp_path, [("h-lim", "newbie", "x1", "2024-05-05 12:00")])
    # newbie at 13:00, after the first order (12:00); not a member; line 100 (no tier)
    q = quote(ws, "newbie", at="2024-05-10 13:00")
    # passing: h-lim? no (1 use, limit 1); i-small 5, j-big 12 (non-stackable) → j-big; k-st 100 × 0.05 = 5
    assert q["applied"] == [("coupon", "j-big", "12.00"), ("coupon", "k-st", "5.00")]
    assert q["rejected"] == [
        ("coupon", "a-late", "not_started"), ("coupon", "b-old", "expired"), ("coupon", "c-sku", "out_of_scope"),
        ("coupon", "d-cat", "out_of_scope"), ("coupon", "e-thr", "below_threshold"),
        ("coupon", "f-mem", "not_in_audience"), ("coupon", "g-new", "not_first_purchase"),
        ("coupon", "h-lim", "limit_reached"), ("coupon", "i-small", "not_best")]
    assert (q["price"], q["unit_price"]) == ("83.00", "83.00")  # 100 − 12 − 5


def test_coupons_are_measured_on_the_line_after_the_member_price(ws, tmp_path):
    load_offers(ws, tmp_path, coupons=MANY)
    q = quote(ws, "gold")
    # gold: 9折 → line 90. e-thr needs 100.01 > 90. f-mem 10, h-lim 10 (no use), i-small 5, j-big 12 → j-big;
    # k-st 90 × 0.05 = 4.50; g-new: gold bought on 2024-01-05
    assert q["applied"] == [("tier_discount", "金卡", "10.00"), ("coupon", "j-big", "12.00"),
                            ("coupon", "k-st", "4.50")]
    assert q["rejected"] == [
        ("coupon", "a-late", "not_started"), ("coupon", "b-old", "expired"), ("coupon", "c-sku", "out_of_scope"),
        ("coupon", "d-cat", "out_of_scope"), ("coupon", "e-thr", "below_threshold"), ("coupon", "f-mem", "not_best"),
        ("coupon", "g-new", "not_first_purchase"), ("coupon", "h-lim", "not_best"), ("coupon", "i-small", "not_best")]
    assert q["price"] == "73.50"  # 90 − 12 − 4.50


def test_the_threshold_counts_the_line_after_the_member_price_inclusive(ws, tmp_path):
    load_offers(ws, tmp_path, price_lists=[("金卡", "S100", 80)],
                coupons=[coupon("t85", threshold=85), coupon("t80", threshold=80, amount_off=3, stackable=True)])
    # gold pays 80 after the price list: 满85 fails, 满80 holds (80 >= 80)
    q = quote(ws, "gold")
    assert q["applied"] == [("member_price", "金卡", "20.00"), ("coupon", "t80", "3.00")]
    assert q["rejected"] == [("tier_discount", "金卡", "not_best"), ("coupon", "t85", "below_threshold")]
    assert q["price"] == "77.00"
    # a guest's line is 100: both hold
    q = quote(ws, "guest")
    assert q["applied"] == [("coupon", "t85", "10.00"), ("coupon", "t80", "3.00")] and q["price"] == "87.00"


def test_validity_is_from_inclusive_to_exclusive(ws, tmp_path):
    load_offers(ws, tmp_path, coupons=[coupon("starts", valid_from=AT, valid_to="2024-05-10 10:01"),
                                       coupon("ends", valid_from="2024-05-01 00:00", valid_to=AT, stackable=True)])
    q = quote(ws, "guest")
    assert q["applied"] == [("coupon", "starts", "10.00")]
    assert q["rejected"] == [("coupon", "ends", "expired")]
    q = quote(ws, "guest", at="2024-05-10 09:59")
    assert q["applied"] == [("coupon", "ends", "10.00")]
    assert q["rejected"] == [("coupon", "starts", "not_started")]
    q = quote(ws, "guest", at="2024-05-10 10:01")
    assert q["applied"] == [] and q["rejected"] == [("coupon", "starts", "expired"), ("coupon", "ends", "expired")]


def test_categories_match_the_leaf_or_the_first_level_and_skus_the_sku(ws, tmp_path):
    load_offers(ws, tmp_path, coupons=[
        coupon("leaf", categories=["面霜"], stackable=True, amount_off=1),
        coupon("l1", categories=["护肤"], stackable=True, amount_off=2),
        coupon("other", categories=["服装", "精华"], stackable=True, amount_off=4),
        coupon("sku", skus=["S100", "S200"], stackable=True, amount_off=8)])
    q = quote(ws, "guest")                               # S100 is 面霜 / 护肤: 1 + 2 + 8 off 100
    assert [a[1] for a in q["applied"]] == ["leaf", "l1", "sku"] and q["price"] == "89.00"
    assert q["rejected"] == [("coupon", "other", "out_of_scope")]
    q = quote(ws, "guest", "T50")                        # T50 is T恤 / 服装: only "other" (4 off 50)
    assert [a[1] for a in q["applied"]] == ["other"] and q["price"] == "46.00"
    assert [r[2] for r in q["rejected"]] == ["out_of_scope"] * 3


def test_a_saved_audience_and_a_json_tree_select_the_users(ws, tmp_path):
    import json

    audiences.save(ws, "会员们", IS_MEMBER, "2024-05-10")
    load_offers(ws, tmp_path, coupons=[coupon("saved", audience="会员们", stackable=True),
                                       coupon("json", audience=json.dumps(IS_MEMBER), amount_off=3, stackable=True)])
    q = quote(ws, "gold", "T50")                         # 金卡: 45, then 10 and 3 off
    assert q["applied"] == [("tier_discount", "金卡", "5.00"), ("coupon", "saved", "10.00"), ("coupon", "json", "3.00")]
    assert q["price"] == "32.00"
    q = quote(ws, "guest", "T50")
    assert q["applied"] == [] and q["rejected"] == [("coupon", "saved", "not_in_audience"),
                                                    ("coupon", "json", "not_in_audience")]


def test_a_saved_audience_deleted_after_loading_is_a_clear_error(ws, tmp_path):
    audiences.save(ws, "gone", IS_MEMBER, "2024-05-10")
    load_offers(ws, tmp_path, coupons=[coupon("c", audience="gone")])
    ws.write(lambda conn: run(conn, "DELETE FROM audiences WHERE name = 'gone'"))
    with pytest.raises(ConfigError, match="coupon 'c': no saved audience named 'gone'"):
        offers.quote(ws, "gold", "S100", 1, AT)


def test_non_stackable_ties_go_to_the_lowest_id(ws, tmp_path):
    load_offers(ws, tmp_path, coupons=[coupon("x2", amount_off=15), coupon("x1", amount_off=None, discount=0.85),
                                       coupon("x0", amount_off=14.99)])
    q = quote(ws, "guest")                               # x2 15, x1 100 × 0.15 = 15: tie → x1; x0 14.99
    assert q["applied"] == [("coupon", "x1", "15.00")]
    assert q["rejected"] == [("coupon", "x2", "not_best"), ("coupon", "x0", "not_best")]


def test_the_per_user_limit_is_reached_exactly_at_the_limit(ws, tmp_path):
    load_offers(ws, tmp_path, coupons=[coupon("lim2", per_user_limit=2)])
    load_uses(ws, tmp_path, [("lim2", "gold", "ord1", "2024-05-03 12:00"), ("lim2", "gold", "ord2", AT),
                             ("lim2", "silver", "ord3", "2024-05-04 12:00")])
    # gold at AT: two uses at or before AT (the second exactly at AT) = the limit
    q = quote(ws, "gold", "T50")
    assert q["rejected"] == [("coupon", "lim2", "limit_reached")] and q["price"] == "45.00"
    # a minute earlier: one use, below the limit of 2 → 45 − 10
    q = quote(ws, "gold", "T50", at="2024-05-10 09:59")
    assert q["applied"][1:] == [("coupon", "lim2", "10.00")] and q["price"] == "35.00"
    # silver's one use does not count gold's, and silver is below the limit: 47.50 − 10
    q = quote(ws, "silver", "T50")
    assert q["applied"] == [("tier_discount", "银卡", "2.50"), ("coupon", "lim2", "10.00")] and q["price"] == "37.50"


def test_the_first_purchase_gift_is_for_users_without_a_purchase_before_the_moment(ws, tmp_path):
    load_offers(ws, tmp_path, coupons=[coupon("新人礼", first_purchase=True, amount_off=20)])
    gift = [("coupon", "新人礼", "20.00")]
    assert quote(ws, "newbie")["applied"] == gift                             # AT 10:00, order at 12:00
    assert quote(ws, "newbie", at="2024-05-10 12:00")["applied"] == gift      # the order is not *before* 12:00
    q = quote(ws, "newbie", at="2024-05-10 12:01")
    assert q["applied"] == [] and q["rejected"] == [("coupon", "新人礼", "not_first_purchase")]
    assert quote(ws, "refunded")["applied"] == gift                           # fully refunded: not a purchase
    assert quote(ws, "guest")["applied"] == gift
    assert quote(ws, "gold")["rejected"] == [("coupon", "新人礼", "not_first_purchase")]


def test_a_coupon_never_saves_more_than_the_line_and_rounds_half_up(ws, tmp_path):
    load_offers(ws, tmp_path, floor_ratio=0, coupons=[coupon("huge", amount_off=500),
                                                      coupon("pct", amount_off=None, discount=0.9, stackable=True)])
    q = quote(ws, "guest")
    # huge: min(500, 100) = 100; pct: 100 × 0.1 = 10 → raw −10, floor 0 gives back 10
    assert q["applied"] == [("coupon", "huge", "100.00"), ("coupon", "pct", "10.00"), ("floor", "floor", "-10.00")]
    assert q["price"] == "0.00"
    load_offers(ws, tmp_path, coupons=[coupon("pct", amount_off=None, discount=0.9)])
    # P10025: 100.25 × 0.1 = 10.025 → 10.03 (half up; half-even would give 10.02); 100.25 − 10.03 = 90.22
    q = quote(ws, "guest", "P10025")
    assert (q["list_price"], q["applied"], q["price"]) == ("100.25", [("coupon", "pct", "10.03")], "90.22")
    # silver: 100.25 × 0.95 = 95.2375 → 95.24 per unit, saving 100.25 − 95.24 = 5.01; then pct on 95.24:
    # 9.524 → 9.52; 95.24 − 9.52 = 85.72
    q = quote(ws, "silver", "P10025")
    assert (q["applied"], q["price"]) == ([("tier_discount", "银卡", "5.01"), ("coupon", "pct", "9.52")], "85.72")


# -- step 3: 关注立减 ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("user, at, fan", [
    ("fan", AT, True),                                   # followed 2024-02-01, still a fan
    ("guest", AT, False),
    ("exfan", AT, False),                                # unfollowed 2024-04-01
    ("exfan", "2024-03-01 10:00", True),                 # ... but a fan in March
    ("edgefan", AT, True),                               # followed exactly at AT: followed_at <= at
    ("edgefan", "2024-05-10 09:59", False),
    ("leftfan", AT, False),                              # unfollowed exactly at AT: needs unfollowed_at > at
    ("leftfan", "2024-05-10 09:59", True),
])
def test_the_follower_discount_is_for_fans_at_the_moment(ws, tmp_path, user, at, fan):
    load_offers(ws, tmp_path, follow=5)
    q = quote(ws, user, at=at)
    if fan:
        assert (q["applied"], q["rejected"], q["price"]) == ([("follow_discount", "follow", "5.00")], [], "95.00")
    else:
        assert (q["applied"], q["rejected"], q["price"]) == (
            [], [("follow_discount", "follow", "not_a_fan")], "100.00")


# -- step 4: the floor, and quantities -----------------------------------------------------------------------------


def test_the_floor_clips_and_gives_back_with_the_savings_still_listed(ws, tmp_path):
    load_offers(ws, tmp_path, floor_ratio=0.5, price_lists=[("金卡", "S100", 80)], coupons=[coupon("c40", amount_off=40)])
    # gold: 80 − 40 = 40 < floor 0.5 × 100 = 50 → 50, the floor gives back 10
    q = quote(ws, "gold")
    assert q["applied"] == [("member_price", "金卡", "20.00"), ("coupon", "c40", "40.00"), ("floor", "floor", "-10.00")]
    assert (q["price"], q["unit_price"]) == ("50.00", "50.00")
    # two units: 160 − 40 = 120 ≥ floor 100: no clip
    q = quote(ws, "gold", qty=2)
    assert q["applied"] == [("member_price", "金卡", "40.00"), ("coupon", "c40", "40.00")]
    assert (q["price"], q["unit_price"]) == ("120.00", "60.00")


def test_qty_multiplies_unit_prices_while_coupon_amounts_come_off_the_line(ws, tmp_path):
    load_offers(ws, tmp_path, price_lists=[("金卡", "S100", 80)], follow=5,
                coupons=[coupon("n30", amount_off=30, threshold=200),
                         coupon("s90", amount_off=None, discount=0.9, stackable=True)])
    q = quote(ws, "goldfan", qty=3)
    # line 3 × 80 = 240 (满200 holds on the line, not the unit); member saving 3 × 20 = 60; n30 30 (once);
    # s90 240 × 0.1 = 24; follow 5 (once): 240 − 30 − 24 − 5 = 181; floor 0.3 × 300 = 90; unit 181 / 3 = 60.33
    assert q == {"list_price": "100.00", "unit_price": "60.33", "price": "181.00",
                 "applied": [("member_price", "金卡", "60.00"), ("coupon", "n30", "30.00"), ("coupon", "s90", "24.00"),
                             ("follow_discount", "follow", "5.00")],
                 "rejected": [("tier_discount", "金卡", "not_best")]}
    # one unit: line 80 is below 满200
    q = quote(ws, "goldfan", qty=1)
    assert ("coupon", "n30", "below_threshold") in q["rejected"]
    assert q["price"] == "67.00"                          # 80 − 8 − 5


FLAGS = ("member", "stackable", "non_stackable", "fan", "floor")


@pytest.mark.parametrize("combo", list(itertools.product([False, True], repeat=len(FLAGS))),
                         ids=lambda c: "-".join(f for f, on in zip(FLAGS, c) if on) or "none")
def test_every_combination_prices_the_clipped_list_minus_the_savings(ws, tmp_path, combo):
    member, stackable, non_stackable, fan, floor = combo
    user = {(True, True): "goldfan", (True, False): "gold", (False, True): "fan", (False, False): "guest"}[member, fan]
    coupons = ([coupon("st", amount_off=7, stackable=True)] if stackable else []) + \
              ([coupon("ns", amount_off=11)] if non_stackable else [])
    load_offers(ws, tmp_path, floor_ratio=0.9 if floor else 0.0, price_lists=[("金卡", "S100", 80)], coupons=coupons,
                follow=5)
    savings = 20 * member + 7 * stackable + 11 * non_stackable + 5 * fan
    floor_price = 90 if floor else 0
    expected = max(floor_price, 100 - savings)
    q = offers.quote(ws, user, "S100", 1, AT)
    assert q["price"] == Decimal(expected)
    clipped = 100 - savings < floor_price
    assert [a["rule"] for a in q["applied"]] == (["member_price"] * member + ["coupon"] * (stackable + non_stackable)
                                                 + ["follow_discount"] * fan + ["floor"] * clipped)
    assert q["list_price"] - sum(a["amount"] for a in q["applied"]) == q["price"]
    if clipped:
        assert q["applied"][-1]["amount"] == Decimal(100 - savings - floor_price)


# -- errors and caching --------------------------------------------------------------------------------------------


def test_unknown_sku_missing_list_price_bad_qty_and_bad_moment_are_config_errors(ws, tmp_path):
    # nothing loaded: an unknown user pays the list price; a member gets the tier discount (2 × 200 × 0.9 = 360)
    q = offers.quote(ws, "nobody-at-all", "S200", 2, AT)
    assert (q["price"], q["applied"], q["rejected"]) == (Decimal("400.00"), [], [])
    q = offers.quote(ws, "gold", "S200", 2, AT)
    assert (q["price"], q["applied"]) == (Decimal("360.00"), [{"rule": "tier_discount", "id": "金卡",
                                                                "amount": Decimal("40.00")}])
    load_offers(ws, tmp_path)
    with pytest.raises(ConfigError, match="unknown sku 'NOPE'"):
        offers.quote(ws, "gold", "NOPE")
    with pytest.raises(ConfigError, match="sku 'NOPRICE' has no list_price"):
        offers.quote(ws, "gold", "NOPRICE")
    for qty in (0, -1, 1.5, True):
        with pytest.raises(ConfigError, match="--qty"):
            offers.quote(ws, "gold", "S100", qty)
    with pytest.raises(ConfigError, match="--at: not a local timestamp"):
        offers.quote(ws, "gold", "S100", 1, "tomorrow")
    assert offers.quote(ws, "nobody-at-all", "S200", 2, AT)["price"] == Decimal("400.00")   # an empty file


def test_the_default_moment_is_now(ws, tmp_path):
    load_offers(ws, tmp_path, coupons=[coupon("may", valid_from="2024-05-01 00:00", valid_to="2024-06-01 00:00"),
                                       coupon("ever", valid_from="2000-01-01 00:00", valid_to="2999-01-01 00:00",
                                              amount_off=1, stackable=True)])
    q = offers.quote(ws, "guest", "S100")
    assert [(r["id"], r["reason"]) for r in q["rejected"]] == [("may", "expired")]   # today is after May 2024
    assert q["price"] == Decimal("99.00")


def test_a_warm_quote_reads_nothing_and_a_write_is_seen_by_the_next_quote(ws, tmp_path, monkeypatch):
    load_offers(ws, tmp_path, price_lists=[("金卡", "S100", 80)], follow=5,
                coupons=[coupon("m", audience=IS_MEMBER), coupon("lim", per_user_limit=1, stackable=True),
                         coupon("new", first_purchase=True, stackable=True)])
    first = quote(ws, "goldfan")
    # 80 − 10 (m) − 10 (lim) − 5 (follow); new: goldfan bought in January
    assert first["price"] == "55.00"

    def refuse(*a, **k):
        raise AssertionError("a warm quote must not touch the database")

    with monkeypatch.context() as m:
        m.setattr(type(ws.engine), "query", refuse)
        m.setattr(type(ws.engine), "session", refuse)
        assert quote(ws, "goldfan") == first
        assert quote(ws, "goldfan", qty=2)["price"] == "135.00"  # 160 − 10 − 10 − 5
    load_uses(ws, tmp_path, [("lim", "goldfan", "o9", "2024-05-01 10:00")])
    assert quote(ws, "goldfan")["price"] == "65.00"               # the use is counted at once
    load_offers(ws, tmp_path, price_lists=[("金卡", "S100", 70)])
    assert quote(ws, "goldfan")["price"] == "70.00"               # the new offers replace the old ones
