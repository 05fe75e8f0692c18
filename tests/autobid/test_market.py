"""Tier-A simulator (siyu.autobid.market): determinism, channel mix, calibration, shocks and binding constraints."""

from __future__ import annotations

import numpy as np
import pytest

from siyu.autobid.lp import hindsight_lp
from siyu.autobid.market import MarketConfig, Profile, profile_grid, simulate

ARRAYS = ("step", "channel", "value", "predicted", "price", "order_value", "converts")


def test_same_seed_same_arrays_and_other_seed_other_arrays():
    a = simulate("normal/mid/roi", np.random.default_rng(3), impressions_per_day=5_000)
    b = simulate("normal/mid/roi", np.random.default_rng(3), impressions_per_day=5_000)
    c = simulate("normal/mid/roi", np.random.default_rng(4), impressions_per_day=5_000)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.budget == b.budget and a.target_roi == b.target_roi
    assert len(a) != len(c) or not np.array_equal(a.value, c.value)
    assert not np.array_equal(a.price[:1000], c.price[:1000])


# -- randomness: a Generator argument; seeds become generators only at the entry points ------------------------------
def _same(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(getattr(a, n), getattr(b, n)) for n in ARRAYS)


def test_the_same_generator_state_gives_the_same_week_and_another_generator_another():
    g = np.random.default_rng(12)
    state = g.bit_generator.state
    a = simulate("hot/low/budget", g, impressions_per_day=3_000, days=2)
    g2 = np.random.default_rng()
    g2.bit_generator.state = state  # the same state, another object
    b = simulate("hot/low/budget", g2, impressions_per_day=3_000, days=2)
    assert _same(a, b) and a.budget == b.budget and a.noise_sigma == b.noise_sigma
    assert a.seed is None  # made from a generator, not a seed
    # the generator is advanced by the call: drawing again from it gives another week
    assert not _same(a, simulate("hot/low/budget", g, impressions_per_day=3_000, days=2))
    # another generator (another seed, or another bit generator on the same seed) gives another week
    assert not _same(a, simulate("hot/low/budget", np.random.default_rng(13), impressions_per_day=3_000, days=2))
    other = np.random.Generator(np.random.MT19937(12))
    assert not _same(a, simulate("hot/low/budget", other, impressions_per_day=3_000, days=2))


def test_the_seed_convenience_is_default_rng_of_the_seed():
    a = simulate("normal/mid/roi", seed=4, impressions_per_day=2_000, days=1)
    b = simulate("normal/mid/roi", np.random.default_rng(4), impressions_per_day=2_000, days=1)
    assert _same(a, b) and a.budget == b.budget and a.seed == 4 and b.seed is None
    # neither: seed 0, as before
    assert _same(simulate(impressions_per_day=2_000, days=1),
                 simulate(rng=np.random.default_rng(0), impressions_per_day=2_000, days=1))


@pytest.mark.parametrize("bad", [3, np.int64(3), 3.0, "3", np.random.RandomState(3), np.random.SeedSequence(3),
                                 np.random.PCG64(3)], ids=lambda b: type(b).__name__)
def test_the_core_rejects_anything_but_a_generator(bad):
    from siyu.autobid.closed_loop import simulate_market

    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        simulate("normal/mid/roi", bad, impressions_per_day=1_000, days=1)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        simulate_market(["fixed", "fixed"], 500, 1, bad)


def test_an_int_where_the_generator_goes_names_the_fix_and_both_at_once_is_an_error():
    with pytest.raises(TypeError, match=r"default_rng\(seed\), or seed=3"):
        simulate("normal/mid/roi", 3)
    with pytest.raises(TypeError, match="not both"):
        simulate("normal/mid/roi", np.random.default_rng(3), seed=3)


def test_the_bench_and_advisor_entry_points_turn_each_seed_into_default_rng_of_it():
    from siyu.autobid.advisor import _maker
    from siyu.autobid.bench import run_grid

    rows = run_grid([("fixed", "fixed", {})], profiles=["new/low/roi"], seeds=[5, 6], impressions_per_day=1_000,
                    days=1, processes=1)
    for r in rows:
        t = simulate("new/low/roi", np.random.default_rng(r["seed"]), impressions_per_day=1_000, days=1)
        assert (r["impressions"], r["budget"]) == (len(t), t.budget)
    make, _ = _maker("normal", 1_000, 1, "default")
    t = simulate("normal/mid/roi", np.random.default_rng(9), impressions_per_day=1_000, days=1, target_roi=2.0,
                 budget=np.inf)
    assert _same(make(9, 2.0, 100.0), t)


def test_channel_shares_and_median_pcvr_of_the_normal_profile():
    t = simulate("normal/mid/roi", np.random.default_rng(0), impressions_per_day=50_000)
    shares = np.bincount(t.channel, minlength=3) / len(t)
    np.testing.assert_allclose(shares, [0.35, 0.50, 0.15], atol=0.005)
    pcvr = t.value / t.order_value
    medians = [np.median(pcvr[t.channel == c]) for c in range(3)]
    np.testing.assert_allclose(medians, [0.020, 0.006, 0.010], rtol=0.03)


def test_stationary_scenario_has_exact_predictions():
    t = simulate("new/high/budget", np.random.default_rng(1), impressions_per_day=5_000, scenario="stationary")
    np.testing.assert_allclose(t.predicted, t.value, rtol=1e-12)
    np.testing.assert_array_equal(t.bias, np.zeros(3))
    d = simulate("new/high/budget", np.random.default_rng(1), impressions_per_day=5_000)
    assert not np.allclose(d.predicted, d.value)


def test_shocks_raise_prices_by_the_shock_factor_in_their_windows():
    # without price noise or hourly prices, price / (value · channel factor) is one constant times the shock
    cfg = MarketConfig(price_sigma=0.0, hourly_prices=False, shocks_per_day=2, shock_steps=8, shock_factor=1.3,
                       impressions_per_day=20_000, days=3)
    t = simulate("normal/mid/roi", np.random.default_rng(5), cfg)
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
    t = simulate(profile, np.random.default_rng(2), impressions_per_day=3_000)
    lp = hindsight_lp(t.value, t.price, budget=t.budget, target_roi=t.target_roi)
    assert lp.binding == profile.binding
