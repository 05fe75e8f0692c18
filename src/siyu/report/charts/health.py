"""Charts of customer-value health: the GAIN radar, indicators and trend; the LINK+ steps and multiples."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from siyu.health.gain import DIMENSIONS, INDICATORS
from siyu.health.linkplus import STEP_LABELS

if TYPE_CHECKING:
    import plotly.graph_objects as go
from siyu.report.charts._base import (
    _INDICATOR_SYMBOLS,
    _MULTIPLE_LABELS,
    COUNT_AXIS,
    HANDBOOK_MULTIPLES,
    INDICATOR_COLORS,
    ORANGE,
    _style,
    count,
)

# --- GAIN and LINK+ -------------------------------------------------------------------------------------------------

def gain_radar(gain: dict[str, Any]) -> go.Figure:
    """The four GAIN dimensions on a radar (0–100) with the overall score in the title.

    Parameters
    ----------
    gain : dict
        The snapshot's ``gain`` (``dimensions``, ``score``, ``mode``).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    dims = list(DIMENSIONS)
    theta = [f"{DIMENSIONS[d][0]} {d}<br>{DIMENSIONS[d][1]}" for d in dims]
    r = [gain["dimensions"][d] or 0 for d in dims]
    fig = go.Figure(go.Scatterpolar(r=r + r[:1], theta=theta + theta[:1], fill="toself", name="GAIN",
                                    line={"color": ORANGE}, hovertemplate="%{theta}: %{r:.0f}<extra></extra>"))
    score = "–" if gain["score"] is None else f"{gain['score']:.0f}"
    return _style(fig, f"GAIN 用户价值健康度 CLTV health · 得分 score {score} ({gain['mode']} mode)", height=400,
                  top=80, polar={"radialaxis": {"range": [0, 100]}})


