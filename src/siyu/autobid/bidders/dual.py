"""``dual``: dual mirror descent on the budget and ROI constraints (Balseiro, Lu & Mirrokni 2020).

The Lagrangian of the hindsight LP (docs/autobid.md) per impression is ``(1+μ)·v − (λ + μ·R)·p``, so for given duals
the truthful bid is ``v·(1+μ) / (λ + μ·aim)``. After each step the duals take a projected subgradient step
(the Euclidean mirror map) on the step's constraint residuals:

* budget: ``g_λ = ρ − spend_t`` with the per-step budget ``ρ = B / T`` (the paper's expected budget rate);
* ROI: ``g_μ = Σ_won (v̂ − aim·p)``, on the *predicted* values ``v̂`` the bidder was given — the textbook version
  trusts the predictions (no calibration; a miscalibrated pCVR shows up as a missed ROI).

Both residuals are divided by a spend scale (``ρ``, or the mean spend per step when the budget is not finite) so
that the step sizes ``eta`` are free of units. References: Balseiro, Lu & Mirrokni (2020), "Dual Mirror Descent for
Online Allocation Problems", ICML; Feng, Padmanabhan & Wang (2023), "Online Bidding Algorithms for
Return-on-Spend Constrained Advertisers", WWW.
"""

from __future__ import annotations

import numpy as np

from siyu.autobid.bidders._base import (
    BaseBidder,
    check_non_negative,
    register_bidder,
)

__all__ = ["DualBidder"]


@register_bidder("dual")
class DualBidder(BaseBidder):
    """Bid ``v·(1+μ) / (λ + μ·aim)``, duals by projected subgradient descent.

    Parameters
    ----------
    target_roi, budget, n_steps, margin
        As in :class:`~siyu.autobid.bidders._base.BaseBidder`.
    eta_budget, eta_roi : float, default 0.05, 0.05
        Step sizes on the normalised residuals.
    mu0 : float, default 1.0
        Initial ROI dual (``μ0 = 1``, ``λ = 0`` starts at ``2v/aim``; a large ``μ`` tends to ``v/aim``).
    """

    def __init__(self, *, target_roi: float, budget: float, n_steps: int, margin: float = 0.0,
                 eta_budget: float = 0.05, eta_roi: float = 0.05, mu0: float = 1.0) -> None:
        super().__init__(target_roi=target_roi, budget=budget, n_steps=n_steps, margin=margin)
        check_non_negative(eta_budget=eta_budget, eta_roi=eta_roi, mu0=mu0)
        self.eta_budget, self.eta_roi = float(eta_budget), float(eta_roi)
        self.lam_ = 0.0
        self.mu_ = float(mu0)
        self.rho = budget / n_steps
        self._steps = 0

    def _bid(self, step: int, values: np.ndarray, channels: np.ndarray) -> np.ndarray:
        denom = max(self.lam_ + self.mu_ * self.aim, 1e-9)
        return values * (1.0 + self.mu_) / denom

    def _update(self, step, won, cost, gmv, values, channels) -> None:
        self._steps += 1
        spend = float(cost.sum())
        scale = self.rho if np.isfinite(self.rho) else max(self.spent / self._steps, 1e-12)
        if self.spent <= 0 and not np.isfinite(self.rho):
            scale = 1.0
        if np.isfinite(self.rho):
            self.lam_ = max(0.0, self.lam_ - self.eta_budget * (self.rho - spend) / scale)
        slack = float(values[won].sum() - self.aim * spend) if len(values) == len(won) else -self.aim * spend
        self.mu_ = max(0.0, self.mu_ - self.eta_roi * slack / (self.aim * scale))
