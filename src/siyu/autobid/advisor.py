"""The 全站推 advisor: the volume–ROI curve and the target ROI and budget for a goal; the product screen is in
:mod:`siyu.autobid.products` (re-exported here).

Merchants report that "the lower the target ROI, the faster the volume" (ROI设置得越低，放量的速度越是迅速), that hot
products do better, and that new, high-price and long-cycle products need careful testing, while a low CTR gets
an item worse placements (docs/autobid.md). The advisor turns that into three tools (docs/autobid-advisor.md):

* :func:`volume_roi_curve` — simulate a merchant on tier A (:func:`siyu.autobid.market.simulate`) with siyu's
  bidder at each target ROI over a few seeds (the same traffic for every target: common random numbers) and report
  expected and realized GMV, spend, orders, realized ROI, budget use and expected compensation
  (:mod:`siyu.autobid.compensation`);
* :func:`recommend` — the target ROI (and budget) for a goal: ``max_gmv`` subject to realized ROI ≥ a floor, or
  ``max_profit`` = expected GMV × gross margin − spend;
* :func:`screen_products` — hot / normal / test-first per product from its sales base, reviews, CTR, pCVR and
  price, flagging the ones that will not deliver (too few sales; a target far above the category's market ROI).

(:func:`screen_products` lives in :mod:`siyu.autobid.products`.) :func:`advise` ties them together and draws the curve (:func:`volume_roi_chart`) as an offline HTML page.

References: docs/autobid-advisor.md §Advisor, docs/autobid.md; Aggarwal, Badanidiyuru & Mehta
(2019), "Autobidding with Constraints", WINE (why a lower target buys more volume: the threshold on v/p falls).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from siyu._exceptions import ConfigError
from siyu.autobid.compensation import (
    CompensationRule,
    compensate,
    daily_records,
    resolve_rule,
)
from siyu.autobid.products import (  # noqa: F401  (the screen's names stay importable from here)
    OPTIONAL,
    REQUIRED,
    TIERS,
    ProductVerdict,
    ScreenRule,
    _parse_products,
    screen_products,
)

__all__ = ["DEFAULT_BIDDER", "DEFAULT_TARGETS", "Advice", "Curve", "CurvePoint", "ProductVerdict", "Recommendation",
           "ScreenRule", "advise", "recommend", "screen_products", "volume_roi_chart", "volume_roi_curve"]

#: the bidder the advisor simulates (siyu's own, with its margin chosen from the expected order volume)
DEFAULT_BIDDER = "siyu"
#: target ROIs swept by default (around the simulator's market ROI of 3)
DEFAULT_TARGETS: tuple[float, ...] = (2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)
#: a run is budget-bound when it spends at least this share of its budget
BOUND_SHARE = 0.99

TrafficMaker = Callable[[int, float, float], Any]   # (seed, target_roi, budget) -> Traffic


# -- the volume–ROI curve ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CurvePoint:
    """One target ROI of the curve; money and orders are means per run (``days`` days) over the seeds.

    ``realized_roi`` pools the seeds (Σ GMV ÷ Σ spend); ``budget_bound`` is the share of seeds that spent their
    budget; ``uncapped_spend`` what the bidder spends at this target without a budget; ``compensation`` the mean
    amount owed under the rule and ``p_compensation`` the share of seeds paid; ``p_miss`` the share of seeds whose
    realized ROI fell below the target.
    """

    target_roi: float
    expected_gmv: float
    gmv: float
    spend: float
    orders: float
    realized_roi: float
    expected_roi: float
    budget_use: float | None
    budget_bound: float
    uncapped_spend: float
    compensation: float
    p_compensation: float
    p_miss: float

    def as_dict(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in dataclasses.asdict(self).items()}


@dataclass(frozen=True)
class Curve:
    """The volume–ROI curve of one merchant (points by ascending target ROI) and how it was made."""

    points: tuple[CurvePoint, ...]
    profile: str
    budget: float
    seeds: tuple[int, ...]
    bidder: str
    days: int
    impressions_per_day: int | None
    rule: CompensationRule

    def rows(self) -> list[dict[str, Any]]:
        return [p.as_dict() for p in self.points]


def _maker(profile: Any, impressions_per_day: int, days: int, scenario: str,
           config: Any = None) -> tuple[TrafficMaker, str]:
    """A ``(seed, target, budget) -> Traffic`` function; the traffic of a seed is drawn once and re-targeted.

    The advisor's adapter from seeds to generators: a seed becomes ``numpy.random.default_rng(seed)`` here, once.
    """
    if callable(profile):
        return profile, getattr(profile, "__name__", "custom")
    from siyu.autobid.market import Profile, parse_profile, simulate

    if not isinstance(profile, (Profile, str)):
        raise ConfigError(f"profile must be a name, a Profile or a traffic maker, got {type(profile).__name__}")
    prof = parse_profile(profile, strength_alone=True)
    cache: dict[int, Any] = {}

    def make(seed: int, target_roi: float, budget: float) -> Any:
        if seed not in cache:  # the draws do not depend on the target: one week per seed, re-targeted
            cache[seed] = simulate(prof, np.random.default_rng(seed), config, scenario=scenario,
                                   impressions_per_day=impressions_per_day, days=days, target_roi=target_roi,
                                   budget=np.inf)
        return dataclasses.replace(cache[seed], target_roi=float(target_roi), budget=float(budget))

    return make, prof.strength


def _check_targets(targets: Iterable[float] | None) -> tuple[float, ...]:
    ts = DEFAULT_TARGETS if targets is None else tuple(targets)
    if not ts:
        raise ConfigError("targets: give at least one target ROI")
    for t in ts:
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t <= 0:
            raise ConfigError(f"targets: every target ROI must be a finite number > 0, got {t!r}")
    return tuple(sorted({float(t) for t in ts}))


def volume_roi_curve(profile: Any = "normal", targets: Iterable[float] | None = None, budget: float = math.inf,
                     seeds: int | Iterable[int] = 3, *, bidder: str | None = None,
                     bidder_options: Mapping[str, Any] | None = None, impressions_per_day: int = 20_000,
                     days: int = 7, scenario: str = "default", config: Any = None,
                     rule: CompensationRule | str | None = None) -> Curve:
    """Simulate the merchant at each target ROI and report the volume–ROI curve.

    Parameters
    ----------
    profile : str, Profile or callable
        ``hot``, ``normal`` or ``new`` (or ``strength/target/binding``; target and binding are overridden), or a
        traffic maker ``(seed, target_roi, budget) -> Traffic``.
    targets : iterable of float, optional
        Target ROIs to try (default :data:`DEFAULT_TARGETS`).
    budget : float, default inf
        Budget of a run (``days`` days); ``inf``: none.
    seeds : int or iterable of int, default 3
        Seeds (an int ``n`` means ``0 … n−1``); every target sees the same traffic of a seed.
    bidder : str, optional
        Registered bidder (default :data:`DEFAULT_BIDDER`); ``bidder_options`` go to :func:`make_bidder`.
    impressions_per_day, days, scenario, config
        Tier-A knobs (:func:`siyu.autobid.market.simulate`; ``config`` a :class:`MarketConfig`).
    rule : CompensationRule or str, optional
        Compensation rule (default: docs/autobid-advisor.md §Compensation).
    """
    from siyu.autobid.bidders import make_bidder
    from siyu.autobid.harness import replay

    ts = _check_targets(targets)
    if not (isinstance(budget, (int, float)) and budget > 0):
        raise ConfigError(f"budget must be > 0 (inf for none), got {budget!r}")
    seed_list = tuple(range(seeds)) if isinstance(seeds, int) else tuple(int(s) for s in seeds)
    if not seed_list:
        raise ConfigError("seeds: give at least one seed")
    rule = resolve_rule(rule)
    name = bidder or DEFAULT_BIDDER
    opts = dict(bidder_options or {})
    make, label = _maker(profile, impressions_per_day, days, scenario, config)

    def run(tr: Any) -> Any:
        return replay(tr, make_bidder(name, target_roi=tr.target_roi, budget=tr.budget, n_steps=tr.n_steps, **opts))

    points = []
    for t in ts:
        ev, gmv, spend, orders, comp, uncapped, use = [], [], [], [], [], [], []
        bound = paid = miss = 0
        for s in seed_list:
            tr = make(s, t, float(budget))
            r = run(tr)
            ev.append(r.total_value), gmv.append(r.total_gmv), spend.append(r.total_spend)
            orders.append(r.total_orders)
            owed = sum(w.amount for w in compensate(daily_records(r, tr), rule))
            comp.append(owed)
            paid += owed > 0
            miss += r.total_spend > 0 and r.total_gmv < t * r.total_spend
            if math.isfinite(budget):
                use.append(r.total_spend / budget)
                hit = r.total_spend >= BOUND_SHARE * budget
                bound += hit
                # what the target would spend without a cap: rerun only when the cap was hit
                uncapped.append(run(make(s, t, math.inf)).total_spend if hit else r.total_spend)
            else:
                uncapped.append(r.total_spend)
        n, sp = len(seed_list), float(sum(spend))
        points.append(CurvePoint(
            target_roi=t, expected_gmv=float(np.mean(ev)), gmv=float(np.mean(gmv)), spend=float(np.mean(spend)),
            orders=float(np.mean(orders)), realized_roi=float(sum(gmv) / sp) if sp > 0 else math.inf,
            expected_roi=float(sum(ev) / sp) if sp > 0 else math.inf,
            budget_use=float(np.mean(use)) if use else None, budget_bound=bound / n,
            uncapped_spend=float(np.mean(uncapped)), compensation=float(np.mean(comp)), p_compensation=paid / n,
            p_miss=miss / n))
    return Curve(points=tuple(points), profile=label, budget=float(budget), seeds=seed_list, bidder=name, days=days,
                 impressions_per_day=impressions_per_day if not callable(profile) else None, rule=rule)


# -- the recommendation --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recommendation:
    """The advised target ROI and budget, the curve point behind it, and why (Chinese and English)."""

    goal: str
    target_roi: float
    budget: float
    budget_per_day: float
    feasible: bool
    objective: float
    point: CurvePoint
    reasons_zh: tuple[str, ...]
    reasons_en: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"goal": self.goal, "target_roi": self.target_roi, "budget": self.budget,
                "budget_per_day": self.budget_per_day, "feasible": self.feasible, "objective": self.objective,
                "point": self.point.as_dict(), "reasons_zh": list(self.reasons_zh),
                "reasons_en": list(self.reasons_en)}


def _round_up(x: float) -> float:
    """Round a budget up to two significant figures."""
    if x <= 0 or not math.isfinite(x):
        return x
    step = 10 ** max(0, math.floor(math.log10(x)) - 1)
    return float(math.ceil(x / step) * step)


def _check_goal(goal: str, roi_floor: float | None, margin: float | None) -> None:
    if goal not in ("max_gmv", "max_profit"):
        raise ConfigError(f"goal {goal!r}: use max_gmv or max_profit")
    if roi_floor is not None and not (math.isfinite(roi_floor) and roi_floor > 0):
        raise ConfigError(f"roi_floor must be a number > 0, got {roi_floor!r}")
    if goal == "max_profit" and (margin is None or not (0 < margin <= 1)):
        raise ConfigError(f"goal max_profit needs margin, the gross margin rate in (0, 1], got {margin!r}")


def recommend(curve: Curve, goal: Literal["max_gmv", "max_profit"] = "max_gmv", *, roi_floor: float | None = None,
              margin: float | None = None) -> Recommendation:
    """Pick the target ROI on ``curve`` for ``goal``, and the budget to go with it.

    Parameters
    ----------
    curve : Curve
        From :func:`volume_roi_curve`.
    goal : {"max_gmv", "max_profit"}
        ``max_gmv``: the most expected GMV among targets whose realized ROI (pooled over seeds) is at least
        ``roi_floor`` — or, without a floor, at least ``tolerance × target`` (the bidder keeps the promise the
        compensation rule holds it to). ``max_profit``: the most ``expected GMV × margin − spend`` (also subject
        to ``roi_floor`` when one is given).
    roi_floor : float, optional
    margin : float
        Gross margin rate in (0, 1]; required for ``max_profit``.

    Returns
    -------
    Recommendation
        With ``feasible=False`` when no target meets the floor (then the point of highest realized ROI) or, for
        ``max_profit``, none makes a profit (then the smallest loss). The budget
        is the spend at which the recommended target stops being budget-bound when the given budget binds (or no
        budget was given), else the given budget.
    """
    _check_goal(goal, roi_floor, margin)
    pts = curve.points
    tol = curve.rule.tolerance

    def floor_of(p: CurvePoint) -> float:
        return roi_floor if roi_floor is not None else tol * p.target_roi

    def value(p: CurvePoint) -> float:
        return p.expected_gmv if goal == "max_gmv" else p.expected_gmv * margin - p.spend

    ok = [p for p in pts if p.spend > 0 and p.realized_roi >= floor_of(p)] if (goal == "max_gmv" or roi_floor) \
        else [p for p in pts if p.spend > 0]
    zh, en = [], []
    floor_txt = f"{roi_floor:g}" if roi_floor is not None else f"{tol:g}×目标"
    floor_en = f"{roi_floor:g}" if roi_floor is not None else f"{tol:g}× the target"
    if goal == "max_profit":
        ok = [p for p in ok if value(p) > 0]
    if ok:
        best = max(ok, key=lambda p: (value(p), p.target_roi))
        feasible = True
        if goal == "max_gmv":
            zh.append(f"目标 ROI {best.target_roi:g} 在实际 ROI ≥ {floor_txt} 的目标中预期 GMV 最高"
                      f"（¥{best.expected_gmv:,.0f}，实际 ROI {best.realized_roi:.2f}）")
            en.append(f"target ROI {best.target_roi:g} gives the most expected GMV (¥{best.expected_gmv:,.0f}, "
                      f"realized ROI {best.realized_roi:.2f}) among targets with realized ROI ≥ {floor_en}")
            lower = [p for p in pts if p.target_roi < best.target_roi and p not in ok]
            if lower:
                q = max(lower, key=lambda p: p.target_roi)
                zh.append(f"更低的目标（{q.target_roi:g}）放量更快，但实际 ROI 仅 {q.realized_roi:.2f}，低于底线")
                en.append(f"a lower target ({q.target_roi:g}) runs more volume but realizes ROI "
                          f"{q.realized_roi:.2f}, below the floor")
        else:
            zh.append(f"目标 ROI {best.target_roi:g} 的预期毛利最高：¥{best.expected_gmv:,.0f} × {margin:g} − "
                      f"¥{best.spend:,.0f} = ¥{value(best):,.0f}（保本 ROI = 1/毛利率 = {1 / margin:.2f}）")
            en.append(f"target ROI {best.target_roi:g} maximises expected profit: ¥{best.expected_gmv:,.0f} × "
                      f"{margin:g} − ¥{best.spend:,.0f} = ¥{value(best):,.0f} (break-even ROI = 1/margin = "
                      f"{1 / margin:.2f})")
    elif goal == "max_profit" and roi_floor is None:
        best = max(pts, key=lambda p: (value(p), p.target_roi))
        feasible = False
        zh.append(f"毛利率 {margin:g} 下没有目标能盈利（保本 ROI = {1 / margin:.2f}）；亏损最少的是目标 "
                  f"{best.target_roi:g}（¥{value(best):,.0f}）。建议先小预算测试或换商品")
        en.append(f"no target is profitable at margin {margin:g} (break-even ROI {1 / margin:.2f}); the least loss "
                  f"is at target {best.target_roi:g} (¥{value(best):,.0f}). Test with a small budget or pick "
                  f"another product")
    else:
        with_spend = [p for p in pts if p.spend > 0] or list(pts)
        best = max(with_spend, key=lambda p: (p.realized_roi if p.spend > 0 else -1.0, p.target_roi))
        feasible = False
        zh.append(f"没有目标能达到实际 ROI ≥ {floor_txt}；最好的是目标 {best.target_roi:g}（实际 ROI "
                  f"{best.realized_roi:.2f}）。可试更高目标、换更强的商品，或先小预算测试")
        en.append(f"no target reaches realized ROI ≥ {floor_en}; the best is target {best.target_roi:g} (realized "
                  f"ROI {best.realized_roi:.2f}). Try higher targets, a stronger product, or a small test budget")

    days = curve.days
    if math.isfinite(curve.budget) and best.budget_bound < 0.5:
        budget = curve.budget
        zh.append(f"预算 ¥{budget:,.0f} 不构成约束（用掉 {best.budget_use or 0:.0%}）")
        en.append(f"the budget ¥{budget:,.0f} does not bind ({best.budget_use or 0:.0%} used)")
    else:
        budget = _round_up(best.uncapped_spend)
        if math.isfinite(curve.budget):
            budget = max(budget, curve.budget)
            zh.append(f"预算 ¥{curve.budget:,.0f} 在此目标下被花完；约 ¥{budget:,.0f}（{days} 天）时不再受预算限制")
            en.append(f"the budget ¥{curve.budget:,.0f} runs out at this target; about ¥{budget:,.0f} per "
                      f"{days} days lets it run free")
        else:
            zh.append(f"此目标下预计 {days} 天消耗约 ¥{budget:,.0f}；预算不低于此值就不会限制跑量")
            en.append(f"at this target expect to spend about ¥{budget:,.0f} in {days} days; a budget at or above "
                      f"it never binds")
    if best.compensation > 0:
        zh.append(f"预期赔付 ¥{best.compensation:,.0f}（{best.p_compensation:.0%} 的模拟周触发）")
        en.append(f"expected compensation ¥{best.compensation:,.0f} (paid in {best.p_compensation:.0%} of "
                  f"simulated weeks)")
    return Recommendation(goal=goal, target_roi=best.target_roi, budget=budget, budget_per_day=budget / days,
                          feasible=feasible, objective=value(best), point=best, reasons_zh=tuple(zh),
                          reasons_en=tuple(en))


# -- the chart and the whole advice --------------------------------------------------------------------------------
def volume_roi_chart(curve: Curve, rec: Recommendation | None = None) -> Any:
    """A plotly figure: expected GMV and spend vs target ROI, the recommended point, compensation on a 2nd axis."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    x = [p.target_roi for p in curve.points]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=x, y=[p.expected_gmv for p in curve.points], mode="lines+markers",
                             name="预期 GMV Expected GMV"), secondary_y=False)
    fig.add_trace(go.Scatter(x=x, y=[p.spend for p in curve.points], mode="lines+markers",
                             name="消耗 Spend"), secondary_y=False)
    fig.add_trace(go.Bar(x=x, y=[p.compensation for p in curve.points], name="预期赔付 Expected compensation",
                         opacity=0.35, width=0.15), secondary_y=True)
    if rec is not None:
        p = rec.point
        fig.add_trace(go.Scatter(x=[p.target_roi], y=[p.expected_gmv], mode="markers+text",
                                 marker=dict(size=16, symbol="star", color="crimson"),
                                 text=[f"推荐 Recommended: ROI {p.target_roi:g}"], textposition="top center",
                                 name="推荐 Recommended"), secondary_y=False)
    budget = f", 预算 budget ¥{curve.budget:,.0f}" if math.isfinite(curve.budget) else ""
    fig.update_layout(
        title=f"全站推 量–ROI 曲线 Volume–ROI curve ({curve.profile}, {curve.days} 天 days, "
              f"{len(curve.seeds)} seeds{budget})",
        template="plotly_white", height=480, legend=dict(orientation="h", y=-0.2),
        font=dict(family="Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"))
    fig.update_xaxes(title_text="目标 ROI Target ROI")
    fig.update_yaxes(title_text="金额 Amount (¥ per run)", secondary_y=False)
    fig.update_yaxes(title_text="预期赔付 Expected compensation (¥)", secondary_y=True, rangemode="tozero")
    return fig