def gain_indicators(gain: dict[str, Any]) -> go.Figure:
    """The 12 GAIN indicator scores on a radar (0–100).

    Parameters
    ----------
    gain : dict
        The snapshot's ``gain`` (``indicators``: ``score`` per indicator).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    r = [gain["indicators"][k]["score"] or 0 for k in INDICATORS]
    theta = [f"{k} {INDICATORS[k].name_zh}" for k in INDICATORS]
    fig = go.Figure(go.Scatterpolar(r=r + r[:1], theta=theta + theta[:1], fill="toself", line={"color": "#ff9000"},
                                    name="12 indicators", hovertemplate="%{theta}: %{r:.0f}<extra></extra>"))
    return _style(fig, "12 项指标得分 Indicator scores", height=400, top=80, polar={"radialaxis": {"range": [0, 100]}})


def gain_trend(gain: dict[str, Any]) -> go.Figure:
    """Monthly trend of every GAIN indicator: one panel per dimension, one distinct colour per indicator.

    Parameters
    ----------
    gain : dict
        The snapshot's ``gain`` (``trend``: one row per month end with a value per indicator, None when the month
        is not comparable).

    Returns
    -------
    plotly.graph_objects.Figure
        A month that is not comparable is a gap in its line, never a zero. The legend is grouped by dimension;
        the title sits in the top margin, clear of the panel titles.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    dims = list(DIMENSIONS)
    fig = make_subplots(rows=2, cols=2, vertical_spacing=0.16, horizontal_spacing=0.08,
                        subplot_titles=[f"{DIMENSIONS[d][0]} {d} · {DIMENSIONS[d][1]}" for d in dims])
    dates = [t["date"] for t in gain["trend"]]
    for i, d in enumerate(dims):
        for j, k in enumerate(k for k, ind in INDICATORS.items() if ind.dimension == d):
            fig.add_trace(go.Scatter(
                x=dates, y=[t[k] for t in gain["trend"]], mode="lines+markers", connectgaps=False,
                name=f"{k} {INDICATORS[k].name_zh}", legendgroup=d,
                legendgrouptitle={"text": f"{DIMENSIONS[d][0]} {d}"},
                line={"color": INDICATOR_COLORS[k]},
                marker={"color": INDICATOR_COLORS[k], "symbol": _INDICATOR_SYMBOLS[j % 3], "size": 6},
                hovertemplate=f"{k} {INDICATORS[k].name_zh} · {INDICATORS[k].name_en}<br>%{{x|%Y-%m}}: "
                              "%{y:.1%}<extra></extra>"),
                row=i // 2 + 1, col=i % 2 + 1)
    _style(fig, "指标月度趋势 Monthly trend of every indicator", height=660, top=95, right=190,
           legend={"tracegroupgap": 12})
    fig.update_yaxes(tickformat=".0%")
    fig.update_xaxes(tickformat="%Y-%m")
    return fig


def link_funnel(link: dict[str, Any]) -> go.Figure:
    """LINK+ steps L → I → N → K as bars, with a note on why they are not a funnel.

    Parameters
    ----------
    link : dict
        The snapshot's ``link`` (``steps``).

    Returns
    -------
    plotly.graph_objects.Figure
        Horizontal bars, L on top. The steps count different crowds — W30 visitors, relationship users at T (a
        stock, most of whom did not visit), those who revisited, repeat buyers over W365 — so a later step can be
        larger than an earlier one; a funnel would widen, bars do not pretend to nest.
    """
    import plotly.graph_objects as go

    st = link["steps"]
    rel_n, rel_k = st["N"]["relationship"], st["K"]["relationship"]
    steps = [("L", "访客 visitors in W30 (UV)", st["L"]["uv"]),
             ("I", "关系用户 relationship users at T", rel_n["users"]),
             ("N", "30天回访的关系用户 relationship users who revisited", rel_n["revisit_rate"]["numerator"]),
             ("K", "复购的关系用户 repeat buyers (W365)", rel_k["repeat_buyers"])]
    names = [f"{k} {STEP_LABELS[k][0]} {STEP_LABELS[k][1]}<br>{what}" for k, what, _ in steps]
    fig = go.Figure(go.Bar(y=names, x=[v for *_, v in steps], orientation="h", text=[count(v) for *_, v in steps],
                           textposition="outside", cliponaxis=False,
                           marker_color=["#ffc38a", "#ff9f45", "#ff7a1a", "#e65c00"],
                           hovertemplate="%{y}: %{x:,}<extra></extra>"))
    note = ("各步人群口径不同、不是逐层筛选：I 为 T 时的关系用户存量（多数近 30 天未到访），可大于 L 的访客数。<br>"
            "The steps count different crowds, not nested ones: I is the stock of relationship users at T "
            "(most did not visit in W30), so it can exceed L's visitors.")
    _style(fig, "LINK+ 私域链路 汇聚 → 连接 → 激活 → 复购 Lead → Interlock → Engage → Keep", height=420, left=260,
           right=70, bottom=80, xaxis=dict(COUNT_AXIS), yaxis={"autorange": "reversed"})
    fig.add_annotation(text=note, showarrow=False, xref="paper", yref="paper", x=0, y=0, xshift=-250, yshift=-28, xanchor="left",
                       yanchor="top", align="left", font={"size": 11, "color": "#666"}, name="note")
    return fig


def link_multiples(link: dict[str, Any]) -> go.Figure:
    """Relationship users ÷ 大盘 for 回访率, 逛店深度, 客单价 and 复购率, beside the handbook's multiples.

    Parameters
    ----------
    link : dict
        The snapshot's ``link`` (``multiples``).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    mult = link["multiples"]
    keys = list(HANDBOOK_MULTIPLES)
    x = [_MULTIPLE_LABELS[k] for k in keys]
    ours = [(mult[k]["value"] if isinstance(mult[k], dict) else mult[k]) for k in keys]
    fig = go.Figure([
        go.Bar(name="本店 this store (关系用户 ÷ 大盘)", x=x, y=[v or 0 for v in ours], marker_color=ORANGE,
               text=["–" if v is None else f"{v:.2f}×" for v in ours], textposition="outside", cliponaxis=False),
        go.Bar(name="手册参考 handbook (docs/gain.md)", x=x, y=list(HANDBOOK_MULTIPLES.values()), marker_color="#cccccc",
               text=[f"{v:.2f}×" for v in HANDBOOK_MULTIPLES.values()], textposition="outside", cliponaxis=False)])
    return _style(fig, "关系用户 vs 大盘 倍数 Relationship-vs-大盘 multiples", barmode="group",
                  yaxis={"title": "倍数 multiple", "tickformat": ".1f", "ticksuffix": "×"})
