"""Golden tests of every tier rule edge (docs/loyalty.md §Tiers), on hand-made stores whose expected tier changes
are worked out by hand in the comments."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from siyu import ConfigError
from siyu.loyalty import history, load_program, members

from .conftest import GROWTH, load, make_store

D = dt.date


def changes_of(ws, program=GROWTH, as_of="2025-12-31"):
    h = history(ws, load_program(program), as_of)
    return [(r["user_id"], r["date"].isoformat(), r["from_tier"], r["to_tier"], r["reason"])
            for r in h.changes.to_pylist()]


def program(**info):
    p = copy.deepcopy(GROWTH)
    p["program"].update(info)
    return p


def test_threshold_reached_exactly_upgrades_that_day_and_a_fen_short_does_not(tmp_path):
    ws = make_store(tmp_path, [
        ("o1", "a", "2024-03-05 10:00", "300.00", "0"), ("o2", "a", "2024-03-09 23:59", "200.00", "0"),  # 500.00
        ("o3", "b", "2024-03-05 10:00", "300.00", "0"), ("o4", "b", "2024-03-09 10:00", "199.99", "0"),  # 499.99
        ("o5", "c", "2024-03-05 10:00", "2000.00", "0"),                                                # straight to 金卡
    ], [("a", "2024-01-01 00:00", None), ("b", "2024-01-01 00:00", None), ("c", "2024-01-01 00:00", None)])
    assert changes_of(ws, as_of="2024-03-31") == [
        ("c", "2024-03-05", None, "金卡", "upgrade"),     # one change to the highest tier reached, not two
        ("a", "2024-03-09", None, "银卡", "upgrade"),
    ]
    rows = {r["user_id"]: r for r in members(ws, load_program(GROWTH), "2024-03-31").to_pylist()}
    assert rows["b"] == {"user_id": "b", "tier": None, "qualifying_spend": 499.99}   # a member below the first tier
    assert rows["a"]["qualifying_spend"] == 500.0 and rows["c"]["tier"] == "金卡"


def test_several_orders_a_day_count_together(tmp_path):
    ws = make_store(tmp_path, [("o1", "a", "2024-05-02 09:00", "1200", "0"), ("o2", "a", "2024-05-02 21:00", "800", "0")],
                    [("a", "2024-01-01 00:00", None)])
    assert changes_of(ws, as_of="2024-05-31") == [("a", "2024-05-02", None, "金卡", "upgrade")]


def test_window_boundaries_an_order_counts_through_p_plus_n_minus_1_and_leaves_on_p_plus_n(tmp_path):
    # window 30, monthly reviews. o1 on 01-31 leaves W(30) on 03-01 (2024 is a leap year: 01-31 + 30 days = 03-01),
    # exactly the review day; o2 on 02-01 is still inside W(30) at 03-01 (it leaves on 03-02).
    p = program(window_days=30)
    ws = make_store(tmp_path, [("o1", "a", "2024-01-31 10:00", "600", "0"),
                               ("o2", "b", "2024-02-01 10:00", "600", "0")],
                    [("a", "2024-01-01 00:00", None), ("b", "2024-01-01 00:00", None)])
    assert changes_of(ws, p, as_of="2024-04-30") == [
        ("a", "2024-01-31", None, "银卡", "upgrade"),
        ("b", "2024-02-01", None, "银卡", "upgrade"),
        ("a", "2024-03-01", "银卡", None, "review"),     # s(03-01) = 0 for a: out on the review day itself
        ("b", "2024-04-01", "银卡", None, "review"),     # b's s(03-01) = 600 >= keep 500: kept until the next review
    ]
    rows = {r["user_id"]: r for r in members(ws, load_program(p), "2024-03-01").to_pylist()}
    assert rows["a"]["qualifying_spend"] == 0 and rows["b"]["qualifying_spend"] == 600
    assert rows["b"]["tier"] == "银卡" and rows["a"]["tier"] is None


def test_downgrade_waits_for_the_review_day_and_keep_holds_the_tier(tmp_path):
    # 金卡 on 2024-01-10 (2000). 2024-06-15: +1000. o1 leaves W(365) on 2025-01-09 (2024 has 366 days):
    # s = 1000 from then. Review 2025-01-01: s = 3000, kept. Review 2025-02-01: 1000 < keep 1500 -> the highest
    # tier whose keep <= 1000: 银卡 (keep 500).
    ws = make_store(tmp_path, [("o1", "a", "2024-01-10 10:00", "2000", "0"), ("o2", "a", "2024-06-15 10:00", "1000", "0")],
                    [("a", "2024-01-01 00:00", None)])
    assert changes_of(ws, as_of="2025-03-31") == [
        ("a", "2024-01-10", None, "金卡", "upgrade"),
        ("a", "2025-02-01", "金卡", "银卡", "review"),
    ]


def test_keep_between_keep_and_threshold_keeps_gold(tmp_path):
    # s falls to 1600 (>= keep 1500, < threshold 2000) before a review: 金卡 is kept (保级)
    ws = make_store(tmp_path, [("o1", "a", "2024-01-10 10:00", "400", "0"), ("o2", "a", "2024-03-10 10:00", "1600", "0")],
                    [("a", "2024-01-01 00:00", None)])
    # 400 on 01-10 is below 500; s = 2000 on 03-10: 金卡. o1 leaves W(365) on 2025-01-09: s = 1600 >= keep 1500 at
    # the reviews of 2025-02-01 and 2025-03-01; o2 leaves on 2025-03-10: s = 0 -> the 2025-04-01 review.
    assert changes_of(ws, as_of="2025-03-31") == [("a", "2024-03-10", None, "金卡", "upgrade")]
    assert changes_of(ws, as_of="2025-04-01")[-1] == ("a", "2025-04-01", "金卡", None, "review")


def test_a_refund_loaded_later_rewrites_the_history_it_belongs_to(tmp_path):
    orders = [("o1", "a", "2024-01-10 10:00", "2000", "0"), ("o2", "a", "2024-06-15 10:00", "1000", "0")]
    ws = make_store(tmp_path, orders, [("a", "2024-01-01 00:00", None)])
    assert changes_of(ws, as_of="2025-03-31")[-1] == ("a", "2025-02-01", "金卡", "银卡", "review")
    # A refund of 600 on o2 (net 400): at the 2025-02-01 review s = 400 < keep 银卡 500 -> no tier at all.
    load(ws, tmp_path, [("o2", "a", "2024-06-15 10:00", "1000", "600")])
    assert changes_of(ws, as_of="2025-03-31") == [
        ("a", "2024-01-10", None, "金卡", "upgrade"),
        ("a", "2025-02-01", "金卡", None, "review"),
    ]
    # A full refund of o1: it is not a purchase; 金卡 was never reached (s = 400 all along): no change at all.
    load(ws, tmp_path, [("o1", "a", "2024-01-10 10:00", "2000", "2000")])
    assert changes_of(ws, as_of="2025-03-31") == []


def test_a_refund_dropping_below_keep_before_or_on_a_review_day(tmp_path):
    # 金卡 via 1200 (2024-01-05) + 900 (2024-01-20) = 2100 on 01-20; window 30 days, monthly reviews.
    # o1 leaves on 02-04, o2 on 02-19 -> review 03-01 sees 0 whatever the refunds.
    # Review 02-01: without refunds s = 2100 (kept). A refund of 700 on o2 makes s(02-01) = 1400 < keep 1500:
    # but the refund also rewrites 01-20: s = 1600 < 2000, so 金卡 was never reached; 银卡 from 01-05.
    p = program(window_days=30)
    ws = make_store(tmp_path, [("o1", "a", "2024-01-05 10:00", "1200", "0"), ("o2", "a", "2024-01-20 10:00", "900", "0"),
                               ("o3", "b", "2024-01-05 10:00", "2000", "0"), ("o4", "b", "2024-02-01 08:00", "100", "0")],
                    [("a", "2024-01-01 00:00", None), ("b", "2024-01-01 00:00", None)])
    assert changes_of(ws, p, as_of="2024-02-29") == [
        ("a", "2024-01-05", None, "银卡", "upgrade"),
        ("b", "2024-01-05", None, "金卡", "upgrade"),
        ("a", "2024-01-20", "银卡", "金卡", "upgrade"),
    ]
    # b: refund 600 of o3 (net 1400, never 金卡) -> 银卡 from 01-05; on the review day 02-01 s = 1400 + 100 -> kept 银卡
    # a: refund 700 of o2 -> s(01-20) = 1400: stays 银卡
    load(ws, tmp_path, [("o2", "a", "2024-01-20 10:00", "900", "700"), ("o3", "b", "2024-01-05 10:00", "2000", "600")])
    assert changes_of(ws, p, as_of="2024-02-29") == [
        ("a", "2024-01-05", None, "银卡", "upgrade"),
        ("b", "2024-01-05", None, "银卡", "upgrade"),
    ]
    # On the review day itself: a refund of 1000 on o4's day is o4 partly refunded: o4 100 -> net 100 unchanged, so
    # instead refund o3 fully: b has only o4 (100) in W(30) at 02-01 -> no tier ever.
    load(ws, tmp_path, [("o3", "b", "2024-01-05 10:00", "2000", "2000")])
    assert [c for c in changes_of(ws, p, as_of="2024-02-29") if c[0] == "b"] == []


def test_leave_ends_the_tier_and_rejoining_starts_afresh(tmp_path):
    # 金卡 on 2024-02-01 (2000); leaves 2024-05-01 (reason left, no tier while away); rejoins 2024-07-01 with
    # s = 2000 still inside W(365): 金卡 again that day (upgrade). u2 rejoins with s = 1600: only 银卡 (keep is not
    # a threshold: evaluation starts afresh).
    ws = make_store(tmp_path, [("o1", "a", "2024-02-01 10:00", "2000", "0"), ("o2", "b", "2024-02-01 10:00", "1600", "0"),
                               ("o3", "b", "2024-02-02 10:00", "400", "0"), ("o4", "b", "2024-03-01 10:00", "0.01", "0")],
                    [("a", "2024-01-01 00:00", "2024-05-01 09:00"), ("a", "2024-07-01 12:00", None),
                     ("b", "2024-01-01 00:00", "2024-05-01 09:00"), ("b", "2024-07-01 12:00", None)])
    assert changes_of(ws, as_of="2024-12-31") == [
        ("a", "2024-02-01", None, "金卡", "upgrade"),
        ("b", "2024-02-01", None, "银卡", "upgrade"),
        ("b", "2024-02-02", "银卡", "金卡", "upgrade"),
        ("a", "2024-05-01", "金卡", None, "left"),
        ("b", "2024-05-01", "金卡", None, "left"),
        ("a", "2024-07-01", None, "金卡", "upgrade"),
        ("b", "2024-07-01", None, "金卡", "upgrade"),
    ]
    rows = {r["user_id"]: r for r in members(ws, load_program(GROWTH), "2024-06-01").to_pylist()}
    assert rows == {}  # nobody is a member on 06-01: a non-member has no tier and is not listed


def test_purchases_before_joining_count_and_a_non_member_never_has_a_tier(tmp_path):
    ws = make_store(tmp_path, [("o1", "a", "2023-12-01 10:00", "2500", "0"), ("o2", "z", "2024-01-02 10:00", "5000", "0")],
                    [("a", "2024-01-15 10:00", None)])
    assert changes_of(ws, as_of="2024-01-31") == [("a", "2024-01-15", None, "金卡", "upgrade")]


def test_a_day_that_is_both_review_and_upgrade_reviews_first_then_upgrades(tmp_path):
    # window 30. a: 银卡 on 01-10 (600); o1 leaves on 02-09; on the review day 03-01 s would be 0 (-> no tier) but an
    # order of 2100 that day counts in s(03-01): the review keeps 银卡 (2100 >= 500), then the upgrade rule lifts it to 金卡.
    # b: 金卡 from 01-10 (2000), leaves W on 02-09; 04-01 is a review day with an order of 600 that day:
    # review 金卡 -> 银卡 (600 < 1500, keep of 银卡 500 <= 600); no upgrade (600 < 2000). Both reasons on one day
    # appear for c: 金卡, review sees s = 0 on 03-01 -> no tier... then a 500 order on 03-01 makes s = 500: review
    # 金卡 -> 银卡 (keep 500 <= 500) and no upgrade.
    p = program(window_days=30)
    ws = make_store(tmp_path, [("o1", "a", "2024-01-10 10:00", "600", "0"), ("o2", "a", "2024-03-01 09:00", "2100", "0"),
                               ("o3", "b", "2024-01-10 10:00", "2000", "0"), ("o4", "b", "2024-03-01 09:00", "600", "0")],
                    [("a", "2024-01-01 00:00", None), ("b", "2024-01-01 00:00", None)])
    assert changes_of(ws, p, as_of="2024-03-15") == [
        ("a", "2024-01-10", None, "银卡", "upgrade"),
        ("b", "2024-01-10", None, "金卡", "upgrade"),
        ("a", "2024-03-01", "银卡", "金卡", "upgrade"),
        ("b", "2024-03-01", "金卡", "银卡", "review"),
    ]


def test_review_then_upgrade_on_one_day_when_keep_is_low(tmp_path):
    # With keep far below the threshold a review and an upgrade can both happen on one day: 银卡 threshold 500 keep
    # 100, 金卡 threshold 2000 keep 1900, window 30. a: 金卡 on 01-10 (2000, leaves 02-09). On 03-01 (review) a
    # 600 order: review 金卡 -> 银卡 (600 < 1900; keep 100 <= 600); the upgrade rule then finds 银卡 again
    # (threshold 500 <= 600 < 2000): no second change. With 2000 on 03-01 there is no review change at all.
    p = {"program": {"name": "p", "window_days": 30}, "tiers": [
        {"name": "银卡", "threshold": 500, "keep": 100}, {"name": "金卡", "threshold": 2000, "keep": 1900}]}
    ws = make_store(tmp_path, [("o1", "a", "2024-01-10 10:00", "2000", "0"), ("o2", "a", "2024-03-01 09:00", "600", "0")],
                    [("a", "2024-01-01 00:00", None)])
    assert changes_of(ws, p, as_of="2024-03-15") == [("a", "2024-01-10", None, "金卡", "upgrade"),
                                                     ("a", "2024-03-01", "金卡", "银卡", "review")]


@pytest.mark.parametrize("review, days", [("monthly", ["2024-02-01"]), ("quarterly", ["2024-04-01"]),
                                          ("yearly", ["2025-01-01"])])
def test_review_calendars(tmp_path, review, days):
    # 银卡 on 2024-01-10 with window 7: s = 0 from 01-17; the first review day after that downgrades.
    p = program(window_days=7, review=review)
    ws = make_store(tmp_path, [("o1", "a", "2024-01-10 10:00", "500", "0")], [("a", "2024-01-01 00:00", None)])
    got = changes_of(ws, p, as_of="2025-01-31")
    assert got == [("a", "2024-01-10", None, "银卡", "upgrade"), *(("a", d, "银卡", None, "review") for d in days)]


def test_points_basis_compares_qualifying_points(tmp_path):
    # basis points, 2 points per yuan: thresholds in points. 249.99 yuan -> floor(499.98) = 499 points (< 500);
    # + 0.50 yuan (1 point) the next day -> 500: 银卡.
    p = {"program": {"name": "p", "basis": "points"}, "points": {"points_per_yuan": 2},
         "tiers": [{"name": "银卡", "threshold": 500}, {"name": "金卡", "threshold": 4000, "keep": 3000}]}
    ws = make_store(tmp_path, [("o1", "a", "2024-03-01 10:00", "249.99", "0"), ("o2", "a", "2024-03-02 10:00", "0.50", "0")],
                    [("a", "2024-01-01 00:00", None)])
    assert changes_of(ws, p, as_of="2024-03-31") == [("a", "2024-03-02", None, "银卡", "upgrade")]
    rows = members(ws, load_program(p), "2024-03-31").to_pylist()
    assert rows == [{"user_id": "a", "tier": "银卡", "qualifying_spend": 500.0}]


@pytest.mark.parametrize("change, message", [
    (lambda p: p["tiers"][1].update(threshold=400, keep=400), "tiers[1].threshold"),
    (lambda p: p["tiers"][1].update(keep=2500), "tiers[1].keep"),
    (lambda p: p["tiers"][0].update(keep=1600), "tiers[0].keep"),
    (lambda p: p["tiers"][1].update(keep=400), "tiers[1].keep: 400 is below"),
    (lambda p: p["tiers"][1].update(name="银卡"), "used twice"),
    (lambda p: p["program"].update(review="weekly"), "program.review"),
    (lambda p: p["program"].update(window_days=0), "program.window_days"),
    (lambda p: p["tiers"][0].update(discount=1.5), "tiers[0].discount"),
    (lambda p: p["tiers"][0].update(colour="silver"), "tiers[0].colour"),
    (lambda p: p["tiers"][0].update(threshold=500.001), "tiers[0].threshold"),
    (lambda p: p.update(tiers=[]), "tiers"),
    (lambda p: p.update(points={"expire": 0}), "points.expire"),
])
def test_bad_programs_name_the_key(change, message):
    p = copy.deepcopy(GROWTH)
    change(p)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_program(p)


def test_a_program_file_error_names_the_file(tmp_path):
    f = tmp_path / "growth.toml"
    f.write_text('[program]\nname = "x"\n[[tiers]]\nname = "银卡"\nthreshold = -1\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"growth\.toml: tiers\[0\]\.threshold"):
        load_program(f)
    f.write_text("[program\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_program(f)
