"""``oracle``: the hindsight optimum, given the whole run's true values and prices in advance.

It solves the hindsight LP (:func:`siyu.autobid.lp.hindsight_lp`) on the true values and prices and bids
``true value · k*`` (``k* = 1/threshold``): in a truthful auction the single multiplier wins exactly the LP's
impressions (Aggarwal, Badanidiyuru & Mehta 2019, "Autobidding with Constraints", WINE), plus the one fractional
marginal impression taken whole. It ignores the predictions it is handed — it is the yardstick, not a bidder a
merchant could run.
"""

from __future__ import annotations

import numpy as np

from siyu._exceptions import ConfigError
from siyu.autobid.bidders._base import BaseBidder, register_bidder
from siyu.autobid.lp import hindsight_lp

__all__ = ["OracleBidder"]


@register_bidder("oracle")
class OracleBidder(BaseBidder):
    """Bid the LP multiplier times the true value.

    Parameters
    ----------
    target_roi, budget, n_steps
        As in :class:`~siyu.autobid.bidders._base.BaseBidder`.
    traffic : Traffic, optional
        A tier-A run (:class:`~siyu.autobid.market.Traffic`); or
    values, prices, steps : array-like, optional
        True values, prices and step of every impression of the run (rows of a step in the order the harness
        hands them to :meth:`bid`).
    margin : float, default 0.0
        Accepted for the common interface; the LP is solved at ``R·(1+margin)``.
    """

    def __init__(self, *, target_roi: float, budget: float, n_steps: int, margin: float = 0.0, traffic=None,
                 values=None, prices=None, steps=None) -> None:
        super().__init__(target_roi=target_roi, budget=budget, n_steps=n_steps, margin=margin)
        if traffic is not None:
            values, prices, steps = traffic.value, traffic.price, traffic.step
        if values is None or prices is None or steps is None:
            raise ConfigError("oracle needs traffic= or values=, prices= and steps= for the whole run")
        v = np.asarray(values, dtype=np.float64).reshape(-1)
        p = np.asarray(prices, dtype=np.float64).reshape(-1)
        s = np.asarray(steps, dtype=np.int64).reshape(-1)
        if not (v.shape == p.shape == s.shape):
            raise ConfigError("oracle: values, prices and steps must have one entry per impression")
        if s.size and (s.min() < 0 or s.max() >= n_steps):
            raise ConfigError(f"oracle: steps must lie in 0 … {n_steps - 1}")
        order = np.argsort(s, kind="stable")
        self._v = v[order]
        self._bounds = np.searchsorted(s[order], np.arange(n_steps + 1))
        self.lp_ = hindsight_lp(v, p, budget=budget, target_roi=self.aim) if v.size else None
        mult = self.lp_.multiplier if self.lp_ is not None else 0.0
        self.multiplier_ = float(mult) * (1.0 + 1e-9) if np.isfinite(mult) else 0.0

    def _bid(self, step: int, values: np.ndarray, channels: np.ndarray) -> np.ndarray:
        if not 0 <= step < self.n_steps:
            raise ConfigError(f"oracle: step {step} outside 0 … {self.n_steps - 1}")
        true = self._v[self._bounds[step]:self._bounds[step + 1]]
        if true.size != values.size:
            raise ConfigError(f"oracle: step {step} has {values.size} impressions, the run given has {true.size}")
        return true * self.multiplier_
