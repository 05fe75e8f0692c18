"""FAST (消费者运营健康度): Fertility, Advancing, Superiority, Thriving, with period-over-period and YoY change.

Definitions: ``docs/customer-assets.md`` §FAST ([S7][S8][S12]: F = AIPL total, A = 关系(周)加深率,
S = 会员总量, T = 会员活跃率). SQL: ``sql/fast.sql``.

A change between two snapshots is comparable only when the logs cover every window both read
(:mod:`siyu.metrics.coverage`, ``docs/customer-assets.md`` "Comparable periods"); otherwise it is None with
``comparable: false`` and a ``reason``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from siyu.engine.dates import default_as_of
from siyu.engine.duckdb import registered
from siyu.engine.sql import model_arrow, snapshot
from siyu.metrics.coverage import (
    Windows,
    data_coverage,
    merge_windows,
    uncovered,
    windows,
)
from siyu.metrics.ratio import ratio

if TYPE_CHECKING:
    from siyu.config import ModelConfig
    from siyu.workspace import Workspace

__all__ = ["FAST_LABELS", "fast", "fast_at", "fast_windows", "stage_windows"]

FAST_LABELS = {
    "F": ("可运营消费者总量", "Fertility"),
    "A": ("关系加深率", "Advancing"),
    "A_could_deepen": ("加深率(可加深口径)", "Advancing, could-deepen base"),
    "ai_to_p_rate": ("A/I→P 转化率", "A/I→P rate"),
    "S": ("会员总量", "Superiority"),
    "T": ("会员活跃率", "Thriving"),
}


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


def fast_at(ws: Workspace, as_of: dt.date) -> dict[str, Any]:
    """The FAST values at one snapshot, with numerators and denominators."""
    from siyu.assets.aipl import aipl

    p = ws.config.model.advancing_period_days
    prev = aipl(ws, as_of - dt.timedelta(days=p))
    with snapshot(ws, as_of) as conn, registered(conn, _sprev=prev):
        r = model_arrow(ws, conn, "fast").to_pylist()[0]

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
