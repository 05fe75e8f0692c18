"""FAST (消费者运营健康度): Fertility, Advancing, Superiority, Thriving, with period-over-period and YoY change.

Definitions: ``shared/spec/DOMAIN.md`` §2 ([S7][S8][S12]: F = AIPL total, A = 关系(周)加深率,
S = 会员总量, T = 会员活跃率) and ``docs/customer-assets.md``. SQL: ``sql/fast.sql``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from siyu.engine.duckdb import registered
from siyu.engine.sql import model_arrow, snapshot
from siyu.engine.dates import default_as_of

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["FAST_LABELS", "fast", "fast_at"]

FAST_LABELS = {
    "F": ("可运营消费者总量", "Fertility"),
    "A": ("关系加深率", "Advancing"),
    "A_could_deepen": ("加深率(可加深口径)", "Advancing, could-deepen base"),
    "ai_to_p_rate": ("A/I→P 转化率", "A/I→P rate"),
    "S": ("会员总量", "Superiority"),
    "T": ("会员活跃率", "Thriving"),
}


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
        ``current``, ``previous``, ``year_ago`` (each from :func:`fast_at`) and ``change``:
        for every metric ``{"pop": {"abs", "rel"}, "yoy": {"abs", "rel"}}``.
    """
    t = default_as_of(ws, as_of)
    out: dict[str, Any] = {"as_of": t, "current": fast_at(ws, t)}
    if not compare:
        return out
    out["previous"] = fast_at(ws, t - dt.timedelta(days=ws.config.model.fast_period_days))
    out["year_ago"] = fast_at(ws, t - dt.timedelta(days=365))
    out["change"] = {k: {"pop": _change(out["current"][k], out["previous"][k]),
                         "yoy": _change(out["current"][k], out["year_ago"][k])} for k in FAST_LABELS}
    return out


def _change(now: float | None, before: float | None) -> dict[str, float | None]:
    if now is None or before is None:
        return {"abs": None, "rel": None}
    return {"abs": now - before, "rel": (now - before) / before if before else None}
