"""``pacing``: the fixed bid ``v / aim`` scaled down by a budget-pacing multiplier.

The bid is ``α · v / aim`` with ``α ∈ (0, 1]``: each step the multiplier is moved multiplicatively by the gap
between the share of the budget spent and the share of the episode's *traffic* elapsed (throttling by bid
modification, Agarwal et al. 2014, "Budget pacing for targeted online advertisements at LinkedIn", KDD). The
traffic curve is not given: :class:`TrafficCurve` learns it online from the number of impressions offered each step
(per step of the day once a whole period has been seen, else the mean rate), so that the budget is spread over
the expected remaining impressions, not over clock time.

The ROI side stays that of ``fixed``: every impression won clears the aim on its own prediction, so pacing only
ever lowers bids.
"""

from __future__ import annotations

import numpy as np

from siyu._exceptions import ConfigError
from siyu.autobid.bidders._base import BaseBidder, register_bidder

__all__ = ["PacingBidder", "TrafficCurve"]


class TrafficCurve:
    """Online estimate of the traffic (impressions, or any per-step volume) still to come in an episode.

    Parameters
    ----------
    n_steps : int
        Steps in the episode.
    period : int, optional
        Steps in a day (the diurnal period; default :func:`default_period`). Once a whole period has been observed
        the expected volume of a future step is the mean of the observed steps at the same phase; before that (or
        without a period) it is the mean volume per observed step.
    """

    def __init__(self, n_steps: int, period: int | None = None) -> None:
        self.n_steps = n_steps
        if period is None:
            period = default_period(n_steps)
        self.period = period if period and 2 <= period < n_steps else None
        self.seen = np.zeros(n_steps)
        self.mask = np.zeros(n_steps, bool)
        self.last = -1

    def add(self, step: int, volume: float) -> None:
        if 0 <= step < self.n_steps:
            self.seen[step] += volume
            self.mask[step] = True
            self.last = max(self.last, step)

    @property
    def past(self) -> float:
        return float(self.seen.sum())

    def future(self, step: int | None = None) -> float:
        """Expected volume of the steps after ``step`` (default: the last step seen)."""
        step = self.last if step is None else step
        left = self.n_steps - 1 - step
        if left <= 0:
            return 0.0
        n_seen = int(self.mask.sum())
        if n_seen == 0:
            return 0.0
        mean = self.seen[self.mask].sum() / n_seen
        if self.period is None or step + 1 < self.period:
            return float(mean * left)
        p = self.period
        idx = np.arange(self.n_steps)
        phase_sum = np.bincount(idx[self.mask] % p, weights=self.seen[self.mask], minlength=p)
        phase_n = np.bincount(idx[self.mask] % p, minlength=p)
        per_phase = np.where(phase_n > 0, phase_sum / np.maximum(phase_n, 1), mean)
        fut = idx[step + 1:] % p
        return float(per_phase[fut].sum())


def default_period(n_steps: int) -> int | None:
    """96 (15-minute steps) when the episode holds at least two such days, else none."""
    return 96 if n_steps >= 192 else None


@register_bidder("pacing")
class PacingBidder(BaseBidder):
    """Bid ``α · value / aim``; ``α`` follows the spend pace against the learned traffic curve.

    Parameters
    ----------
    target_roi, budget, n_steps, margin
        As in :class:`~siyu.autobid.bidders._base.BaseBidder`.
    gain : float, default 0.5
        Multiplicative step of ``α`` per unit of relative pace error.
    period : int, optional
        Steps a day for the traffic curve (default: 96 when the episode spans two days or more).
    """

    def __init__(self, *, target_roi: float, budget: float, n_steps: int, margin: float = 0.0, gain: float = 0.5,
                 period: int | None = None) -> None:
        super().__init__(target_roi=target_roi, budget=budget, n_steps=n_steps, margin=margin)
        if not (np.isfinite(gain) and gain > 0):
            raise ConfigError(f"gain must be > 0, got {gain!r}")
        self.gain = float(gain)
        self.alpha_ = 1.0
        self.curve_ = TrafficCurve(n_steps, period)

    def _bid(self, step: int, values: np.ndarray, channels: np.ndarray) -> np.ndarray:
        return self.alpha_ * values / self.aim

    def _update(self, step, won, cost, gmv, values, channels) -> None:
        self.curve_.add(step, len(won))
        if not np.isfinite(self.budget):
            return
        past, fut = self.curve_.past, self.curve_.future(step)
        if past + fut <= 0:
            return
        elapsed = past / (past + fut)
        pace = (self.spent / self.budget) / max(elapsed, 1e-9)
        self.alpha_ = float(np.clip(self.alpha_ * np.exp(-self.gain * (pace - 1.0)), 1e-3, 1.0))
