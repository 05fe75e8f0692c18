"""``pid``: a PID controller on the bid multiplier, fed by the realized ROI error and the spend pace.

Feedback control of the bid is the industry standard for KPI-constrained real-time bidding (Zhang, Rong, Wang,
Zhu & Wang 2016, "Feedback Control of Real-Time Display Advertising", WSDM; Yang et al. 2019, "Bid Optimization by
Multivariable Control in Display Advertising", KDD). The bid is ``k · v`` with ``k = exp(u) / aim`` and the control
signal ``u = Kp·e + Ki·Σe + Kd·Δe`` (clipped) on the error

    e = (ROI so far ÷ aim − 1)  −  w_pace · max(0, spend share ÷ traffic share − 1)

— positive (raise bids) while the realized ROI beats the aim and the spend is on pace. The ROI is the cumulative
realized GMV ÷ spend blended with the predicted GMV of the wins ÷ spend (weight ``orders / (orders + 20)`` on the
realized side), so that the first few orders do not whip the multiplier around.
"""

from __future__ import annotations

import numpy as np

from siyu.autobid.bidders._base import (
    BaseBidder,
    check_non_negative,
    register_bidder,
)
from siyu.autobid.bidders.pacing import TrafficCurve

__all__ = ["PIDBidder"]


@register_bidder("pid")
class PIDBidder(BaseBidder):
    """PID on ``log k`` (Zhang et al. 2016).

    Parameters
    ----------
    target_roi, budget, n_steps, margin
        As in :class:`~siyu.autobid.bidders._base.BaseBidder`.
    kp, ki, kd : float, default 0.5, 0.05, 0.0
        Gains (per unit of relative error; the integral is a sum over steps).
    pace_weight : float, default 1.0
        Weight of overspending in the error.
    u_max : float, default 1.5
        ``|u|`` is clipped here (the multiplier stays within ``exp(±u_max) / aim``).
    """

    def __init__(self, *, target_roi: float, budget: float, n_steps: int, margin: float = 0.0, kp: float = 0.5,
                 ki: float = 0.05, kd: float = 0.0, pace_weight: float = 1.0, u_max: float = 1.5,
                 period: int | None = None) -> None:
        super().__init__(target_roi=target_roi, budget=budget, n_steps=n_steps, margin=margin)
        check_non_negative(kp=kp, ki=ki, kd=kd, pace_weight=pace_weight, u_max=u_max)
        self.kp, self.ki, self.kd, self.pace_weight, self.u_max = map(float, (kp, ki, kd, pace_weight, u_max))
        self.u_ = 0.0
        self.integral_ = 0.0
        self.prev_error_ = 0.0
        self.curve_ = TrafficCurve(n_steps, period)
        self._vwon = 0.0
        self.prior_orders = 20.0

    def _bid(self, step: int, values: np.ndarray, channels: np.ndarray) -> np.ndarray:
        return values * np.exp(self.u_) / self.aim

    def _update(self, step, won, cost, gmv, values, channels) -> None:
        self.curve_.add(step, len(won))
        if len(values) == len(won):
            self._vwon += float(values[won].sum())
        if self.spent <= 0:
            error = 0.5  # nothing won yet: raise the bid
        else:
            w = self.orders / (self.orders + self.prior_orders)
            roi = (w * self.gmv + (1.0 - w) * self._vwon) / self.spent
            error = roi / self.aim - 1.0
        if np.isfinite(self.budget):
            past, fut = self.curve_.past, self.curve_.future(step)
            if past + fut > 0:
                pace = (self.spent / self.budget) / max(past / (past + fut), 1e-9)
                error -= self.pace_weight * max(0.0, pace - 1.0)
        error = float(np.clip(error, -1.0, 1.0))
        self.integral_ = float(np.clip(self.integral_ + error, -self.u_max / max(self.ki, 1e-9),
                                       self.u_max / max(self.ki, 1e-9)))
        self.u_ = float(np.clip(self.kp * error + self.ki * self.integral_ + self.kd * (error - self.prev_error_),
                                -self.u_max, self.u_max))
        self.prev_error_ = error
