"""The physical limit of ROI-targeted bidding: the hindsight LP, and the attainable ceiling under noisy predictions.

``max Σ x_i v_i  s.t.  Σ x_i p_i ≤ B,  Σ x_i (v_i − R p_i) ≥ 0,  0 ≤ x_i ≤ 1`` (docs/autobid.md). Its Lagrangian is
``Σ x_i [(1+μ) v_i − (λ + μR) p_i]``, so the optimum takes the impressions in decreasing order of ``v_i / p_i``
down to a threshold, with at most one fractional impression: in a truthful auction a single multiplier
``k* = 1/threshold`` (bid ``k*·v``) reaches it (Aggarwal, Badanidiyuru & Mehta, WINE 2019). Sorting makes it
exact in O(n log n). Along that order the spend only grows and the ROI slack ``Σ (v − R p)`` first grows (while
``v/p ≥ R``) then falls, so the feasible prefixes are exactly ``[0, k]`` for the first prefix where either
constraint would break; the optimum is that prefix plus the largest feasible fraction of the next impression.

The **attainable ceiling** is the same search when the order comes from the bidder's de-biased *predictions*
while spend and GMV are judged on the truth: the best single threshold on ``prediction / price``. Feasible
prefixes are then no longer contiguous, so every prefix is checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siyu._exceptions import ConfigError

__all__ = ["LPResult", "attainable_ceiling", "hindsight_lp"]


@dataclass(frozen=True)
class LPResult:
    """An optimal (or best-threshold) allocation.

    Attributes
    ----------
    gmv, spend : float
        Expected GMV and spend of the allocation.
    threshold : float
        ``v/p`` of the marginal impression (``inf`` when nothing is taken); bidding ``v / threshold`` wins exactly
        the impressions at or above it.
    taken : int
        Impressions taken whole.
    fraction : float
        Share of the marginal impression taken (0 ≤ fraction < 1).
    binding : str
        ``"budget"``, ``"roi"`` or ``"none"`` (every impression with positive value is taken).
    """

    gmv: float
    spend: float
    threshold: float
    taken: int
    fraction: float
    binding: str

    @property
    def roi(self) -> float:
        return self.gmv / self.spend if self.spend > 0 else float("inf")

    @property
    def multiplier(self) -> float:
        """The bid multiplier ``k* = 1/threshold`` that reaches the allocation (bid = k*·v)."""
        return 1.0 / self.threshold if self.threshold > 0 else float("inf")


def _check(values: np.ndarray, prices: np.ndarray, budget: float, target_roi: float) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    p = np.asarray(prices, dtype=np.float64).reshape(-1)
    if v.shape != p.shape:
        raise ConfigError(f"values ({v.size}) and prices ({p.size}) must have one entry per impression")
    if not (np.all(np.isfinite(v)) and np.all(np.isfinite(p))) or (v < 0).any() or (p <= 0).any():
        raise ConfigError("values must be finite and >= 0, prices finite and > 0")
    if not (budget > 0) or not (target_roi > 0):
        raise ConfigError(f"budget ({budget}) and target_roi ({target_roi}) must be > 0")
    return v, p


def _allocate(order: np.ndarray, v: np.ndarray, p: np.ndarray, budget: float, target_roi: float,
              contiguous: bool) -> LPResult:
    vs, ps = v[order], p[order]
    cum_p = np.cumsum(ps)
    slack = np.cumsum(vs - target_roi * ps)
    ok = (cum_p <= budget * (1 + 1e-12)) & (slack >= -1e-9 * np.maximum(cum_p, 1.0))
    if contiguous:
        bad = np.flatnonzero(~ok)
        k = int(bad[0]) if bad.size else len(vs)  # whole impressions taken: order[:k]
    else:
        feasible = np.flatnonzero(ok)
        k = int(feasible[-1]) + 1 if feasible.size else 0
    gmv = float(vs[:k].sum())
    spend = float(ps[:k].sum())
    fraction, binding = 0.0, "none"
    if k < len(vs):
        s_left = slack[k - 1] if k else 0.0
        room_b = (budget - spend) / ps[k]
        deficit = target_roi * ps[k] - vs[k]
        room_r = s_left / deficit if deficit > 0 else np.inf
        fraction = float(np.clip(min(room_b, room_r), 0.0, 1.0))
        if fraction >= 1.0:  # only possible off the contiguous case when later prefixes recover; keep it whole-free
            fraction = 0.0
        binding = "budget" if room_b <= room_r else "roi"
        gmv += fraction * vs[k]
        spend += fraction * ps[k]
        threshold = float(vs[k] / ps[k]) if fraction > 0 or k == 0 else float(vs[k - 1] / ps[k - 1])
    else:
        threshold = float(vs[-1] / ps[-1]) if len(vs) else float("inf")
    return LPResult(gmv=gmv, spend=spend, threshold=threshold, taken=k, fraction=fraction, binding=binding)


def hindsight_lp(values, prices, *, budget: float, target_roi: float) -> LPResult:
    """Exact optimum of the hindsight LP (docs/autobid.md) in O(n log n).

    Parameters
    ----------
    values : array-like
        True expected GMV of each impression.
    prices : array-like
        Its price (the highest competing bid, paid on a win; > 0).
    budget : float
        Spend cap (``numpy.inf`` for none).
    target_roi : float
        ``R``: GMV ÷ spend must be at least ``R``.
    """
    v, p = _check(values, prices, budget, target_roi)
    order = np.argsort(-(v / p), kind="stable")
    return _allocate(order, v, p, budget, target_roi, contiguous=True)


def attainable_ceiling(predicted, values, prices, *, budget: float, target_roi: float) -> LPResult:
    """Best single threshold on ``predicted / price``, judged on the true ``values`` (docs/autobid.md §Metrics).

    With calibrated, noise-free predictions it equals :func:`hindsight_lp`.
    """
    v, p = _check(values, prices, budget, target_roi)
    u = np.asarray(predicted, dtype=np.float64).reshape(-1)
    if u.shape != v.shape:
        raise ConfigError("predicted must have one entry per impression")
    order = np.argsort(-(u / p), kind="stable")
    return _allocate(order, v, p, budget, target_roi, contiguous=False)
