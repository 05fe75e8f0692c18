"""The advisor: the volume–ROI curve on tier A, the recommendation rules, the product screen."""

from __future__ import annotations

import itertools
import math

import pytest

from autobid._html import shows
from siyu import ConfigError, ValidationError
from siyu.autobid import advisor
from siyu.autobid.advisor import (
    Curve,
    CurvePoint,
    ScreenRule,
    advise,
    recommend,
    screen_products,
    volume_roi_curve,
)
from siyu.autobid.compensation import CompensationRule
from siyu.autobid.market import MarketConfig

#: 24 steps a day keeps each simulated week quick; the bidder and the rules are the same
FAST = MarketConfig(steps_per_day=24)


def test_the_advisor_uses_siyus_bidder():
    from siyu.autobid.bidders import BIDDERS, make_bidder

    make_bidder("fixed", target_roi=1.0, budget=1.0, n_steps=1)  # loads the registry
    assert advisor.DEFAULT_BIDDER == "siyu" and "siyu" in BIDDERS


@pytest.mark.parametrize("profile", ["hot", "normal"])
def test_lower_target_gives_more_volume(profile):
    curve = volume_roi_curve(profile, [2.0, 3.0, 4.0], seeds=2, config=FAST, impressions_per_day=10_000)
    assert curve.bidder == "siyu" and curve.seeds == (0, 1)
    pts = curve.points
    assert [p.target_roi for p in pts] == [2.0, 3.0, 4.0]
    for lo, hi in itertools.pairwise(pts):
        assert lo.expected_gmv > hi.expected_gmv
        assert lo.spend > hi.spend
        assert lo.orders >= hi.orders
    # and a higher target buys a higher realized ROI
    assert pts[-1].realized_roi > pts[0].realized_roi
    assert all(p.budget_use is None and p.uncapped_spend == p.spend for p in pts)


def test_budget_bound_curve_and_budget_advice():
    free = volume_roi_curve("normal", [2.0], seeds=1, config=FAST, impressions_per_day=10_000)
    cap = free.points[0].spend / 4
    curve = volume_roi_curve("normal", [2.0], cap, seeds=1, config=FAST, impressions_per_day=10_000)
    (p,) = curve.points
    assert p.budget_bound == 1.0 and p.spend <= cap * (1 + 1e-9) and p.budget_use == pytest.approx(1.0, abs=0.01)
    assert p.uncapped_spend == pytest.approx(free.points[0].spend)
    rec = recommend(curve, "max_gmv", roi_floor=0.5)
    assert rec.budget >= p.uncapped_spend > cap  # the spend at which the target stops being budget-bound
    assert "runs out" in " ".join(rec.reasons_en)


def _pt(t, gmv, spend, roi, **kw):
    base = dict(target_roi=t, expected_gmv=gmv, gmv=gmv, spend=spend, orders=gmv / 100, realized_roi=roi,
                expected_roi=gmv / spend, budget_use=None, budget_bound=0.0, uncapped_spend=spend, compensation=0.0,
                p_compensation=0.0, p_miss=0.5)
    base.update(kw)
    return CurvePoint(**base)


def _curve(points, budget=math.inf):
    return Curve(points=tuple(points), profile="test", budget=budget, seeds=(0,), bidder="siyu", days=7,
                 impressions_per_day=None, rule=CompensationRule())


HAND = _curve([_pt(2.0, 10_000, 5_200, 1.90), _pt(2.5, 8_000, 3_100, 2.55), _pt(3.0, 6_000, 1_900, 3.10),
               _pt(4.0, 3_000, 700, 4.20)])


def test_recommendation_obeys_the_floor_and_picks_the_max():
    rec = recommend(HAND, "max_gmv", roi_floor=2.5)
    assert rec.feasible and rec.target_roi == 2.5 and rec.objective == 8_000
    assert rec.budget == 3_100.0 and rec.budget_per_day == pytest.approx(3_100 / 7)
    assert any("2.5" in r for r in rec.reasons_en) and any("1.90" in r for r in rec.reasons_en)
    assert recommend(HAND, "max_gmv", roi_floor=3.0).target_roi == 3.0
    assert recommend(HAND, "max_gmv", roi_floor=1.0).target_roi == 2.0
    # without a floor: realized ROI ≥ 0.9 × its own target (1.90 ≥ 1.8)
    assert recommend(HAND, "max_gmv").target_roi == 2.0


def test_no_target_meets_the_floor():
    rec = recommend(HAND, "max_gmv", roi_floor=5.0)
    assert not rec.feasible and rec.target_roi == 4.0
    assert "no target" in rec.reasons_en[0] and "没有目标" in rec.reasons_zh[0]


def test_max_profit():
    # profit = GMV × 0.5 − spend: −200, 900, 1100, 800 -> target 3
    rec = recommend(HAND, "max_profit", margin=0.5)
    assert rec.feasible and rec.target_roi == 3.0 and rec.objective == pytest.approx(1_100)
    # at margin 0.2 nothing pays (break-even ROI 5): the smallest loss, flagged
    bad = recommend(HAND, "max_profit", margin=0.2)
    assert not bad.feasible and bad.target_roi == 4.0 and "no target is profitable" in bad.reasons_en[0]
    # a floor applies to max_profit too
    assert recommend(HAND, "max_profit", margin=0.5, roi_floor=3.5).target_roi == 4.0


