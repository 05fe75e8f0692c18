"""Run metrics (siyu.autobid.metrics) on hand-made runs, and the Wilson interval against published values."""

from __future__ import annotations

import numpy as np
import pytest

from siyu import ConfigError
from siyu.autobid.harness import replay
from siyu.autobid.market import Profile, Traffic
from siyu.autobid.metrics import evaluate_run, wilson_interval


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Stat. Med. 17:857, Table I,
    # method 3 (Wilson score interval without continuity correction)
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_interval_matches_newcombe(k, n, low, high):
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(low, abs=6e-5)
    assert hi == pytest.approx(high, abs=6e-5)


def test_wilson_interval_edges_and_bad_input():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    lo, hi = wilson_interval(5, 10, level=0.99)
    lo95, hi95 = wilson_interval(5, 10)
    assert lo < lo95 < 0.5 < hi95 < hi
    for k, n in [(-1, 3), (4, 3), (1.5, 3)]:
        with pytest.raises(ConfigError):
            wilson_interval(k, n)


class Scripted:
    """A bidder that plays fixed bids, one array per step (the protocol, nothing more)."""

    def __init__(self, bids):
        self.bids = bids

    def bid(self, step, values, channels):
        return np.asarray(self.bids[step], dtype=float)

    def observe(self, step, won, cost, realized_gmv):
        pass


def traffic(step, value, predicted, price, order_value, converts, *, steps_per_day, days, target_roi, budget):
    step = np.asarray(step)
    n_steps = steps_per_day * days
    return Traffic(step=step, channel=np.zeros(len(step), np.int8), value=np.asarray(value, float),
                   predicted=np.asarray(predicted, float), price=np.asarray(price, float),
                   order_value=np.asarray(order_value, float), converts=np.asarray(converts, bool),
                   target_roi=target_roi, budget=budget, n_steps=n_steps, steps_per_day=steps_per_day,
                   bias=np.zeros(3), noise_sigma=0.0, profile=Profile(), seed=0,
                   bounds=np.searchsorted(step, np.arange(n_steps + 1)))


def test_evaluate_run_on_a_hand_made_run():
    # 2 days x 2 steps; impression 4 looks bad to the bidder's predictions (0.1) but is the best one (v/p = 4)
    t = traffic(step=[0, 0, 1, 2, 3], value=[2, 1, 3, 1, 4], predicted=[2, 1, 3, 1, 0.1], price=[1, 1, 2, 2, 1],
                order_value=[10, 10, 20, 10, 10], converts=[1, 0, 1, 0, 1], steps_per_day=2, days=2,
                target_roi=2.0, budget=5.0)
    big = 100.0
    run = replay(t, Scripted([[big, big], [big], [0.0], [big]]))  # wins 0, 1, 2 and 4
    m = evaluate_run(t, run)
    # LP by v/p: 4 (imp 4), 2 (0), 1.5 (2), 1 (1) -> spend 5 = budget, slack 0: GMV 10, the budget binds
    assert m["lp_gmv"] == pytest.approx(10.0) and m["lp_binding"] == "budget"
    # ceiling by predicted/p: imp 0 (slack 0), then imp 2 breaks the ROI and no later prefix recovers: GMV 2
    assert m["ceiling_gmv"] == pytest.approx(2.0)
    assert m["value"] == pytest.approx(10.0) and m["gmv"] == pytest.approx(40.0)
    assert m["spend"] == pytest.approx(5.0) and m["orders"] == 3
    assert m["efficiency_lp"] == pytest.approx(1.0)
    assert m["efficiency_realized"] == pytest.approx(4.0)
    assert m["efficiency_ceiling"] == pytest.approx(5.0)
    assert m["roi"] == pytest.approx(8.0) and m["attainment"] == pytest.approx(4.0)
    assert m["daily_roi"] == pytest.approx([30 / 4, 10 / 1])
    assert m["budget_use"] == pytest.approx(1.0)
    # cumulative spend by step 2, 4, 4, 5: 50 % (2.5) reached at step 2 of 4, 90 % (4.5) at step 4
    assert m["time_to_50"] == pytest.approx(0.5) and m["hours_to_50"] == pytest.approx(24.0)
    assert m["time_to_90"] == pytest.approx(1.0) and m["hours_to_90"] == pytest.approx(48.0)
    assert not any(m[f"violates_{a}"] for a in ("1.0", "0.9", "0.8"))
    assert m["compensation"] == 0.0  # a 2-day run is an incomplete 7-day window


def test_a_missed_week_with_enough_orders_is_compensated():
    # 7 days x 1 step x 5 impressions, all won and converting: spend 35, GMV 35, R = 2 -> ROI 1 < 0.9 R
    step = np.repeat(np.arange(7), 5)
    ones = np.ones(35)
    t = traffic(step=step, value=ones * 0.5, predicted=ones * 0.5, price=ones, order_value=ones, converts=ones,
                steps_per_day=1, days=7, target_roi=2.0, budget=100.0)
    m = evaluate_run(t, replay(t, Scripted([np.full(5, 10.0)] * 7)))
    assert m["orders"] == 35 and m["roi"] == pytest.approx(1.0)
    assert m["violates_1.0"] and m["violates_0.9"] and m["violates_0.8"]
    assert m["compensation"] == pytest.approx(35 - 35 / 2)
    assert m["compensation_share"] == pytest.approx(0.5)
    assert np.isnan(m["time_to_50"])  # never spent half of 100
    # 29 orders: below the rule's minimum, nothing is paid
    conv = ones.copy()
    conv[:6] = 0
    t2 = traffic(step=step, value=ones * 0.5, predicted=ones * 0.5, price=ones, order_value=ones, converts=conv,
                 steps_per_day=1, days=7, target_roi=2.0, budget=100.0)
    m2 = evaluate_run(t2, replay(t2, Scripted([np.full(5, 10.0)] * 7)))
    assert m2["orders"] == 29 and m2["violates_0.9"] and m2["compensation"] == 0.0


def test_evaluate_run_refuses_a_result_from_another_run():
    t = traffic(step=[0, 1], value=[1, 1], predicted=[1, 1], price=[1, 1], order_value=[1, 1], converts=[0, 0],
                steps_per_day=2, days=1, target_roi=1.0, budget=10.0)
    t3 = traffic(step=[0, 1, 2], value=[1, 1, 1], predicted=[1, 1, 1], price=[1, 1, 1], order_value=[1, 1, 1],
                 converts=[0, 0, 0], steps_per_day=3, days=1, target_roi=1.0, budget=10.0)
    with pytest.raises(ConfigError):
        evaluate_run(t3, replay(t, Scripted([[1.0], [1.0]])))
