"""``onlinelp``: re-solve the hindsight LP on a rolling log of won impressions for the remaining budget and time.

Each won impression leaves ``(v̂, p)`` (predicted value, price paid); a lost one only says ``p > bid`` — its price is
censored — so the log holds wins only. Every ``resolve_every`` steps the LP (:func:`siyu.autobid.lp.hindsight_lp`)
is solved on the last ``window`` steps of wins, scaled to the remaining horizon: the budget is the remaining budget
times ``window ÷ remaining steps`` and the ROI target the aim; the bid is ``v̂ · k`` with the LP's multiplier ``k``.
Because the log only reaches as far as past bids did, ``k`` may rise at most by ``explore`` per re-solve when the
LP takes every logged win (the log says nothing above). This is the "re-solving" family of online LP algorithms
(Agrawal, Wang & Ye 2014, "A Dynamic Near-Optimal Algorithm for Online Linear Programming", Operations Research;
Li & Ye 2022, "Online Linear Programming: Dual Convergence, New Algorithms, and Regret Bounds", OR).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from siyu.autobid.bidders._base import (
    BaseBidder,
    check_non_negative,
    check_whole,
    register_bidder,
)
from siyu.autobid.lp import hindsight_lp

__all__ = ["OnlineLPBidder"]


@register_bidder("onlinelp")
class OnlineLPBidder(BaseBidder):
    """Bid ``v̂ · k``, ``k`` from the LP on a rolling log of wins.

    Parameters
    ----------
    target_roi, budget, n_steps, margin
        As in :class:`~siyu.autobid.bidders._base.BaseBidder`.
    window : int, default 96
        Steps of wins kept in the log.
    resolve_every : int, default 4
        Steps between re-solves.
    explore : float, default 0.1
        Largest relative rise of ``k`` per re-solve.
    max_log : int, default 50_000
        Largest LP solved: a longer log is thinned to every m-th win (budget scaled by the same share), so a
        re-solve costs O(max_log log max_log) whatever the traffic (1M auctions a day would log ~400k wins).
    """

    def __init__(self, *, target_roi: float, budget: float, n_steps: int, margin: float = 0.0, window: int = 96,
                 resolve_every: int = 4, explore: float = 0.1, max_log: int = 50_000) -> None:
        super().__init__(target_roi=target_roi, budget=budget, n_steps=n_steps, margin=margin)
        check_whole("window", window, 1)
        check_whole("resolve_every", resolve_every, 1)
        check_whole("max_log", max_log, 100)
        check_non_negative(explore=explore)
        self.window, self.resolve_every, self.explore = int(window), int(resolve_every), float(explore)
        self.max_log = int(max_log)
        self.k_ = 1.0 / self.aim
        self._log: deque[tuple[int, np.ndarray, np.ndarray]] = deque()
        self._observed = 0

    def _bid(self, step: int, values: np.ndarray, channels: np.ndarray) -> np.ndarray:
        return values * self.k_

    def _update(self, step, won, cost, gmv, values, channels) -> None:
        self._observed += 1
        if won.any() and len(values) == len(won):
            self._log.append((step, values[won], cost[won]))
        while self._log and self._log[0][0] <= step - self.window:
            self._log.popleft()
        if self._observed % self.resolve_every or not self._log:
            return
        v = np.concatenate([e[1] for e in self._log])
        p = np.concatenate([e[2] for e in self._log])
        keep = (v > 0) & (p > 0)
        if not keep.any():
            return
        v, p = v[keep], p[keep]
        share = 1.0
        if len(v) > self.max_log:
            m = -(-len(v) // self.max_log)
            share = len(v[::m]) / len(v)
            v, p = v[::m], p[::m]
        span = min(self.window, self._observed)
        left = max(self.n_steps - 1 - step, 1)
        budget = self.remaining * span / left * share if np.isfinite(self.budget) else np.inf
        if budget <= 0:
            self.k_ = 0.0
            return
        lp = hindsight_lp(v, p, budget=budget, target_roi=self.aim)
        k_max = max(self.k_, 1.0 / self.aim) * (1.0 + self.explore)
        k = k_max if lp.binding == "none" else min(lp.multiplier, k_max)
        self.k_ = float(k) if np.isfinite(k) else k_max
