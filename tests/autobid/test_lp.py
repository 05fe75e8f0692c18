"""The hindsight LP against a generic LP solver (scipy's HiGHS) and the attainable ceiling's definition."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from siyu import ConfigError
from siyu.autobid.lp import attainable_ceiling, hindsight_lp


@pytest.mark.parametrize("seed", range(40))
def test_hindsight_lp_equals_highs(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    v, p = rng.gamma(1.0, 1.0, n), rng.gamma(1.0, 0.3, n) + 1e-3
    budget = float(rng.choice([rng.uniform(0.05, 5.0), np.inf]))
    roi = float(rng.uniform(0.5, 6.0))
    ours = hindsight_lp(v, p, budget=budget, target_roi=roi)
    ub = [p, -(v - roi * p)] if np.isfinite(budget) else [-(v - roi * p)]
    ref = linprog(-v, A_ub=np.vstack(ub), b_ub=[budget, 0.0] if np.isfinite(budget) else [0.0],
                  bounds=[(0, 1)] * n, method="highs")
    assert ref.status == 0
    assert ours.gmv == pytest.approx(-ref.fun, rel=1e-9, abs=1e-9)
    assert ours.spend <= budget * (1 + 1e-9)
    assert ours.gmv >= roi * ours.spend - 1e-9


def test_threshold_bid_reaches_the_lp():
    rng = np.random.default_rng(7)
    v, p = rng.gamma(2.0, 1.0, 5000), rng.gamma(2.0, 0.4, 5000)
    lp = hindsight_lp(v, p, budget=np.inf, target_roi=3.0)
    won = lp.multiplier * v >= p * (1 - 1e-12)
    assert lp.binding == "roi"
    assert v[won].sum() == pytest.approx(lp.gmv, rel=2e-3)  # all but the fractional marginal impression


def test_ceiling_with_exact_predictions_is_the_lp_and_noise_lowers_it():
    rng = np.random.default_rng(3)
    v, p = rng.gamma(2.0, 1.0, 20000), rng.gamma(2.0, 0.4, 20000)
    lp = hindsight_lp(v, p, budget=800.0, target_roi=2.5)
    assert attainable_ceiling(v, v, p, budget=800.0, target_roi=2.5).gmv == pytest.approx(lp.gmv)
    noisy = attainable_ceiling(v * np.exp(rng.normal(0, 0.5, v.size)), v, p, budget=800.0, target_roi=2.5)
    assert noisy.gmv < lp.gmv and noisy.spend <= 800.0 + 1e-9 and noisy.gmv >= 2.5 * noisy.spend - 1e-9


def test_bad_input_is_refused():
    with pytest.raises(ConfigError, match="prices"):
        hindsight_lp([1.0], [0.0], budget=1.0, target_roi=1.0)
    with pytest.raises(ConfigError, match="one entry per impression"):
        hindsight_lp([1.0, 2.0], [1.0], budget=1.0, target_roi=1.0)
    with pytest.raises(ConfigError, match="target_roi"):
        hindsight_lp([1.0], [1.0], budget=1.0, target_roi=0.0)
