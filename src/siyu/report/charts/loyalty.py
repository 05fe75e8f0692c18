"""Charts of loyalty (会员等级): the members by tier at a date and the tier changes by month."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import plotly.graph_objects as go
from siyu.report.charts._base import (
    COUNT_AXIS,
    ORANGE,
    _style,
    count,
)

#: the reasons of a tier change as the charts label them: key -> (Chinese, English)
CHANGE_REASONS: dict[str, tuple[str, str]] = {"upgrade": ("升级", "upgrades"), "review": ("定级降级", "review downgrades"),
                                              "left": ("退会", "left with a tier")}
#: one colour per reason: upgrades in the brand orange, downgrades in blue, leaving in grey
CHANGE_COLORS: dict[str, str] = {"upgrade": ORANGE, "review": "#3182bd", "left": "#969696"}
#: members without a tier in grey; the tiers from the lowest up in deepening orange
NO_TIER_COLOR = "#bdbdbd"
TIER_COLORS: tuple[str, ...] = ("#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603", "#7f2704")
#: the label of members without a tier
NO_TIER = ("无等级", "no tier")


def tier_label(tier: str) -> str:
    """The axis label of a tier: its name, or ``"无等级 no tier"`` for ``""``."""
    return f"{NO_TIER[0]} {NO_TIER[1]}" if tier == "" else tier


def tier_colors(tiers: list[str]) -> list[str]:
    """One colour per tier from the lowest up (deeper orange for higher tiers), grey for ``""`` (no tier)."""
    n = len([t for t in tiers if t])
    last = len(TIER_COLORS) - 1
    lo, hi = (1, last - 1) if n <= last - 1 else (0, last)
    shades = [TIER_COLORS[round(lo + i * (hi - lo) / (n - 1))] if n > 1 else ORANGE for i in range(n)]
    out, i = [], 0
    for t in tiers:
        if t:
            out.append(shades[i])
            i += 1
        else:
            out.append(NO_TIER_COLOR)
    return out


def _count_axis(values: list[int], title: str) -> dict[str, Any]:
    """A count axis from 0; whole steps when the counts are small (never ``0.5`` members)."""
    small = max(values, default=0) <= 5
    return {"title": title, "rangemode": "tozero", **COUNT_AXIS, **({"dtick": 1} if small else {})}


def _none(fig: go.Figure) -> go.Figure:
    fig.add_annotation(text="还没有会员等级计划：siyu loyalty run · No loyalty program run yet", x=0.5, y=0.5,
                       xref="paper", yref="paper", showarrow=False)
    return fig


def loyalty_tiers(loyalty: dict[str, Any] | None) -> go.Figure:
    """The members at the snapshot date by tier: one bar for those without a tier, then each tier from the lowest
    up, labelled with its count and share of the members.

    Parameters
    ----------
    loyalty : dict
        The snapshot's ``loyalty`` (:func:`siyu.loyalty.report_data.loyalty_snapshot`): ``by_tier`` (members per
        tier, ``""`` for no tier, in order), ``members``, ``program``, ``as_of``.

    Returns
    -------
    plotly.graph_objects.Figure
        One bar trace; ``x`` the tier labels, ``y`` the counts of ``by_tier`` in order, ``layout.meta`` holds
        ``tiers`` (the keys of ``by_tier``). Before any run: no trace and a note.
    """
    import plotly.graph_objects as go

    snap = loyalty or {}
    title = "会员等级分布 Members by tier"
    fig = go.Figure()
    if not snap.get("program"):
        return _style(_none(fig), title, height=320, meta={"tiers": []})
    tiers = list(snap["by_tier"])
    values = [int(snap["by_tier"][t]) for t in tiers]
    total = sum(values)
    shares = [v / total if total else 0.0 for v in values]
    fig.add_trace(go.Bar(
        x=[tier_label(t) for t in tiers], y=values, marker_color=tier_colors(tiers), cliponaxis=False,
        text=[f"{count(v)} · {s:.1%}" if total else count(v) for v, s in zip(values, shares, strict=True)],
        textposition="outside", customdata=[f"{s:.1%}" for s in shares],
        hovertemplate="%{x}: %{y:,} 人 members (%{customdata})<extra></extra>"))
    return _style(fig, f"{title} · {snap['program']} · {snap['as_of']} · {count(total)} 人 members", height=380,
                  bargap=0.35, showlegend=False,
                  xaxis={"type": "category", "title": "等级 tier"},
                  yaxis=_count_axis(values, "人数 members"), meta={"tiers": tiers})


def loyalty_changes(loyalty: dict[str, Any] | None) -> go.Figure:
    """Tier changes by month over the twelve months ending at the snapshot date: upgrades, review downgrades and
    tiers ended by leaving, as grouped bars labelled with their counts.

    Parameters
    ----------
    loyalty : dict
        The snapshot's ``loyalty``: ``changes_by_month`` (rows ``month, upgrade, review, left``, oldest first).

    Returns
    -------
    plotly.graph_objects.Figure
        One bar trace per reason (``upgrade``, ``review``, ``left``, named by their bilingual labels) with ``x`` the
        months (``YYYY-MM``) and ``y`` the counts; ``layout.meta`` holds ``reasons`` and ``months``. Before any run: no
        trace and a note.
    """
    import plotly.graph_objects as go

    snap = loyalty or {}
    title = "等级变更 Tier changes by month"
    fig = go.Figure()
    if not snap.get("program"):
        return _style(_none(fig), title, height=320, meta={"reasons": list(CHANGE_REASONS), "months": []})
    rows = snap["changes_by_month"]
    months = [r["month"] for r in rows]
    every = [int(r[k]) for r in rows for k in CHANGE_REASONS]
    for k, (zh, en) in CHANGE_REASONS.items():
        values = [int(r[k]) for r in rows]
        fig.add_trace(go.Bar(
            name=f"{zh} {en}", x=months, y=values, marker_color=CHANGE_COLORS[k], cliponaxis=False,
            text=[count(v) if v else "" for v in values], textposition="outside",
            hovertemplate="%{x} · " + f"{zh} {en}" + ": %{y:,}<extra></extra>"))
    span = f"{months[0]} – {snap['as_of']}" if months else snap["as_of"]
    return _style(fig, f"{title} · {span}", height=400, barmode="group", bargap=0.2, bargroupgap=0.05,
                  legend={"orientation": "h", "y": -0.18, "x": 0},
                  xaxis={"type": "category", "title": "月份 month"},
                  yaxis=_count_axis(every, "人次 changes"),
                  meta={"reasons": list(CHANGE_REASONS), "months": months}, bottom=80)
