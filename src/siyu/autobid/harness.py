"""Drive a bidder through a tier-A run (:class:`~siyu.autobid.market.Traffic`) by the bidder protocol.

Each step the bidder gets the step's predicted values and channels, returns one bid per impression, and the
auction is a single-slot second-price auction against the exogenous competing price: the impression is won when
``bid >= price`` (and ``bid > 0``) and costs the price. The platform stops serving once the budget is spent: within
a step, wins are served in arrival order while their cumulative cost fits in what is left, and later wins of the
step are dropped. The bidder then observes ``won``, ``cost`` and ``realized_gmv`` (the order value of won
impressions that convert — the same buyers for every bidder, see :class:`~siyu.autobid.market.Traffic`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siyu._exceptions import ConfigError
from siyu.autobid.bidders._base import Bidder
from siyu.autobid.market import Traffic

__all__ = ["RunResult", "replay"]


@dataclass(frozen=True)
class RunResult:
    """Per-step outcome of one bidder on one run (arrays of length ``n_steps``) and the won mask."""

    spend: np.ndarray
    value: np.ndarray          # true expected GMV of the wins
    gmv: np.ndarray            # realized GMV
    orders: np.ndarray
    wins: np.ndarray
    won: np.ndarray            # per impression
    steps_per_day: int
    budget: float
    target_roi: float

    @property
    def total_spend(self) -> float:
        return float(self.spend.sum())

    @property
    def total_value(self) -> float:
        return float(self.value.sum())

    @property
    def total_gmv(self) -> float:
        return float(self.gmv.sum())

    @property
    def total_orders(self) -> int:
        return int(self.orders.sum())

    @property
    def roi(self) -> float:
        """Realized ROI of the run (realized GMV ÷ spend; inf without spend)."""
        s = self.total_spend
        return self.total_gmv / s if s > 0 else float("inf")

    def daily(self, name: str) -> np.ndarray:
        """A per-step series summed by day."""
        arr = getattr(self, name)
        return arr.reshape(-1, self.steps_per_day).sum(axis=1)

    def time_to_share(self, share: float) -> float:
        """Fraction of the run elapsed when ``share`` of the budget was spent (NaN if never)."""
        if not np.isfinite(self.budget):
            return float("nan")
        hit = np.flatnonzero(np.cumsum(self.spend) >= share * self.budget * (1 - 1e-9))
        return float((hit[0] + 1) / len(self.spend)) if hit.size else float("nan")


def replay(traffic: Traffic, bidder: Bidder) -> RunResult:
    """Play ``traffic`` with ``bidder``; see the module docstring for the auction and budget rules."""
    n_steps = traffic.n_steps
    spend, value, gmv = np.zeros(n_steps), np.zeros(n_steps), np.zeros(n_steps)
    orders, wins = np.zeros(n_steps, np.int64), np.zeros(n_steps, np.int64)
    won_all = np.zeros(len(traffic), bool)
    realized_all = traffic.realized_gmv
    left = traffic.budget
    for s in range(n_steps):
        rows = traffic.rows(s)
        price = traffic.price[rows]
        bids = np.asarray(bidder.bid(s, traffic.predicted[rows], traffic.channel[rows]), dtype=np.float64)
        if bids.shape != price.shape:
            raise ConfigError(f"{type(bidder).__name__}.bid returned {bids.size} bids for {price.size} impressions "
                              f"at step {s}")
        if not np.all(np.isfinite(bids)) or (bids < 0).any():
            raise ConfigError(f"{type(bidder).__name__}.bid returned a negative or non-finite bid at step {s}")
        won = (bids >= price) & (bids > 0)
        cost = np.where(won, price, 0.0)
        if cost.sum() > left:
            won &= np.cumsum(cost) <= left
            cost = np.where(won, price, 0.0)
        realized = np.where(won, realized_all[rows], 0.0)
        bidder.observe(s, won, cost, realized)
        won_all[rows] = won
        spend[s] = cost.sum()
        left -= spend[s]
        value[s] = traffic.value[rows][won].sum()
        gmv[s] = realized.sum()
        orders[s] = int((realized > 0).sum())
        wins[s] = int(won.sum())
    return RunResult(spend=spend, value=value, gmv=gmv, orders=orders, wins=wins, won=won_all,
                     steps_per_day=traffic.steps_per_day, budget=traffic.budget, target_roi=traffic.target_roi)
