"""Every registered bidder against the protocol; the oracle against the LP; siyu on tier A and an external harness."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from siyu import ConfigError
from siyu.autobid.bidders import BIDDERS, make_bidder
from siyu.autobid.harness import replay
from siyu.autobid.lp import attainable_ceiling, hindsight_lp
from siyu.autobid.market import simulate

sys.path.insert(0, str(Path(__file__).parent))
from external_harness import make_episode, run  # noqa: E402

NAMES = sorted(BIDDERS) or ["fixed"]


def _make(name, tr=None, **kw):
    if name == "oracle":
        if tr is None:
            kw.update(values=np.ones(3), prices=np.ones(3), steps=np.array([0, 1, 1]))
        else:
            kw["traffic"] = tr
    return make_bidder(name, target_roi=3.0, budget=100.0, n_steps=4, **kw) if tr is None else \
        make_bidder(name, target_roi=tr.target_roi, budget=tr.budget, n_steps=tr.n_steps, **kw)


def test_all_bidders_registered():
    import siyu.autobid.bidders  # noqa: F401

    assert {"fixed", "pacing", "pid", "onlinelp", "dual", "oracle", "siyu"} <= set(BIDDERS)


@pytest.mark.parametrize("name", NAMES)
def test_protocol_shapes_and_bounds(name):
    b = _make(name)
    # step 0: one impression; step 1: two; step 2: none; observe skipped at step 2
    rng = np.random.default_rng(0)
    for step, n in ((0, 1), (1, 2), (2, 0), (3, 0)):
        values = rng.gamma(1.0, 10.0, n)
        bids = np.asarray(b.bid(step, values, np.zeros(n, np.int64)))
        assert bids.shape == (n,)
        assert np.all(np.isfinite(bids)) and (bids >= 0).all()
        if step in (0, 1):
            won = bids >= 1.0
            b.observe(step, won, np.where(won, 1.0, 0.0), np.where(won, 5.0, 0.0))


@pytest.mark.parametrize("name", [n for n in NAMES if n != "oracle"])
def test_protocol_on_a_tier_a_day_with_skipped_observes(name):
    tr = simulate("normal/mid/roi", np.random.default_rng(1), impressions_per_day=2_000, days=1)
    b = _make(name, tr)
    for s in range(tr.n_steps):
        rows = tr.rows(s)
        bids = b.bid(s, tr.predicted[rows], tr.channel[rows])
        assert bids.shape == tr.price[rows].shape and np.all(np.isfinite(bids)) and (bids >= 0).all()
        if s % 3:  # observe skipped every third step
            won = bids >= tr.price[rows]
            b.observe(s, won, np.where(won, tr.price[rows], 0.0), np.where(won, tr.realized_gmv[rows], 0.0))


def test_unknown_bidder_and_bad_arguments():
    with pytest.raises(ConfigError):
        make_bidder("nope", target_roi=2.0, budget=1.0, n_steps=3)
    with pytest.raises(ConfigError):
        make_bidder("siyu", target_roi=-1.0, budget=1.0, n_steps=3)
    with pytest.raises(ConfigError):
        make_bidder("siyu", target_roi=2.0, budget=1.0, n_steps=3, no_such_option=1)
    for name in ("pacing", "pid", "dual", "siyu", "onlinelp", "fixed"):
        with pytest.raises(ConfigError):
            make_bidder(name, target_roi=2.0, budget=1.0, n_steps=3, margin=-2.0)
    with pytest.raises(ConfigError):
        make_bidder("oracle", target_roi=2.0, budget=1.0, n_steps=3)  # no data
    with pytest.raises(ConfigError):
        make_bidder("siyu", target_roi=2.0, budget=1.0, n_steps=3, z=-1.0)


@pytest.mark.parametrize("profile", ["normal/mid/roi", "hot/low/budget", "new/high/roi", "hot/high/roi"])
def test_oracle_reaches_the_lp(profile):
    tr = simulate(profile, np.random.default_rng(3), impressions_per_day=20_000)
    run_ = replay(tr, _make("oracle", tr))
    lp = hindsight_lp(tr.value, tr.price, budget=tr.budget, target_roi=tr.target_roi)
    assert run_.total_value / lp.gmv >= 0.999
    assert run_.total_value / lp.gmv <= 1.0 + 1e-3


def _tier_a(name, profile, seed, **kw):
    tr = simulate(profile, np.random.default_rng(seed), impressions_per_day=30_000)
    r = replay(tr, _make(name, tr, **kw))
    ceiling = attainable_ceiling(tr.debiased, tr.value, tr.price, budget=tr.budget, target_roi=tr.target_roi)
    return tr, r, ceiling


@pytest.mark.parametrize("profile,seed", [("hot/mid/roi", 0), ("hot/low/roi", 1), ("hot/low/budget", 2)])
def test_siyu_on_tier_a(profile, seed):
    tr, r, ceiling = _tier_a("siyu", profile, seed)
    assert r.total_orders >= 300
    assert r.roi >= 0.95 * tr.target_roi
    assert r.total_value / ceiling.gmv >= 0.75
    assert r.total_spend <= tr.budget * (1 + 1e-9)


@pytest.mark.parametrize("profile,seed", [("hot/low/roi", 1), ("hot/low/roi", 3)])
def test_siyu_beats_fixed_when_the_roi_binds(profile, seed):
    tr, ours, _ = _tier_a("siyu", profile, seed)
    _, fixed, _ = _tier_a("fixed", profile, seed)
    assert fixed.roi >= tr.target_roi  # fixed complies here: the comparison is at no worse ROI compliance
    assert ours.roi >= 0.98 * tr.target_roi
    assert ours.total_value > fixed.total_value


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("budget_binding", [False, True])
def test_siyu_through_the_external_harness(seed, budget_binding):
    ep = make_episode(seed, budget_binding=budget_binding)
    ours = run("siyu", ep)
    assert ours.roi >= 0.9 * ep.target_roi
    assert ours.efficiency >= 0.85
    assert ours.spend <= ep.budget * (1 + 1e-9)
    fixed = run("fixed", ep)
    assert ours.value >= 0.97 * fixed.value


def test_siyu_depends_on_channel_identities_not_on_their_codes():
    import dataclasses

    from siyu.autobid import replay, simulate

    tr = simulate("normal/mid/roi", seed=2, impressions_per_day=5_000, days=2)
    far = dataclasses.replace(tr, channel=tr.channel.astype(np.int64) * 40_000 + 7)  # codes up to 80,007
    runs = [replay(t, make_bidder("siyu", target_roi=tr.target_roi, budget=tr.budget, n_steps=tr.n_steps))
            for t in (tr, far)]
    assert runs[0].total_spend > 0
    assert runs[0].total_value == runs[1].total_value and runs[0].total_spend == runs[1].total_spend
    with pytest.raises(ConfigError, match="channel codes"):
        make_bidder("siyu", target_roi=3.0, budget=100.0, n_steps=4).bid(0, np.ones(2), np.array([0, -1]))


@pytest.mark.parametrize("profile,seed", [("hot/mid/roi", 0), ("normal/high/roi", 1), ("new/mid/roi", 2)])
def test_siyu_miss_price_trades_gmv_for_misses(profile, seed):
    """A cheap miss (λ = 0.1) buys GMV beyond the target; a dear one (λ = 30) keeps a margin over it."""
    tr, cheap, _ = _tier_a("siyu", profile, seed, miss_price=0.1)
    _, dear, _ = _tier_a("siyu", profile, seed, miss_price=30.0)
    assert cheap.total_value > dear.total_value
    assert cheap.total_spend > dear.total_spend
    assert dear.roi > cheap.roi
    if dear.total_orders >= 3_000:  # at volume the order noise is small: a dear miss means ROI above the target
        assert dear.roi >= tr.target_roi


def test_siyu_priced_miss_keeps_the_roi_at_volume():
    """On hot ROI-bound weeks (thousands of orders) λ = 10 keeps the ROI at or above R where the hard constraint
    (aim exactly at R) lands on either side of it. The margin is a couple of noise widths of the ROI (~2 % at
    3,000 orders) but GMV is elastic in the target on high-target weeks (measured: −13 % GMV for +2.5 % ROI)."""
    for seed in range(2):
        tr, priced, _ = _tier_a("siyu", "hot/high/roi", seed, miss_price=10.0)
        _, hard, _ = _tier_a("siyu", "hot/high/roi", seed)
        assert priced.roi >= tr.target_roi
        assert hard.roi < priced.roi <= 1.05 * tr.target_roi
        assert priced.total_value >= 0.8 * hard.total_value


@pytest.mark.parametrize("seed", range(3))
def test_siyu_priced_miss_through_the_external_harness(seed):
    ep = make_episode(seed)
    ours = run("siyu", ep, miss_price=10.0)
    assert ours.roi >= 0.9 * ep.target_roi
    assert ours.efficiency >= 0.85
    assert ours.spend <= ep.budget * (1 + 1e-9)


def test_siyu_miss_price_must_be_non_negative():
    with pytest.raises(ConfigError, match="miss_price"):
        make_bidder("siyu", target_roi=3.0, budget=100.0, n_steps=4, miss_price=-1.0)
