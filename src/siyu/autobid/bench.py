"""The tier-A scoreboard and the GMV–violation frontier (docs/autobid.md §Metrics and §Goals).

Every bidder plays the **same** runs: each (profile, seed) is simulated once (:func:`siyu.autobid.market.simulate`),
its hindsight LP and attainable ceiling are solved once, and then every bidder (each with its options, e.g. a
``margin``) is replayed on it (:func:`siyu.autobid.harness.replay`) and scored (:func:`siyu.autobid.metrics.
evaluate_run`). Common random numbers make differences between bidders far less noisy than their levels. The
``oracle`` bidder gets the run itself (``traffic=``); no other bidder sees the future.

Runs are spread over processes by (profile, seed). Aggregates per profile and over all runs give mean GMV
efficiency (vs the LP, vs the attainable ceiling, realized), the violation rates P(ROI < R), P(< 0.9R),
P(< 0.8R) with Wilson 95 % intervals — over all runs and over runs with at least 300 orders —, budget use, time to
50 % / 90 % of the budget and compensation as a share of spend.

The frontier sweeps each bidder's risk knob ``margin`` (the bidder aims at ``R·(1+margin)``): more margin, fewer
violations, less GMV. A bidder may have further knobs (:data:`DEFAULT_KNOBS`: siyu's ``miss_price``, the price of a
missed target); their points join the bidder's frontier. Since strict realized-ROI guarantees are impossible in
general (Vaze & Sinha, 2025), bidders are compared by **dominance** on this frontier (:func:`dominates`), not by a
single point.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from siyu._exceptions import ConfigError
from siyu.autobid.metrics import evaluate_run, finite_or_none, wilson_interval

__all__ = ["DEFAULT_KNOBS", "DEFAULT_MARGINS", "dominance_table", "dominates", "frontier", "frontier_chart",
           "scoreboard"]

#: the margins the frontier sweeps by default
DEFAULT_MARGINS: tuple[float, ...] = (-0.3, -0.15, -0.05, 0.0, 0.05, 0.1, 0.15, 0.2, 0.3)
#: further risk knobs swept per bidder (option name → values), beside the margins
DEFAULT_KNOBS: dict[str, dict[str, tuple[float, ...]]] = {"siyu": {"miss_price": (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)}}
#: runs with at least this many orders are also aggregated on their own (the ROI goal of docs/autobid.md §Goals)
MIN_ORDERS_GOAL = 300
#: bidders that take the run itself instead of a margin
_ORACLES = frozenset({"oracle"})

Spec = tuple[str, str, dict]  # (label, bidder name, options)


# -- running ------------------------------------------------------------------------------------------------------

def _registered() -> list[str]:
    from siyu.autobid.bidders import BIDDERS

    return list(BIDDERS)


def _profiles(profiles: Iterable[Any] | None) -> list[str]:
    from siyu.autobid.market import Profile, profile_grid

    if profiles is None:
        return [p.name for p in profile_grid()]
    out = []
    for p in profiles:
        out.append(p.name if isinstance(p, Profile) else str(p))
    if not out:
        raise ConfigError("profiles: give at least one profile (strength/target/binding)")
    return out


def _bidders(bidders: Iterable[str] | None) -> list[str]:
    known = _registered()
    names = known if bidders is None else list(bidders)
    unknown = [b for b in names if b not in known]
    if unknown:
        raise ConfigError(f"unknown bidder(s) {', '.join(unknown)}; registered: {', '.join(sorted(known))}")
    if not names:
        raise ConfigError("bidders: give at least one registered bidder")
    return names


def _play(job: tuple[str, int, str, int, int, list[Spec]]) -> list[dict]:
    """Simulate one (profile, seed), solve its LP and ceiling once, replay and score every spec on it.

    The worker's entry: jobs carry seeds (picklable), turned into the run's generator here, once.
    """
    from siyu.autobid.bidders import make_bidder
    from siyu.autobid.harness import replay
    from siyu.autobid.lp import attainable_ceiling, hindsight_lp
    from siyu.autobid.market import simulate

    profile, seed, scenario, ipd, days, specs = job
    t = simulate(profile, np.random.default_rng(seed), scenario=scenario, impressions_per_day=ipd, days=days)
    lp = hindsight_lp(t.value, t.price, budget=t.budget, target_roi=t.target_roi)
    ceiling = attainable_ceiling(t.debiased, t.value, t.price, budget=t.budget, target_roi=t.target_roi)
    rows = []
    for label, name, options in specs:
        opts = dict(options)
        if name in _ORACLES:
            opts["traffic"] = t
        bidder = make_bidder(name, target_roi=t.target_roi, budget=t.budget, n_steps=t.n_steps, **opts)
        m = evaluate_run(t, replay(t, bidder), lp=lp, ceiling=ceiling)
        rows.append({"bidder": name, "label": label, "margin": options.get("margin"), "profile": profile,
                     "seed": seed, "scenario": scenario, "impressions": len(t), "target_roi": t.target_roi,
                     "budget": t.budget, **m})
    return rows


def _progress_bar(total: int, description: str) -> tuple[Callable[[int], None], Callable[[], None]]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TimeRemainingColumn(), console=Console(stderr=True), transient=True)
    task = bar.add_task(description, total=total)
    bar.start()
    return (lambda done: bar.update(task, completed=done)), bar.stop


def run_grid(specs: Sequence[Spec], *, profiles: Iterable[Any] | None = None, seeds: int | Iterable[int] = 30,
             impressions_per_day: int = 60_000, scenario: str = "default", days: int = 7,
             processes: int | None = None, progress: bool | Callable[[int, int], None] = False,
             description: str = "autobid bench") -> list[dict]:
    """Per-run rows of every spec on every (profile, seed); the engine of :func:`scoreboard` and :func:`frontier`."""
    from siyu.autobid.market import SCENARIOS

    if scenario not in SCENARIOS:
        raise ConfigError(f"scenario {scenario!r}: use one of {', '.join(SCENARIOS)}")
    seed_list = list(range(seeds)) if isinstance(seeds, (int, np.integer)) else [int(s) for s in seeds]
    if not seed_list:
        raise ConfigError("seeds: give at least one seed (a count >= 1 or a list)")
    if not isinstance(impressions_per_day, (int, np.integer)) or impressions_per_day < 100:
        raise ConfigError(f"impressions_per_day must be a whole number >= 100, got {impressions_per_day!r}")
    jobs = [(p, s, scenario, int(impressions_per_day), int(days), list(specs))
            for p in _profiles(profiles) for s in seed_list]
    if processes is None:
        processes = min(2, os.cpu_count() or 1)
    if processes < 1:
        raise ConfigError(f"processes must be >= 1, got {processes}")
    update, stop = (None, lambda: None)
    if progress is True:
        update, stop = _progress_bar(len(jobs), description)
    elif callable(progress):
        update = lambda done: progress(done, len(jobs))  # noqa: E731
    rows: list[dict] = []
    try:
        if processes == 1 or len(jobs) == 1:
            for i, job in enumerate(jobs, 1):
                rows.extend(_play(job))
                if update:
                    update(i)
        else:
            with ProcessPoolExecutor(max_workers=min(processes, len(jobs))) as pool:
                for i, part in enumerate(pool.map(_play, jobs), 1):  # map keeps the job order: deterministic rows
                    rows.extend(part)
                    if update:
                        update(i)
    finally:
        stop()
    return rows


# -- aggregating --------------------------------------------------------------------------------------------------

def _finite(xs: Iterable[float]) -> np.ndarray:
    return np.asarray([x for x in xs if x is not None and math.isfinite(x)], dtype=float)


def _mean(xs: Iterable[float]) -> float | None:
    a = _finite(xs)
    return float(a.mean()) if a.size else None


def _median(xs: Iterable[float]) -> float | None:
    a = _finite(xs)
    return float(np.median(a)) if a.size else None


def _rates(runs: list[dict], suffix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {f"runs{suffix}": len(runs)}
    for level in ("1.0", "0.9", "0.8"):
        k = sum(bool(r[f"violates_{level}"]) for r in runs)
        lo, hi = wilson_interval(k, len(runs))
        key = {"1.0": "p_below_r", "0.9": "p_below_0.9r", "0.8": "p_below_0.8r"}[level] + suffix
        out[key] = k / len(runs) if runs else None
        out[key + "_ci"] = [lo, hi]
    return out


def aggregate(runs: list[dict]) -> dict[str, Any]:
    """Mean efficiencies, violation rates with Wilson intervals (all runs and runs with ≥ 300 orders), budget use,
    time to 50 %/90 % of the budget (mean over runs that reach it, and the share that does), compensation share."""
    big = [r for r in runs if r["orders"] >= MIN_ORDERS_GOAL]
    spend = sum(r["spend"] for r in runs)
    out = {
        "efficiency_lp": _mean(r["efficiency_lp"] for r in runs),
        "efficiency_ceiling": _mean(r["efficiency_ceiling"] for r in runs),
        "efficiency_realized": _mean(r["efficiency_realized"] for r in runs),
        # the mean of per-run ratios is pulled up by runs that overspend against a small ceiling: also the median,
        # and the mean over the runs that kept ROI >= 0.9 R (the compensation line)
        "efficiency_ceiling_median": _median(r["efficiency_ceiling"] for r in runs),
        "efficiency_ceiling_kept": _mean(r["efficiency_ceiling"] for r in runs if r["attainment"] >= 0.9),
        "attainment": _mean(r["attainment"] for r in runs),
        "orders": _mean(r["orders"] for r in runs),
        **_rates(runs), **_rates(big, "_300"),
        "budget_use": _mean(r["budget_use"] for r in runs),
        "time_to_50": _mean(r["time_to_50"] for r in runs),
        "time_to_90": _mean(r["time_to_90"] for r in runs),
        "hours_to_50": _mean(r["hours_to_50"] for r in runs),
        "hours_to_90": _mean(r["hours_to_90"] for r in runs),
        "reach_50": _mean(float(math.isfinite(r["time_to_50"])) for r in runs),
        "reach_90": _mean(float(math.isfinite(r["time_to_90"])) for r in runs),
        "compensation_share": sum(r["compensation"] for r in runs) / spend if spend > 0 else 0.0,
    }
    return out


def _group(rows: list[dict], keys: Sequence[str]) -> dict[tuple, list[dict]]:
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    return groups


def _clean(row: dict) -> dict:
    return {k: (finite_or_none(v) if isinstance(v, float) else
                [finite_or_none(x) for x in v] if isinstance(v, list) else v) for k, v in row.items()}


def scoreboard(bidders: Iterable[str] | None = None, profiles: Iterable[Any] | None = None, seeds: int | Iterable[int] = 30,
               *, impressions_per_day: int = 60_000, scenario: str = "default", margins: dict[str, float] | float |
               None = None, days: int = 7, processes: int | None = None,
               progress: bool | Callable[[int, int], None] = False) -> dict[str, Any]:
    """Run every bidder on the same tier-A runs and aggregate the metrics of docs/autobid.md.

    Parameters
    ----------
    bidders : iterable of str, optional
        Registered bidder names (:data:`siyu.autobid.BIDDERS`); default all.
    profiles : iterable of str or Profile, optional
        Merchant profiles (``strength/target/binding``); default all 18 of :func:`~siyu.autobid.market.profile_grid`.
    seeds : int or iterable of int, default 30
        A count (seeds ``0 … seeds−1``) or the seeds themselves.
    impressions_per_day : int, default 60_000
        Mean auctions a day (tier A of docs/autobid.md; the profile scales it).
    scenario : {"default", "stationary"}
    margins : float or dict, optional
        ``margin`` option for every bidder (a float) or per bidder name; default each bidder's own. The oracle
        takes none.
    days : int, default 7
        Days per run (the compensation window is 7).
    processes : int, optional
        Worker processes over (profile, seed); default ``min(2, cpu_count)``.
    progress : bool or callable, default False
        ``True`` shows a rich progress bar on stderr; a callable gets ``(done, total)`` after each (profile, seed).

    Returns
    -------
    dict
        ``config``; ``runs`` (one row per bidder × profile × seed, :func:`~siyu.autobid.metrics.evaluate_run`'s
        metrics with ``bidder``, ``profile``, ``seed``); ``profiles`` (one row per bidder × profile, :func:`aggregate`);
        ``overall`` (one row per bidder). NaN and infinities are ``None``.
    """
    names = _bidders(bidders)
    specs: list[Spec] = []
    for name in names:
        opts: dict = {}
        if name not in _ORACLES and margins is not None:
            m = margins.get(name) if isinstance(margins, dict) else margins
            if m is not None:
                opts["margin"] = float(m)
        specs.append((name, name, opts))
    prof = _profiles(profiles)
    rows = run_grid(specs, profiles=prof, seeds=seeds, impressions_per_day=impressions_per_day, scenario=scenario,
                    days=days, processes=processes, progress=progress, description="autobid scoreboard 排行榜")
    per_profile = [{"bidder": b, "profile": p, **aggregate(rs)} for (b, p), rs in _group(rows, ["bidder", "profile"]).items()]
    overall = [{"bidder": b, **aggregate(rs)} for (b,), rs in _group(rows, ["bidder"]).items()]
    config = {"bidders": names, "profiles": prof, "seeds": seeds if isinstance(seeds, int) else list(seeds),
              "impressions_per_day": impressions_per_day, "scenario": scenario, "days": days,
              "margins": margins}
    return {"config": config, "runs": [_clean(r) for r in rows], "profiles": [_clean(r) for r in per_profile],
            "overall": [_clean(r) for r in overall]}


# -- the frontier -------------------------------------------------------------------------------------------------

def frontier(bidders: Iterable[str] | None = None, profiles: Iterable[Any] | None = None,
             seeds: int | Iterable[int] = 30, *, margins: Sequence[float] = DEFAULT_MARGINS,
             knobs: dict[str, dict[str, Sequence[float]]] | None = None, impressions_per_day: int = 60_000,
             scenario: str = "default", days: int = 7,
             efficiency: str = "efficiency_ceiling", violation: str = "p_below_r", processes: int | None = None,
             progress: bool | Callable[[int, int], None] = False) -> dict[str, Any]:
    """The GMV–violation frontier: each bidder at each ``margin``, all on the same runs.

    Parameters
    ----------
    bidders, profiles, seeds, impressions_per_day, scenario, days, processes, progress
        As in :func:`scoreboard`.
    margins : sequence of float, default :data:`DEFAULT_MARGINS`
        Risk knobs swept for every bidder but the oracle (one point, no margin).
    knobs : dict, optional
        Further knobs per bidder name, ``{name: {option: values}}``, each value one point at margin 0; default
        :data:`DEFAULT_KNOBS` (siyu's ``miss_price``). ``{}`` sweeps the margins only.
    efficiency : str, default ``"efficiency_ceiling"``
        Aggregate used as the GMV axis (``efficiency_lp``, ``efficiency_ceiling`` or ``efficiency_realized``).
    violation : str, default ``"p_below_r"``
        Aggregate used as the violation axis (``p_below_r``, ``p_below_0.9r``, ``p_below_0.8r``, or the same with
        ``_300`` for runs with at least 300 orders).

    Returns
    -------
    dict
        ``points``: one row per (bidder, knob value) with ``knob`` (e.g. ``"margin=0.1"``), ``margin``,
        ``efficiency``, ``violation`` and every aggregate;
        ``dominance``: :func:`dominance_table` over the points; ``config``.
    """
    names = _bidders(bidders)
    if not margins:
        raise ConfigError("margins: give at least one margin to sweep")
    specs: list[Spec] = []
    for name in names:
        if name in _ORACLES:
            specs.append((name, name, {}))
        else:
            specs.extend((f"{name}@margin={m:g}", name, {"margin": float(m)}) for m in margins)
    extra = DEFAULT_KNOBS if knobs is None else knobs
    for name, options in extra.items():
        if name not in names:
            continue
        for option, values in options.items():
            specs.extend((f"{name}@{option}={x:g}", name, {option: float(x)}) for x in values)
    prof = _profiles(profiles)
    rows = run_grid(specs, profiles=prof, seeds=seeds, impressions_per_day=impressions_per_day, scenario=scenario,
                    days=days, processes=processes, progress=progress, description="autobid frontier 前沿")
    points = []
    for (label,), rs in _group(rows, ["label"]).items():
        agg = aggregate(rs)
        if efficiency not in agg or violation not in agg:
            raise ConfigError(f"frontier axes {efficiency!r} / {violation!r}: use aggregate names such as "
                              "efficiency_ceiling and p_below_r")
        knob = label.split("@", 1)[1] if "@" in label else None
        points.append(_clean({"bidder": rs[0]["bidder"], "knob": knob, "margin": rs[0]["margin"],
                              "efficiency": agg[efficiency],
                              "violation": agg[violation], **agg}))
    swept = {n: {o: list(v) for o, v in opts.items()} for n, opts in extra.items() if n in names}
    config = {"bidders": names, "profiles": prof, "seeds": seeds if isinstance(seeds, int) else list(seeds),
              "margins": list(margins), "knobs": swept, "impressions_per_day": impressions_per_day,
              "scenario": scenario, "days": days, "efficiency": efficiency, "violation": violation}
    return {"config": config, "points": points, "dominance": dominance_table(points)}


def dominates(a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]], *, tol: float = 0.0) -> bool:
    """Whether frontier ``a`` weakly dominates frontier ``b``.

    Each frontier is a list of ``(efficiency, violation)`` points. ``a`` weakly dominates ``b`` when for every
    point of ``b`` some point of ``a`` has efficiency ≥ and violation ≤ (each within ``tol``). An empty ``b`` is
    dominated by anything; an empty ``a`` dominates only an empty ``b``.
    """
    pa = [(float(e), float(v)) for e, v in a if e is not None and v is not None]
    pb = [(float(e), float(v)) for e, v in b if e is not None and v is not None]
    return all(any(ea >= eb - tol and va <= vb + tol for ea, va in pa) for eb, vb in pb)


def dominance_table(points: list[dict], *, tol: float = 0.0) -> list[dict]:
    """For every ordered pair of bidders on the frontier, whether the first weakly dominates the second."""
    by: dict[str, list[tuple[float, float]]] = {}
    for p in points:
        by.setdefault(p["bidder"], []).append((p["efficiency"], p["violation"]))
    return [{"bidder": a, "other": b, "dominates": dominates(by[a], by[b], tol=tol)}
            for a in by for b in by if a != b]


def frontier_chart(result: dict[str, Any], path: str | os.PathLike | None = None) -> str:
    """The GMV–violation frontier as a standalone offline HTML page (plotly.js inlined); written to ``path`` if given.

    Returns the HTML text.
    """
    import plotly.graph_objects as go

    cfg = result.get("config", {})
    fig = go.Figure()
    def family(p: dict) -> str:
        return (p.get("knob") or "").split("=", 1)[0]

    families: dict[str, set[str]] = {}
    for p in result["points"]:
        families.setdefault(p["bidder"], set()).add(family(p))
    by: dict[str, list[dict]] = {}
    for p in result["points"]:  # one trace per knob of a bidder that has several
        several = len(families[p["bidder"]]) > 1
        by.setdefault(f"{p['bidder']} ({family(p)})" if several and family(p) else p["bidder"], []).append(p)
    for name, pts in by.items():
        pts = sorted(pts, key=lambda p: float(p["knob"].split("=", 1)[1]) if p.get("knob") else 0.0)  # knob path
        fig.add_trace(go.Scatter(
            x=[p["violation"] for p in pts], y=[p["efficiency"] for p in pts], name=name,
            mode="lines+markers" if len(pts) > 1 else "markers", marker=dict(size=9),
            text=[(p.get("knob") or "oracle").replace("=", " ") for p in pts],
            hovertemplate="%{text}<br>违约率 violation %{x:.3f}<br>效率 efficiency %{y:.4f}<extra>" + name
                          + "</extra>"))
    seeds = cfg.get("seeds", "")
    n_seeds = len(seeds) if isinstance(seeds, list) else seeds
    viol = cfg.get("violation", "p_below_r")
    eff = cfg.get("efficiency", "efficiency_ceiling")
    fig.update_layout(
        title=f"GMV–违约前沿 GMV–violation frontier ({cfg.get('scenario', '')}, {len(cfg.get('profiles', []))} "
              f"profiles × {n_seeds} seeds)",
        xaxis_title=f"ROI 违约率 violation rate ({viol})", yaxis_title=f"GMV 效率 efficiency ({eff})",
        template="plotly_white", legend_title="出价器 bidder",
        font=dict(family="Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"))
    html = fig.to_html(full_html=True, include_plotlyjs=True, config={"displaylogo": False, "responsive": True})
    if path is not None:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(html)
    return html
