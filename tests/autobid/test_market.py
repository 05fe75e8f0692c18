"""Tier-A simulator (siyu.autobid.market): determinism, channel mix, calibration, shocks and binding constraints."""

from __future__ import annotations

import numpy as np
import pytest

from siyu.autobid.lp import hindsight_lp
from siyu.autobid.market import MarketConfig, Profile, profile_grid, simulate

ARRAYS = ("step", "channel", "value", "predicted", "price", "order_value", "converts")


def test_same_seed_same_arrays_and_other_seed_other_arrays():
    a = simulate("normal/mid/roi", 3, impressions_per_day=5_000)
    b = simulate("normal/mid/roi", 3, impressions_per_day=5_000)
    c = simulate("normal/mid/roi", 4, impressions_per_day=5_000)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.budget == b.budget and a.target_roi == b.target_roi
    assert len(a) != len(c) or not np.array_equal(a.value, c.value)
    assert not np.array_equal(a.price[:1000], c.price[:1000])


def test_channel_shares_and_median_pcvr_of_the_normal_profile():
    t = simulate("normal/mid/roi", 0, impressions_per_day=50_000)
    shares = np.bincount(t.channel, minlength=3) / len(t)
    np.testing.assert_allclose(shares, [0.35, 0.50, 0.15], atol=0.005)
    pcvr = t.value / t.order_value
    medians = [np.median(pcvr[t.channel == c]) for c in range(3)]
    np.testing.assert_allclose(medians, [0.020, 0.006, 0.010], rtol=0.03)


def test_stationary_scenario_has_exact_predictions():
    t = simulate("new/high/budget", 1, impressions_per_day=5_000, scenario="stationary")
    np.testing.assert_allclose(t.predicted, t.value, rtol=1e-12)
    np.testing.assert_array_equal(t.bias, np.zeros(3))
    d = simulate("new/high/budget", 1, impressions_per_day=5_000)
    assert not np.allclose(d.predicted, d.value)


def test_shocks_raise_prices_by_the_shock_factor_in_their_windows():
    # without price noise or hourly prices, price / (value · channel factor) is one constant times the shock
    cfg = MarketConfig(price_sigma=0.0, hourly_prices=False, shocks_per_day=2, shock_steps=8, shock_factor=1.3,
                       impressions_per_day=20_000, days=3)
    t = simulate("normal/mid/roi", 5, cfg)
    ratio = t.price / (t.value * np.asarray(cfg.channel_price)[t.channel])
    per_step = np.full(t.n_steps, np.nan)
    for s in range(t.n_steps):
        r = ratio[t.rows(s)]
        if r.size:
            assert np.ptp(r) <= 1e-9 * r.max()  # one level within a step
            per_step[s] = r[0]
    base = np.nanmin(per_step)
    shocked = per_step > base * 1.15
    np.testing.assert_allclose(per_step[shocked], base * 1.3, rtol=1e-9)
    np.testing.assert_allclose(per_step[~shocked & ~np.isnan(per_step)], base, rtol=1e-9)
    per_day = shocked.reshape(3, -1).sum(axis=1)
    assert np.all((per_day >= 8) & (per_day <= 16))  # two 2-hour windows a day (they may overlap)


@pytest.mark.parametrize("profile", [p for p in profile_grid()], ids=lambda p: p.name)
def test_the_profile_decides_which_constraint_binds(profile: Profile):
    t = simulate(profile, 2, impressions_per_day=3_000)
    lp = hindsight_lp(t.value, t.price, budget=t.budget, target_roi=t.target_roi)
    assert lp.binding == profile.binding
