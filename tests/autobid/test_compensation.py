"""The 赔付 rule on hand-computed windows (docs/autobid-advisor.md §Compensation)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pydantic
import pytest

from siyu import ConfigError, ValidationError
from siyu.autobid.compensation import (
    RULES,
    CompensationRule,
    compensate,
    daily_records,
    summarize,
)


def week(spend=100.0, gmv=250.0, orders=5, roi=3.0, edits=0, days=7, start=dt.date(2025, 11, 1)):
    return [{"date": start + dt.timedelta(days=d), "spend": spend, "gmv": gmv, "orders": orders,
             "target_roi": roi, "edits": edits} for d in range(days)]


def test_missed_window_pays_the_shortfall():
    # spend 700, GMV 1750, 35 orders, R = 3: ROI 2.5 < 0.9·3 = 2.7 -> pay 700 − 1750/3 = 116.67
    (w,) = compensate(week())
    assert (w.spend, w.gmv, w.orders) == (700.0, 1750.0, 35)
    assert w.realized_roi == pytest.approx(2.5)
    assert w.eligible and w.missed and w.triggered
    assert w.amount == pytest.approx(700 - 1750 / 3)
    assert w.start == dt.date(2025, 11, 1) and w.end == dt.date(2025, 11, 7)
    assert "赔付" in w.reason_zh and "pay" in w.reason_en


def test_excess_over_tolerance_pays_less():
    # Baidu/Xiaohongshu style: only the cost above GMV / (0.9 R): 700 − 1750/2.7 = 51.85
    (w,) = compensate(week(), CompensationRule(payment="excess_over_tolerance"))
    assert w.amount == pytest.approx(700 - 1750 / 2.7)
    (b,) = compensate(week(), "baidu_ocpc")  # tolerance 1/1.2: 2.5 ≥ 2.5 -> not triggered
    assert b.realized_roi == pytest.approx(3 / 1.2) and not b.triggered and b.amount == 0.0
    (x,) = compensate(week(gmv=200.0, orders=1), "xiaohongshu")  # no order minimum; 700 − 1.2·1400/3 = 140
    assert x.eligible and x.amount == pytest.approx(700 - 1.2 * 1400 / 3)


def test_roi_within_tolerance_pays_nothing():
    (w,) = compensate(week(gmv=280.0))  # ROI 2.8: below R = 3 but above 0.9 R = 2.7
    assert w.eligible and not w.missed and not w.triggered and w.amount == 0.0
    assert "达标" in w.reason_zh and "met" in w.reason_en


def test_too_few_orders_is_not_eligible():
    (w,) = compensate(week(orders=4))  # 28 < 30
    assert w.missed and not w.eligible and not w.triggered and w.amount == 0.0
    assert w.ineligible == ("too_few_orders",)
    assert "28 < 30" in w.reason_en and "订单不足" in w.reason_zh


def test_too_many_edits_names_the_day():
    recs = week()
    recs[2]["edits"] = 3
    (w,) = compensate(recs)
    assert w.ineligible == ("too_many_edits",) and w.amount == 0.0
    assert "3 on 2025-11-03" in w.reason_en and "2025-11-03" in w.reason_zh
    recs[2]["edits"] = 2  # at most 2 a day is fine
    assert compensate(recs)[0].triggered


def test_edited_target_is_spend_weighted():
    recs = week(spend=100.0, roi=3.0)
    for r in recs[3:]:
        r.update(spend=200.0, target_roi=4.0)
    for r in recs:
        r["gmv"] = 3000.0 / 7
    (w,) = compensate(recs)
    # R̄ = (300·3 + 800·4) / 1100 = 41/11; ROI 3000/1100 = 2.73 < 0.9·3.73 -> pay 1100 − 3000·11/41
    assert w.target_roi == pytest.approx(41 / 11)
    assert w.triggered and w.amount == pytest.approx(1100 - 3000 * 11 / 41)


def test_partial_last_window_and_gaps():
    recs = week(days=10)
    del recs[1]  # a missing day inside the first window counts as a day without spend
    w1, w2 = compensate(recs)
    assert (w1.days, w1.spend, w1.orders) == (7, 600.0, 30)
    assert w1.eligible and w1.triggered and w1.amount == pytest.approx(600 - 1500 / 3)
    assert w2.start == dt.date(2025, 11, 8) and w2.days == 3
    assert "incomplete" in w2.ineligible and not w2.eligible and w2.amount == 0.0
    s = summarize([w1, w2])
    assert s["windows"] == 2 and s["triggered"] == 1 and s["amount"] == pytest.approx(w1.amount)


def test_target_cap_and_no_spend():
    (w,) = compensate(week(), CompensationRule(max_target_roi=2.5))
    assert w.ineligible == ("target_too_high",)
    (z,) = compensate(week(spend=0.0, gmv=0.0, orders=40))
    assert z.eligible and not z.missed and z.amount == 0.0 and z.as_dict()["realized_roi"] is None


def test_dataframe_arrow_and_day_numbers():
    pd = pytest.importorskip("pandas")
    pa = pytest.importorskip("pyarrow")
    recs = [{k: v for k, v in r.items() if k != "edits"} for r in week()]
    for i, r in enumerate(recs):
        r["date"] = i
    a = compensate(pd.DataFrame(recs))[0]
    b = compensate(pa.Table.from_pylist(recs))[0]
    assert a.amount == b.amount == pytest.approx(700 - 1750 / 3)
    assert a.start == 0 and a.end == 6


def test_bad_records(tmp_path):
    with pytest.raises(ConfigError, match="'gmv'"):
        compensate([{"date": 0, "spend": 1, "orders": 1, "target_roi": 3}])
    with pytest.raises(ConfigError, match="row 2.*'spend'"):
        compensate([{"date": 0, "spend": 1, "gmv": 1, "orders": 1, "target_roi": 3},
                    {"date": 1, "spend": -1, "gmv": 1, "orders": 1, "target_roi": 3}])
    with pytest.raises(ConfigError, match="unknown compensation rule"):
        compensate(week(), "alimama")
    f = tmp_path / "daily.csv"
    f.write_text("date,spend,gmv,orders,target_roi\n2025-11-01,10,30,2,3\n2025-11-02,ten,30,2,3\n")
    with pytest.raises(ValidationError) as e:
        compensate(f)
    assert e.value.row == 2 and e.value.column == "spend" and e.value.file == str(f)
    with pytest.raises(ValidationError, match="not found"):
        compensate(tmp_path / "nope.csv")
    with pytest.raises(pydantic.ValidationError):
        CompensationRule(tolerance=1.5)
    with pytest.raises(pydantic.ValidationError):
        CompensationRule(window=7)  # extra keys are refused


def test_rules_are_valid_and_default_matches_spec():
    r = RULES["siyu"]
    assert (r.window_days, r.tolerance, r.min_orders, r.max_edits_per_day, r.payment) == (7, 0.9, 30, 2, "shortfall")


def test_daily_records_from_a_run():
    from siyu.autobid.bidders import make_bidder
    from siyu.autobid.harness import replay
    from siyu.autobid.market import simulate

    tr = simulate("normal/mid/roi", np.random.default_rng(3), impressions_per_day=5_000, days=7, target_roi=3.0,
                  budget=float("inf"))
    run = replay(tr, make_bidder("fixed", target_roi=3.0, budget=tr.budget, n_steps=tr.n_steps))
    recs = daily_records(run, tr, start=dt.date(2025, 11, 1))
    assert len(recs) == 7 and recs[-1]["date"] == dt.date(2025, 11, 7)
    (w,) = compensate(recs)
    assert w.spend == pytest.approx(run.total_spend) and w.gmv == pytest.approx(run.total_gmv)
    assert w.orders == run.total_orders and w.target_roi == 3.0
