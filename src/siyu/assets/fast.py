"""FAST (消费者运营健康度): Fertility, Advancing, Superiority, Thriving, with period-over-period and YoY change.

Definitions: ``docs/customer-assets.md`` §FAST ([S7][S8][S12]: F = AIPL total, A = 关系(周)加深率,
S = 会员总量, T = 会员活跃率). SQL: ``sql/fast.sql``.

Data coverage (siyu, ``docs/customer-assets.md`` "Comparable periods"): the logs ``orders``, ``events`` and
``reach_log`` cover the local dates from their first to their last row. A value at ``T`` reads look-back windows
of some of them; a change between two snapshots is comparable only when every window of both snapshots starts on
or after the first date of its log and no later than its last date. Otherwise the change is None with
``comparable: false`` and a ``reason``. GAIN's trend (:mod:`siyu.health.gain.scoring`) uses the same helpers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from siyu.engine.dates import default_as_of
from siyu.engine.duckdb import registered
from siyu.engine.sql import model_arrow, snapshot

if TYPE_CHECKING:
    from siyu.config import ModelConfig
    from siyu.workspace import Workspace

__all__ = ["COVERAGE_SOURCES", "FAST_LABELS", "Windows", "data_coverage", "fast", "fast_at", "fast_windows",
           "merge_windows", "stage_windows", "uncovered", "windows"]

FAST_LABELS = {
    "F": ("可运营消费者总量", "Fertility"),
    "A": ("关系加深率", "Advancing"),
    "A_could_deepen": ("加深率(可加深口径)", "Advancing, could-deepen base"),
    "ai_to_p_rate": ("A/I→P 转化率", "A/I→P rate"),
    "S": ("会员总量", "Superiority"),
    "T": ("会员活跃率", "Thriving"),
}


#: the logs whose first and last local dates bound what a look-back window can see (table -> time column); the
#: state tables (users, products, follows, memberships) date their own spells and need no coverage
COVERAGE_SOURCES = {"orders": "paid_at", "events": "ts", "reach_log": "ts"}

#: log -> (first day of the longest window read from it, first day of the shortest)
Windows = dict[str, tuple[dt.date, dt.date]]


def data_coverage(ws: Workspace) -> dict[str, dict[str, dt.date | None]]:
    """First and last local date of every log of :data:`COVERAGE_SOURCES`: ``{"events": {"from", "to"}, …}``.

    Both are None for an empty log.
    """
    rows = {r["source"]: r for r in ws.model("data_coverage").to_pylist()}
    return {s: {"from": rows[s]["lo"], "to": rows[s]["hi"]} for s in COVERAGE_SOURCES}


def windows(t: dt.date, **days: Iterable[int]) -> Windows:
    """The look-back windows ``W(N)`` ending on ``t`` read from each log: ``windows(t, orders=[913, 365])``."""
    out: Windows = {}
    for source, ns in days.items():
        ns = list(ns)
        if ns:
            out[source] = (t - dt.timedelta(days=max(ns) - 1), t - dt.timedelta(days=min(ns) - 1))
    return out


def merge_windows(*parts: Windows) -> Windows:
    """The windows of several values read together (per log: the earliest and the latest window start)."""
    out: Windows = {}
    for part in parts:
        for source, (lo, hi) in part.items():
            a, b = out.get(source, (lo, hi))
            out[source] = (min(a, lo), max(b, hi))
    return out


def stage_windows(m: ModelConfig, t: dt.date) -> Windows:
    """The windows the AIPL stage at ``t`` reads: orders ``W(p_days)`` and ``W(l_days)``, events ``W(a_days)``,
    ``W(i_days)`` (and ``W(l_days)`` with ``l_include_positive_review``); follows and memberships are state."""
    ev = [m.a_days, m.i_days] + ([m.l_days] if m.l_include_positive_review else [])
    return windows(t, orders=[m.p_days, m.l_days], events=ev)


def fast_windows(m: ModelConfig, t: dt.date) -> dict[str, Windows]:
    """Per FAST metric, the windows its value at ``t`` reads (S counts member spells at ``t``: none)."""
    stage = stage_windows(m, t)
    deepen = merge_windows(stage, stage_windows(m, t - dt.timedelta(days=m.advancing_period_days)))
    active = windows(t, orders=[m.member_active_days], events=[m.member_active_days])
    return {"F": stage, "A": deepen, "A_could_deepen": deepen, "ai_to_p_rate": deepen, "S": {}, "T": active}


def uncovered(coverage: dict[str, dict[str, dt.date | None]], needs: Windows) -> str | None:
    """Why the logs do not cover the windows ``needs`` (None when they do).

    A window must start on or after the first date of its log (before it, no data is not no activity) and no
    later than the log's last date (a window after the end of a log holds no row at all: a quiet period cannot
    be told from a log that ends).
    """
    reasons = []
    for source, (lo, hi) in sorted(needs.items()):
        c = coverage.get(source) or {"from": None, "to": None}
        if c["from"] is None:
            reasons.append(f"no {source} loaded")
        elif lo < c["from"]:
            reasons.append(f"no {source} before {c['from']} (needed from {lo})")
        elif hi > c["to"]:
            reasons.append(f"no {source} after {c['to']} (needed on or after {hi})")
    return "; ".join(reasons) or None


def fast_at(ws: Workspace, as_of: dt.date) -> dict[str, Any]:
    """The FAST values at one snapshot, with numerators and denominators."""
    from siyu.assets.aipl import aipl

    p = ws.config.model.advancing_period_days
    prev = aipl(ws, as_of - dt.timedelta(days=p))
    with snapshot(ws, as_of) as conn, registered(conn, _sprev=prev):
        r = model_arrow(ws, conn, "fast").to_pylist()[0]

    def ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    return {"as_of": as_of, "F": r["f"], "A": ratio(r["deepened"], r["f"]),
            "A_could_deepen": ratio(r["deepened"], r["could_deepen"]), "ai_to_p_rate": ratio(r["ai_to_p"], r["ai_prev"]),
            "S": r["s"], "T": ratio(r["active_members"], r["s"]),
            "parts": {"deepened": r["deepened"], "could_deepen": r["could_deepen"], "ai_prev": r["ai_prev"],
                      "ai_to_p": r["ai_to_p"], "active_members": r["active_members"]}}


def fast(ws: Workspace, as_of: dt.date | str | None = None, *, compare: bool = True) -> dict[str, Any]:
    """FAST at ``as_of``; with ``compare``, also at ``as_of − fast_period_days`` (PoP) and ``as_of − 365`` (YoY).

    Returns
    -------
    dict
        ``current``, ``previous``, ``year_ago`` (each from :func:`fast_at`), ``coverage`` (from
        :func:`data_coverage`) and ``change``: for every metric ``{"pop": {"abs", "rel", "comparable", "reason"},
        "yoy": {…}}``; a change whose windows the logs do not cover has ``abs`` and ``rel`` None,
        ``comparable`` false and a ``reason`` (:func:`uncovered`).
    """
    t = default_as_of(ws, as_of)
    out: dict[str, Any] = {"as_of": t, "current": fast_at(ws, t)}
    if not compare:
        return out
    m = ws.config.model
    t_prev, t_year = t - dt.timedelta(days=m.fast_period_days), t - dt.timedelta(days=365)
    out["previous"] = fast_at(ws, t_prev)
    out["year_ago"] = fast_at(ws, t_year)
    cov = data_coverage(ws)
    out["coverage"] = cov
    need_now, need_prev, need_year = fast_windows(m, t), fast_windows(m, t_prev), fast_windows(m, t_year)
    out["change"] = {k: {"pop": _change(out["current"][k], out["previous"][k],
                                        uncovered(cov, merge_windows(need_now[k], need_prev[k]))),
                         "yoy": _change(out["current"][k], out["year_ago"][k],
                                        uncovered(cov, merge_windows(need_now[k], need_year[k])))}
                     for k in FAST_LABELS}
    return out


def _change(now: float | None, before: float | None, reason: str | None = None) -> dict[str, Any]:
    if reason is not None:
        return {"abs": None, "rel": None, "comparable": False, "reason": reason}
    if now is None or before is None:
        return {"abs": None, "rel": None, "comparable": True, "reason": None}
    return {"abs": now - before, "rel": (now - before) / before if before else None, "comparable": True,
            "reason": None}