@dataclass(frozen=True)
class Advice:
    """What :func:`advise` returns."""

    curve: Curve
    recommendation: Recommendation
    products: tuple[ProductVerdict, ...] | None = None
    chart: Path | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"settings": self.settings, "curve": self.curve.rows(),
                "recommendation": self.recommendation.as_dict(),
                "products": None if self.products is None else [v.as_dict() for v in self.products],
                "chart": None if self.chart is None else str(self.chart)}


def advise(profile: Any = "normal", *, targets: Sequence[float] | None = None, budget: float = math.inf,
           seeds: int | Iterable[int] = 3, goal: Literal["max_gmv", "max_profit"] = "max_gmv",
           roi_floor: float | None = None, margin: float | None = None, products: Any = None,
           market_roi: float = 3.0, chart: str | Path | None = None, impressions_per_day: int = 20_000,
           days: int = 7, bidder: str | None = None, rule: CompensationRule | str | None = None,
           screen: ScreenRule | None = None, config: Any = None) -> Advice:
    """The curve, the recommendation, an optional product screen at the recommended target, and the chart.

    Parameters are those of :func:`volume_roi_curve`, :func:`recommend` and :func:`screen_products`; ``chart`` is
    the path of a standalone offline HTML page (plotly.js inlined) to write.
    """
    _check_goal(goal, roi_floor, margin)  # bad input fails before the simulation, not after
    if products is not None:
        _parse_products(products)
    curve = volume_roi_curve(profile, targets, budget, seeds, bidder=bidder, impressions_per_day=impressions_per_day,
                             days=days, config=config, rule=rule)
    rec = recommend(curve, goal, roi_floor=roi_floor, margin=margin)
    verdicts = None
    if products is not None:
        verdicts = tuple(screen_products(products, target_roi=rec.target_roi, market_roi=market_roi, rule=screen))
    path = None
    if chart is not None:
        path = Path(chart)
        if path.parent and not path.parent.exists():
            raise ConfigError(f"chart: directory {path.parent} does not exist")
        volume_roi_chart(curve, rec).write_html(str(path), include_plotlyjs=True, full_html=True,
                                                config={"displaylogo": False, "responsive": True})
    settings = {"profile": curve.profile, "targets": [p.target_roi for p in curve.points],
                "budget": None if not math.isfinite(budget) else float(budget), "seeds": list(curve.seeds),
                "goal": goal, "roi_floor": roi_floor, "margin": margin, "market_roi": market_roi,
                "impressions_per_day": impressions_per_day, "days": days, "bidder": curve.bidder,
                "rule": curve.rule.model_dump()}
    return Advice(curve=curve, recommendation=rec, products=verdicts, chart=path, settings=settings)
