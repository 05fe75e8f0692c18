"""Metrics of one bidder on one tier-A run (a merchant-week), as defined in docs/autobid.md §Metrics.

* **GMV efficiency** — expected GMV of the wins ÷ the hindsight-LP GMV (:func:`~siyu.autobid.lp.hindsight_lp`);
  the *realized* variant divides realized GMV (orders × order value) by the same LP GMV; the *ceiling* variant
  divides by the attainable ceiling (:func:`~siyu.autobid.lp.attainable_ceiling`: the best single threshold on the
  bidder's de-biased predictions, judged on the truth), the honest yardstick when predictions are noisy.
* **ROI attainment** — realized ROI ÷ target ROI ``R``, for the run and per day; a run *violates* at level ``a``
  when its realized ROI is below ``a·R``. Violation rates over many runs carry Wilson 95 % score intervals
  (:func:`wilson_interval`; Wilson, 1927, JASA 22(158)).
* **Budget utilisation** and **time to 50 % / 90 % of the budget** ("跑量速度"), as a fraction of the run and in hours.
* **Compensation** (赔付) under an explicit, configurable rule (:mod:`siyu.autobid.compensation`): by default
  the window is 7 days (the run) and the platform pays ``max(0, spend − GMV/R)`` when realized ROI < 0.9·R and
  the window holds at least 30 orders; a run shorter than the window is never paid (incomplete window).
"""

from __future__ import annotations

import math
from typing import Any

from siyu._exceptions import ConfigError
from siyu.autobid.harness import RunResult
from siyu.autobid.lp import LPResult, attainable_ceiling, hindsight_lp
from siyu.autobid.market import Traffic

__all__ = ["evaluate_run", "finite_or_none", "wilson_interval"]

#: violation levels reported for every run: realized ROI below level × R
VIOLATION_LEVELS: tuple[float, ...] = (1.0, 0.9, 0.8)


def wilson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``k / n``.

    Parameters
    ----------
    k : int
        Successes (here: runs that violate), ``0 ≤ k ≤ n``.
    n : int
        Trials (runs). With ``n = 0`` the interval is the uninformative ``(0, 1)``.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    (low, high) : tuple of float

    Notes
    -----
    Wilson (1927), "Probable inference, the law of succession, and statistical inference", JASA 22(158):209–212.
    Computed by :meth:`scipy.stats.binomtest(k, n).proportion_ci(method="wilson")
    <scipy.stats._result_classes.BinomTestResult.proportion_ci>`.
    """
    if isinstance(k, bool) or isinstance(n, bool) or int(k) != k or int(n) != n or not 0 <= k <= n:
        raise ConfigError(f"wilson_interval needs whole numbers 0 <= k <= n, got k={k!r}, n={n!r}")
    if not 0 < level < 1:
        raise ConfigError(f"level must be in (0, 1), got {level!r}")
    if n == 0:
        return (0.0, 1.0)
    from scipy.stats import binomtest

    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return (float(ci.low), float(ci.high))


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


def _hours(fraction: float, traffic: Traffic) -> float:
    return fraction * traffic.n_steps * 24.0 / traffic.steps_per_day


def _compensation(traffic: Traffic, result: RunResult, rule: Any) -> float:
    """Ad credit owed for the run under ``rule`` (:func:`siyu.autobid.compensation.compensate` on its days)."""
    from siyu.autobid.compensation import compensate, daily_records, summarize

    return float(summarize(compensate(daily_records(result, traffic), rule))["amount"])


def evaluate_run(traffic: Traffic, result: RunResult, *, rule: Any = None, lp: LPResult | None = None,
                 ceiling: LPResult | None = None) -> dict[str, Any]:
    """Every metric of docs/autobid.md §Metrics for one bidder's run.

    Parameters
    ----------
    traffic : Traffic
        The run (:func:`siyu.autobid.market.simulate`).
    result : RunResult
        What the bidder did on it (:func:`siyu.autobid.harness.replay`).
    rule : CompensationRule or str, optional
        Compensation rule or preset name (:mod:`siyu.autobid.compensation`); default its default rule (7-day
        window, pay the shortfall below 0.9·R with at least 30 orders).
    lp, ceiling : LPResult, optional
        The run's hindsight LP and attainable ceiling, when the caller already has them (they depend on the run
        only, so a benchmark computes them once for all bidders).

    Returns
    -------
    dict
        ``efficiency_lp``, ``efficiency_realized``, ``efficiency_ceiling``, ``lp_gmv``, ``ceiling_gmv``,
        ``lp_binding``, ``value``, ``gmv``, ``spend``, ``orders``, ``roi``, ``attainment``, ``daily_roi`` (list),
        ``violates_1.0`` / ``violates_0.9`` / ``violates_0.8`` (bool), ``budget_use``, ``time_to_50``,
        ``time_to_90`` (fraction of the run, NaN if never reached), ``hours_to_50``, ``hours_to_90``,
        ``compensation``, ``compensation_share`` (of spend).
    """
    if len(result.spend) != traffic.n_steps or len(result.won) != len(traffic):
        raise ConfigError(f"result has {len(result.spend)} steps and {len(result.won)} impressions, the run "
                          f"{traffic.n_steps} and {len(traffic)}: evaluate a result on the run it was replayed on")
    R = traffic.target_roi
    if lp is None:
        lp = hindsight_lp(traffic.value, traffic.price, budget=traffic.budget, target_roi=R)
    if ceiling is None:
        ceiling = attainable_ceiling(traffic.debiased, traffic.value, traffic.price, budget=traffic.budget,
                                     target_roi=R)
    value, gmv, spend, orders = result.total_value, result.total_gmv, result.total_spend, result.total_orders
    roi = result.roi
    d_gmv, d_spend = result.daily("gmv"), result.daily("spend")
    daily_roi = [float(g / s) if s > 0 else float("inf") for g, s in zip(d_gmv, d_spend)]
    t50, t90 = result.time_to_share(0.5), result.time_to_share(0.9)
    comp = _compensation(traffic, result, rule)
    out: dict[str, Any] = {
        "efficiency_lp": _ratio(value, lp.gmv),
        "efficiency_realized": _ratio(gmv, lp.gmv),
        "efficiency_ceiling": _ratio(value, ceiling.gmv),
        "lp_gmv": lp.gmv, "ceiling_gmv": ceiling.gmv, "lp_binding": lp.binding,
        "value": value, "gmv": gmv, "spend": spend, "orders": orders,
        "roi": roi, "attainment": roi / R, "daily_roi": daily_roi,
        "budget_use": _ratio(spend, traffic.budget),
        "time_to_50": t50, "time_to_90": t90,
        "hours_to_50": _hours(t50, traffic), "hours_to_90": _hours(t90, traffic),
        "compensation": comp, "compensation_share": _ratio(comp, spend) if spend > 0 else 0.0,
    }
    for a in VIOLATION_LEVELS:
        out[f"violates_{a:.1f}"] = bool(spend > 0 and roi < a * R)
    return out


def finite_or_none(x: float) -> float | None:
    """``x`` or ``None`` when NaN/inf (JSON has no NaN)."""
    return float(x) if x is not None and math.isfinite(x) else None
