"""An external harness for the bidder protocol, written without siyu's market simulator.

It generates its own episodes — gamma-distributed values, prices from a log-logistic competitor model with a
per-channel level and a step-wise random walk, five channel codes that are not 0…2 (3, 5, 7, 11, 13), a value scale
far from siyu's (order values around 4,000), an unknown multiplicative bias per channel and log-normal noise on the
predictions — and drives a bidder only through ``make_bidder`` / ``bid`` / ``observe`` in a single-slot
second-price auction with a budget stop. Outcomes are judged against :func:`siyu.autobid.lp.hindsight_lp` on the
harness's own true values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siyu.autobid.bidders import make_bidder
from siyu.autobid.lp import hindsight_lp

CODES = np.array([3, 5, 7, 11, 13])


@dataclass
class Episode:
    step: np.ndarray
    channel: np.ndarray
    value: np.ndarray
    predicted: np.ndarray
    price: np.ndarray
    gmv_if_won: np.ndarray
    n_steps: int
    target_roi: float
    budget: float


def make_episode(seed: int, *, n_steps: int = 48, per_step: int = 2_000, budget_binding: bool = False,
                 noise: float = 0.3) -> Episode:
    rng = np.random.default_rng(seed)
    counts = rng.poisson(per_step * (1.0 + 0.5 * np.sin(np.linspace(0, 2 * np.pi, n_steps))))
    n = int(counts.sum())
    step = np.repeat(np.arange(n_steps), counts)
    ci = rng.integers(0, len(CODES), n)
    conv = rng.gamma(2.0, 0.01, n) * np.array([1.5, 0.7, 1.0, 0.5, 1.2])[ci]   # conversion probability
    conv = np.minimum(conv, 0.9)
    aov = 4_000.0
    value = conv * aov
    level = np.exp(np.cumsum(rng.normal(0, 0.03, n_steps)))[step]
    u = rng.random(n)
    price = value * 0.35 * np.array([1.0, 1.3, 0.8, 1.1, 0.9])[ci] * level * (u / (1 - u)) ** 0.4
    price = np.maximum(price, 1e-6)
    bias = rng.uniform(-0.2, 0.2, len(CODES))
    predicted = value * np.exp(bias[ci] + noise * rng.normal(0, 1, n))
    converts = rng.random(n) < conv
    gmv_if_won = np.where(converts, aov * rng.gamma(4.0, 0.25, n), 0.0)
    roi = 2.5
    unc = hindsight_lp(value, price, budget=np.inf, target_roi=roi)
    budget = unc.spend * (0.5 if budget_binding else 3.0)
    return Episode(step=step, channel=CODES[ci], value=value, predicted=predicted, price=price,
                   gmv_if_won=gmv_if_won, n_steps=n_steps, target_roi=roi, budget=float(budget))


@dataclass
class Outcome:
    value: float       # true expected GMV won
    gmv: float         # realized GMV
    spend: float
    lp_gmv: float

    @property
    def roi(self) -> float:
        return self.gmv / self.spend if self.spend > 0 else float("inf")

    @property
    def expected_roi(self) -> float:
        return self.value / self.spend if self.spend > 0 else float("inf")

    @property
    def efficiency(self) -> float:
        return self.value / self.lp_gmv


def run(name: str, episode: Episode, **options) -> Outcome:
    ep = episode
    bidder = make_bidder(name, target_roi=ep.target_roi, budget=ep.budget, n_steps=ep.n_steps, **options)
    bounds = np.searchsorted(ep.step, np.arange(ep.n_steps + 1))
    left, value, gmv, spend = ep.budget, 0.0, 0.0, 0.0
    for s in range(ep.n_steps):
        r = slice(bounds[s], bounds[s + 1])
        bids = np.asarray(bidder.bid(s, ep.predicted[r], ep.channel[r]))
        assert bids.shape == ep.price[r].shape and np.all(np.isfinite(bids)) and (bids >= 0).all()
        won = bids >= ep.price[r]
        cost = np.where(won, ep.price[r], 0.0)
        if cost.sum() > left:
            won &= np.cumsum(cost) <= left
            cost = np.where(won, ep.price[r], 0.0)
        realized = np.where(won, ep.gmv_if_won[r], 0.0)
        bidder.observe(s, won, cost, realized)
        left -= cost.sum()
        spend += cost.sum()
        value += ep.value[r][won].sum()
        gmv += realized.sum()
    lp = hindsight_lp(ep.value, ep.price, budget=ep.budget, target_roi=ep.target_roi)
    return Outcome(value=value, gmv=gmv, spend=spend, lp_gmv=lp.gmv)