def test_recommend_rejects_bad_goals():
    with pytest.raises(ConfigError, match="margin"):
        recommend(HAND, "max_profit")
    with pytest.raises(ConfigError, match="goal"):
        recommend(HAND, "max_volume")
    with pytest.raises(ConfigError, match="roi_floor"):
        recommend(HAND, roi_floor=-1)
    with pytest.raises(ConfigError, match="targets"):
        volume_roi_curve("normal", [2.0, -1.0])
    with pytest.raises(ConfigError, match="profile"):
        volume_roi_curve("famous", [2.0])
    with pytest.raises(ConfigError, match="budget"):
        volume_roi_curve("normal", [2.0], budget=0)


PRODUCTS = [
    # hot: big sales base, high pCVR, good CTR
    {"product_id": "A", "sales_30d": 1200, "reviews": 800, "rating": 4.9, "ctr": 0.04, "pcvr": 0.035, "price": 99},
    # normal
    {"product_id": "B", "sales_30d": 120, "reviews": 60, "rating": 4.7, "ctr": 0.025, "pcvr": 0.012, "price": 129},
    # new: 8 sales (< 15) -> will not deliver
    {"product_id": "C", "sales_30d": 8, "reviews": 2, "rating": 5.0, "ctr": 0.03, "pcvr": 0.02, "price": 89},
    # low CTR -> test first, but can deliver
    {"product_id": "D", "sales_30d": 500, "reviews": 300, "rating": 4.8, "ctr": 0.004, "pcvr": 0.03, "price": 110},
    # high price (> 3 × median 110) with a long decision cycle
    {"product_id": "E", "sales_30d": 60, "reviews": 30, "rating": 4.6, "ctr": 0.02, "pcvr": 0.008, "price": 2999,
     "decision_days": 14},
    # the category's market ROI is low: target 3 is > 1.3 × 2
    {"product_id": "F", "sales_30d": 400, "reviews": 200, "rating": 4.8, "ctr": 0.03, "pcvr": 0.025, "price": 79,
     "category_market_roi": 2.0},
]


def test_product_screen_rules():
    out = {v.product_id: v for v in screen_products(PRODUCTS, target_roi=3.0, market_roi=3.0)}
    assert out["A"].tier == "hot" and out["A"].will_deliver and not out["A"].flags
    assert out["B"].tier == "normal" and out["B"].will_deliver
    assert out["C"].tier == "test_first" and not out["C"].will_deliver and out["C"].flags[0] == "new_product"
    assert any("few reviews" in r or "reviews" in r for r in out["C"].reasons_en)  # noted, tier unchanged
    assert out["D"].tier == "test_first" and out["D"].will_deliver and out["D"].flags == ("low_ctr",)
    assert out["E"].tier == "test_first" and set(out["E"].flags) == {"high_price", "long_cycle"}
    assert out["F"].tier == "test_first" and not out["F"].will_deliver
    assert out["F"].flags == ("target_above_market",) and out["F"].market_roi == 2.0
    assert "新品" in out["C"].reasons_zh[0] and "点击率" in out["D"].reasons_zh[0]
    # the thresholds are parameters: with min_sales 5 product C is no longer new
    c = {v.product_id: v for v in screen_products(PRODUCTS, target_roi=3.0, rule=ScreenRule(min_sales=5))}["C"]
    assert "new_product" not in c.flags and c.will_deliver
    # a target far above the market flags everyone
    assert not any(v.will_deliver for v in screen_products(PRODUCTS, target_roi=4.5, market_roi=3.0))


def test_product_screen_bad_input(tmp_path):
    with pytest.raises(ConfigError, match="'pcvr'"):
        screen_products([{"product_id": "A", "sales_30d": 1, "ctr": 0.1, "price": 1}], target_roi=3)
    with pytest.raises(ConfigError, match="row 2.*'ctr'"):
        screen_products([PRODUCTS[0], {**PRODUCTS[1], "ctr": 1.5}], target_roi=3)
    with pytest.raises(ConfigError, match="twice"):
        screen_products([PRODUCTS[0], PRODUCTS[0]], target_roi=3)
    f = tmp_path / "p.csv"
    f.write_text("product_id,sales_30d,ctr,pcvr,price\nA,10,0.02,0.01,99\nB,many,0.02,0.01,99\n", encoding="utf-8")
    with pytest.raises(ValidationError) as e:
        screen_products(f, target_roi=3)
    assert (e.value.file, e.value.row, e.value.column) == (str(f), 2, "sales_30d")
    with pytest.raises(ConfigError, match="target_roi"):
        screen_products(PRODUCTS, target_roi=0)


def test_advise_ties_it_together(tmp_path):
    out = tmp_path / "curve.html"
    adv = advise("hot", targets=[2.0, 3.0], seeds=1, goal="max_profit", margin=0.5, products=PRODUCTS,
                 chart=out, config=FAST, impressions_per_day=5_000)
    assert adv.recommendation.target_roi in (2.0, 3.0)
    assert {v.product_id for v in adv.products} == {"A", "B", "C", "D", "E", "F"}
    html = out.read_text(encoding="utf-8")
    assert "Plotly.newPlot" in html and shows(html, "量–ROI 曲线 Volume–ROI curve")
    d = adv.as_dict()
    assert d["recommendation"]["goal"] == "max_profit" and len(d["curve"]) == 2 and d["chart"] == str(out)
