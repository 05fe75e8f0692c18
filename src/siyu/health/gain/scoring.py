"""GAIN scores: indicator scores in baseline or target mode, dimension scores, the GAIN score, the trend.

docs/gain.md §Scores (PROP): an indicator score is in [0, 100]; *baseline* mode places the current value within the
brand's own trailing monthly values (50 = typical for this brand), *target* mode is linear between a
merchant-set floor (0) and target (100), clipped. Baseline is the usual proposal for a default; siyu scores in
target mode by default (with reference floors and targets, ``[gain].targets``) because a baseline score
compares a brand only with itself: a store that has always been weak scores 50, and two stores cannot be
compared. Both scores are always reported (``score`` in the configured mode, ``baseline_score`` beside it). Dimension score = mean of its indicator scores; GAIN score =
weighted mean of the dimensions (``[model].gain_weights``, equal by default because no official weights are
public).

siyu's choices: the monthly values are taken at the last day of each of the ``baseline_months`` calendar months
before the snapshot; the percentile is the mid-rank one, ``100 · (#below + ½ #equal) / n``, over the months with
a value; fewer than 3 such months give no baseline score (None), and a dimension or GAIN score averages the
scores that exist.

Comparability (siyu): a trend value whose look-back windows the logs do not cover (a window starting before
the first row of orders, events or reach_log, or after the last; :func:`siyu.metrics.coverage.uncovered` with
:func:`siyu.health.gain.indicators.indicator_windows`) is not comparable: its value is None with a reason. Such
months never enter a baseline; when the current value itself is not comparable it keeps its value and target
score, flagged, but gets no baseline score.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from siyu._exceptions import ConfigError
from siyu.engine.dates import default_as_of
from siyu.health.gain.indicators import (
    DIMENSIONS,
    INDICATORS,
    indicator_windows,
    indicators_at,
)
from siyu.metrics.ratio import ratio

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["gain", "indicator_score", "month_ends", "trend"]


def month_ends(as_of: dt.date, months: int) -> list[dt.date]:
    """The last day of each of the ``months`` calendar months before ``as_of``'s month, oldest first."""
    out = []
    d = as_of.replace(day=1) - dt.timedelta(days=1)
    for _ in range(months):
        out.append(d)
        d = d.replace(day=1) - dt.timedelta(days=1)
    return out[::-1]


def trend(ws: "Workspace", as_of: dt.date | str | None = None, months: int | None = None) -> list[dict[str, Any]]:
    """Every indicator as a monthly series: values at the month ends before ``as_of``, then at ``as_of``.

    Each indicator of a point also has ``comparable`` and ``reason``; a value whose windows the data do not cover
    is None (its numerator and denominator stay as computed), see the module docstring.
    """
    from siyu.metrics.coverage import data_coverage, uncovered

    t = default_as_of(ws, as_of)
    n = months or ws.config.gain.baseline_months
    cov = data_coverage(ws)
    out = []
    for d in [*month_ends(t, n), t]:
        values, needs = indicators_at(ws, d), indicator_windows(ws, d)
        for k in INDICATORS:
            reason = uncovered(cov, needs[k])
            values[k] = {**values[k], "comparable": reason is None, "reason": reason}
            if reason is not None:
                values[k]["value"] = None
        out.append({"date": d, "indicators": values})
    return out


def indicator_score(value: float | None, history: list[float | None], *, mode: str,
                    target: tuple[float, float] | None = None) -> float | None:
    """Score one indicator value in [0, 100] (see the module docstring)."""
    if value is None:
        return None
    if mode == "target":
        if target is None:
            return None
        floor, goal = target
        return max(0.0, min(100.0, 100.0 * (value - floor) / (goal - floor)))
    hist = [h for h in history if h is not None]
    if len(hist) < 3:
        return None
    below = sum(h < value for h in hist)
    equal = sum(h == value for h in hist)
    return 100.0 * (below + 0.5 * equal) / len(hist)


def _mean(xs: list[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return sum(vals) / len(vals) if vals else None


def gain(ws: "Workspace", as_of: dt.date | str | None = None, *, series: list[dict[str, Any]] | None = None
         ) -> dict[str, Any]:
    """The GAIN health score at ``as_of``.

    Parameters
    ----------
    series : list, optional
        A :func:`trend` already computed for ``as_of`` (it supplies the baseline and is returned as ``trend``).

    Returns
    -------
    dict
        ``{"as_of", "mode", "score", "dimensions": {"G": x, …}, "weakest_dimension", "weights",
        "indicators": {"G1": {"name_zh", "name_en", "dimension", "value", "numerator", "denominator", "comparable",
        "reason", "score", "baseline_score", "target"}, …}, "vip88_buyer_share", "trend"}``; each trend point is
        ``{"date", "G1": value, …, "reasons": {indicator: reason}}`` with a None value for every indicator in
        ``reasons`` (not comparable).
    """
    t = default_as_of(ws, as_of)
    cfg = ws.config.gain
    if cfg.score_mode == "target":
        missing = [k for k in INDICATORS if k not in cfg.targets]
        if len(missing) == len(INDICATORS):
            raise ConfigError("[gain] score_mode = 'target' needs [gain.targets] with a (floor, target) per indicator")
    series = series if series is not None else trend(ws, t)
    now = series[-1]["indicators"]
    history = series[:-1]
    indicators: dict[str, Any] = {}
    for k, ind in INDICATORS.items():
        cur = {"comparable": True, "reason": None, **now[k]}
        if not cur["comparable"]:  # the current value is reported (flagged), but compared with no month
            cur["value"] = ratio(cur["numerator"], cur["denominator"], growth=k == "G3")
        hist = [h["indicators"][k]["value"] for h in history if h["indicators"][k].get("comparable", True)]
        base = indicator_score(cur["value"], hist, mode="baseline") if cur["comparable"] else None
        score = base if cfg.score_mode == "baseline" else indicator_score(cur["value"], hist, mode=cfg.score_mode,
                                                                           target=cfg.targets.get(k))
        indicators[k] = {"name_zh": ind.name_zh, "name_en": ind.name_en, "dimension": ind.dimension, **cur,
                         "score": score, "baseline_score": base, "target": cfg.targets.get(k)}
    dims = {d: _mean([v["score"] for v in indicators.values() if v["dimension"] == d]) for d in DIMENSIONS}
    weights = dict(zip(DIMENSIONS, ws.config.model.gain_weights))
    scored = {d: s for d, s in dims.items() if s is not None}
    wsum = sum(weights[d] for d in scored)
    score = sum(weights[d] * s for d, s in scored.items()) / wsum if scored and wsum else None
    weakest = min(scored, key=lambda d: scored[d]) if scored else None
    return {"as_of": t, "mode": cfg.score_mode, "score": score, "dimensions": dims, "weakest_dimension": weakest,
            "weights": weights, "indicators": indicators, "vip88_buyer_share": now["vip88_buyer_share"],
            "trend": [{"date": s["date"], **{k: s["indicators"][k]["value"] for k in INDICATORS},
                       "reasons": {k: s["indicators"][k]["reason"] for k in INDICATORS
                                   if not s["indicators"][k].get("comparable", True)}} for s in series]}
