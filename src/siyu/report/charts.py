"""The charts of siyu: one place draws each chart, for the report and for the console.

Every function takes the part of a snapshot (:func:`siyu.pipeline.compute_snapshot`) it needs and returns a
plotly :class:`~plotly.graph_objects.Figure` with its title, labels, colours, size and margins set, so the report
(:mod:`siyu.report.sections`) and the web console draw the same figure. Titles and labels are in Chinese and
English. :data:`CHARTS` names each chart by the ``id`` of its ``<div>`` in the report and the snapshot key it reads.

Conventions a merchant reads at a glance:

* counts and money are printed in full with thousands separators (``69,675``, ``¥1,234``), never with SI
  prefixes (plotly's default ``69.675k``): every count or money axis has ``tickformat=","``;
* a stage, pool or channel group has one colour wherever it is drawn (:data:`STAGE_COLORS`,
  :data:`POOL_COLORS`, :data:`CHANNEL_GROUP_COLORS`);
* the labels of a flow (Sankey) sit outside its nodes, left of the left column and right of the right column,
  never on the flows.

Like the rest of :mod:`siyu.report`, this module computes nothing from the store: it only draws.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from siyu.assets import (
    FAST_LABELS,
    GROW_LABELS,
    POOL_LABELS,
    POOL_TYPES,
    STAGE_LABELS,
    STAGES,
)
from siyu.contract.schema import CHANNEL_GROUP_LABELS, CHANNEL_GROUPS, CHANNEL_LABELS
from siyu.health.gain import DIMENSIONS, INDICATORS
from siyu.health.linkplus import STEP_LABELS

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = [
    "CHANNEL_GROUP_COLORS", "CHANNEL_GROUP_LABELS", "CHANNEL_LABELS", "CHARTS", "COUNT_AXIS", "HANDBOOK_MULTIPLES",
    "INDICATOR_COLORS", "MONEY_AXIS", "POOL_COLORS", "STAGE_COLORS", "aipl_flow", "aipl_funnel", "audience_mix",
    "channel_groups", "channels", "clv_conditional", "clv_distribution", "clv_palive", "clv_tracking", "count",
    "daily_gmv", "fast", "gain_indicators", "gain_radar", "gain_trend", "grow_new_old", "grow_waterfall",
    "link_funnel", "link_multiples", "money", "monthly_gmv", "pool_flow", "pools",
]

FONT = "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"
ORANGE = "#ff5000"
#: a count axis: ``69,675`` (never ``69.675k``)
COUNT_AXIS: dict[str, str] = {"tickformat": ",", "hoverformat": ","}
#: a money axis: ``¥69,675`` (never ``69.675k``)
MONEY_AXIS: dict[str, str] = {"tickformat": ",", "hoverformat": ",.2f", "tickprefix": "¥"}

#: AIPL stage -> colour (the funnel, the flow on both sides, the audience mix)
STAGE_COLORS: dict[str, str] = {"A": "#fdd0a2", "I": "#fd8d3c", "P": "#e6550d", "L": "#a63603", "none": "#bdbdbd"}
#: customer pool (``∅`` = in no customer pool) -> colour
POOL_COLORS: dict[str, str] = {"prospect": "#6baed6", "new": "#74c476", "old": "#e6550d", "lapsed": "#9e9ac8",
                               "∅": "#bdbdbd"}
#: one distinct colour per GAIN indicator (12), in the order of ``INDICATORS``
INDICATOR_COLORS: dict[str, str] = dict(zip(INDICATORS, (
    "#1f77b4", "#ff7f0e", "#2ca02c",   # G1 G2 G3
    "#d62728", "#9467bd", "#8c564b",   # A1 A2 A3
    "#e377c2", "#7f7f7f", "#bcbd22",   # I1 I2 I3
    "#17becf", "#393b79", "#b5651d",   # N1 N2 N3
), strict=True))
_INDICATOR_SYMBOLS = ("circle", "square", "diamond")

CHANNEL_GROUP_COLORS: dict[str, str] = {
    "onsite_free": ORANGE, "onsite_paid": "#ffa64d", "offsite_online": "#3182bd", "offsite_offline": "#31a354",
    "private_reach": "#756bb1", "other": "#969696", "unknown": "#cccccc",
}
#: the handbook's relationship-vs-大盘 multiples (docs/gain.md §Reference figures #2–#5)
HANDBOOK_MULTIPLES: dict[str, float] = {"revisit": 2.5, "browse_depth": 1.8, "kedanjia": 2.7, "repeat_rate": 1.37}
_MULTIPLE_LABELS = {"revisit": "回访率 revisit", "browse_depth": "逛店深度 browse depth",
                    "kedanjia": "客单价 spend/buyer", "repeat_rate": "复购率 repeat rate"}


# --- formatting ----------------------------------------------------------------------------------------------------

def count(n: float | None) -> str:
    """A count in full with thousands separators.

    Parameters
    ----------
    n : float or None
        The count.

    Returns
    -------
    str
        ``"69,675"`` (``"–"`` for None).
    """
    return "–" if n is None else f"{round(float(n)):,}"


def money(v: float | None, *, sign: bool = False) -> str:
    """An amount of money in yuan, rounded to the yuan, with thousands separators.

    Parameters
    ----------
    v : float or None
        The amount.
    sign : bool
        Print ``+`` before a positive amount (a change).

    Returns
    -------
    str
        ``"¥1,234"``, ``"+¥1,234"`` or ``"−¥1,234"`` (``"–"`` for None).
    """
    if v is None:
        return "–"
    v = float(v)
    text = f"¥{abs(v):,.0f}"
    if v < 0 and text != "¥0":
        return "−" + text
    return ("+" + text) if sign else text


def _stage(code: str) -> str:
    zh, en = STAGE_LABELS[code]
    return f"{zh} {code} {en}" if code != "none" else f"{zh} {en}"


def channel_label(channel: str, group: str | None = None) -> str:
    """The bilingual label of a traffic source.

    Parameters
    ----------
    channel : str
        The channel as loaded (``search``, ``xhs``, …; docs/data.md §Channels).
    group : str, optional
        Its group, used for a channel siyu does not recognise.

    Returns
    -------
    str
        ``"小红书 Xiaohongshu"``; an unrecognised channel keeps its name after its group's label
        (``"其他 other: tiktok"``).
    """
    if channel in CHANNEL_LABELS:
        zh, en = CHANNEL_LABELS[channel]
        return f"{zh} {en}"
    group = group or CHANNEL_GROUPS.get(channel, "other")
    zh, en = CHANNEL_GROUP_LABELS.get(group, CHANNEL_GROUP_LABELS["other"])
    return f"{zh} {en.lower()}: {channel}"


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _style(fig: go.Figure, title: str, *, height: int = 380, top: int = 70, bottom: int = 50, left: int = 60,
           right: int = 30, **layout: Any) -> go.Figure:
    """Title, size, margins, font and template of every chart (the title sits in the top margin)."""
    fig.update_layout(template="plotly_white", font={"family": FONT},
                      title={"text": title, "x": 0.01, "xanchor": "left", "y": 1 - 14 / height, "yanchor": "top",
                             "yref": "container"},
                      height=height, margin={"l": left, "r": right, "t": top, "b": bottom}, **layout)
    return fig


# --- sales ----------------------------------------------------------------------------------------------------------

def daily_gmv(summary: dict[str, Any]) -> go.Figure:
    """Daily GMV, a point for every day the orders cover (days without sales are zeros).

    Parameters
    ----------
    summary : dict
        The snapshot's ``summary`` (its ``daily`` rows: ``day``, ``gmv``).

    Returns
    -------
    plotly.graph_objects.Figure
        A line; promotion peaks (Double 11, 618) show here. Dates are formatted as dates, never as times of day.
    """
    import plotly.graph_objects as go

    daily = summary["daily"]
    fig = go.Figure(go.Scatter(x=[r["day"] for r in daily], y=[float(r["gmv"]) for r in daily],
                               mode="lines" if len(daily) > 1 else "markers", name="成交额 GMV",
                               line={"color": ORANGE}))
    _style(fig, "每日成交额 Daily GMV", yaxis={"title": "成交额 GMV", **MONEY_AXIS})
    fig.update_xaxes(type="date", tickformat="%Y-%m-%d", **({"dtick": 86_400_000} if len(daily) <= 14 else {}))
    return fig


def monthly_gmv(summary: dict[str, Any]) -> go.Figure:
    """Monthly GMV (bars) and buyers (line, right axis), one category per month (``2024-10``).

    Parameters
    ----------
    summary : dict
        The snapshot's ``summary`` (its ``monthly`` rows: ``month``, ``gmv``, ``buyers``).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    monthly = summary["monthly"]
    months = [r["month"].strftime("%Y-%m") if hasattr(r["month"], "strftime") else str(r["month"])[:7]
              for r in monthly]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=months, y=[float(r["gmv"]) for r in monthly], name="成交额 GMV", marker_color="#ff9000"))
    fig.add_trace(go.Scatter(x=months, y=[r["buyers"] for r in monthly], name="购买人数 Buyers", mode="lines+markers",
                             line={"color": "#333"}), secondary_y=True)
    _style(fig, "月度成交额与购买人数 Monthly GMV and buyers", right=60,
           legend={"orientation": "h", "y": -0.15})
    fig.update_xaxes(type="category")  # one label per month ("2024-10"), even for a single month
    fig.update_yaxes(title_text="成交额 GMV", secondary_y=False, **MONEY_AXIS)
    fig.update_yaxes(title_text="购买人数 buyers", secondary_y=True, showgrid=False, rangemode="tozero", **COUNT_AXIS)
    return fig


def channel_groups(summary: dict[str, Any]) -> go.Figure:
    """GMV by traffic-source group (a donut).

    Parameters
    ----------
    summary : dict
        The snapshot's ``summary`` (its ``channels`` rows: ``channel``, ``channel_group``, ``gmv``).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    groups: dict[str, float] = {}
    for r in summary["channels"]:
        groups[r["channel_group"]] = groups.get(r["channel_group"], 0.0) + float(r["gmv"])
    labels = [" ".join(CHANNEL_GROUP_LABELS.get(g, (g, ""))).strip() for g in groups]
    fig = go.Figure(go.Pie(labels=labels, values=list(groups.values()), hole=0.45, sort=False,
                           marker={"colors": [CHANNEL_GROUP_COLORS.get(g, "#969696") for g in groups]},
                           texttemplate="%{percent:.1%}", text=[money(v) for v in groups.values()],
                           hovertemplate="%{label}<br>%{text} · %{percent:.1%}<extra></extra>"))
    return _style(fig, "成交额渠道构成 GMV by source group")


def channels(summary: dict[str, Any]) -> go.Figure:
    """GMV by channel: one horizontal bar per channel, largest on top, coloured by its group.

    Parameters
    ----------
    summary : dict
        The snapshot's ``summary`` (its ``channels`` rows: ``channel``, ``channel_group``, ``gmv``).

    Returns
    -------
    plotly.graph_objects.Figure
        Bilingual channel labels (``搜索 search``); the legend names the groups.
    """
    import plotly.graph_objects as go

    rows = sorted(summary["channels"], key=lambda r: -float(r["gmv"]))
    order = [channel_label(r["channel"], r["channel_group"]) for r in rows]
    fig = go.Figure()
    for g in dict.fromkeys(r["channel_group"] for r in rows):
        part = [r for r in rows if r["channel_group"] == g]
        fig.add_trace(go.Bar(
            y=[channel_label(r["channel"], g) for r in part], x=[float(r["gmv"]) for r in part], orientation="h",
            name=" ".join(CHANNEL_GROUP_LABELS.get(g, (g, ""))).strip(),
            marker_color=CHANNEL_GROUP_COLORS.get(g, "#969696"),
            text=[money(r["gmv"]) for r in part], textposition="outside", cliponaxis=False,
            hovertemplate="%{y}: %{text}<extra></extra>"))
    _style(fig, "各渠道成交额 GMV by channel", height=max(380, 140 + 24 * len(rows)), top=90, left=160, right=90,
           xaxis={"title": "成交额 GMV", **MONEY_AXIS},
           yaxis={"categoryorder": "array", "categoryarray": order[::-1]},
           legend={"title": "渠道组 Group", "orientation": "h", "x": 0, "y": 1, "yanchor": "bottom"})
    return fig


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


# --- customer assets ------------------------------------------------------------------------------------------------

def aipl_funnel(aipl: dict[str, Any]) -> go.Figure:
    """AIPL stage counts at T as a funnel (A → L), each with its share of the AIPL total F.

    Parameters
    ----------
    aipl : dict
        The snapshot's ``aipl`` (``counts``, ``total``).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    stages = STAGES[1:]
    fig = go.Figure(go.Funnel(y=[_stage(s) for s in stages], x=[aipl["counts"][s] for s in stages],
                              texttemplate="%{value:,} · %{percentTotal:.1%}", textposition="auto", cliponaxis=False,
                              marker={"color": [STAGE_COLORS[s] for s in stages]},
                              hovertemplate="%{y}: %{x:,} (%{percentTotal:.1%})<extra></extra>"))
    return _style(fig, f"AIPL 人群资产 Stage mix · F = {count(aipl['total'])}", left=170,
                  xaxis=dict(COUNT_AXIS))


def _sankey(left: Sequence[tuple[str, str, float]], right: Sequence[tuple[str, str, float]],
            links: Sequence[tuple[str, str, float]], colors: dict[str, str], title: str, heads: tuple[str, str],
            height: int = 460) -> go.Figure:
    """A two-column flow with one colour per code on both sides and the node labels outside the columns.

    ``left`` and ``right`` are ``(code, label, value)`` from top to bottom, ``links`` ``(from code, to code,
    value)``. The node positions are fixed (``arrangement="fixed"``) so that each label, drawn as an annotation
    beside its node, has room: a node gets at least a label's height. The node padding is chosen so plotly scales
    the nodes exactly as planned here. ``layout.meta`` holds the codes of the nodes (left column, then right).
    """
    import plotly.graph_objects as go

    top, bottom = 90, 30
    inner = height - top - bottom
    total = sum(v for *_, v in links) or 1.0
    slot, gap = 22.0, 4.0                       # px: a label's height, the least gap between two nodes
    cols = [list(left), list(right)]

    def need(ky: float) -> float:
        return max(sum(max(v * ky, slot) for *_, v in c) + gap * (len(c) - 1) for c in cols)

    lo, hi = 0.0, inner / total
    for _ in range(60):                          # the largest scale (px per user) at which both columns fit
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if need(mid) <= inner else (lo, mid)
    ky = lo
    n_max = max(len(c) for c in cols)
    pad = (inner - total * ky) / (n_max - 1) if n_max > 1 else 10.0
    xs, ys, annotations = [], [], []
    dom = (0.24, 0.76)
    for side, col in enumerate(cols):
        slots = [max(v * ky, slot) for *_, v in col]
        spread = (inner - sum(slots)) / (len(col) - 1) if len(col) > 1 else 0.0
        y = 0.0 if len(col) != 1 else (inner - slots[0]) / 2
        for (_, label, v), s in zip(col, slots, strict=True):
            centre = (y + s / 2) / inner
            xs.append(0.001 if side == 0 else 0.999)
            ys.append(centre)
            annotations.append({"text": f"{label} · {count(v)}", "x": dom[side], "y": 1 - centre, "xref": "paper",
                                "yref": "paper", "xanchor": "right" if side == 0 else "left", "yanchor": "middle",
                                "xshift": -12 if side == 0 else 12, "showarrow": False, "font": {"size": 12}})
            y += s + spread
    for side, head in enumerate(heads):
        annotations.append({"text": f"<b>{head}</b>", "x": dom[side], "y": 1, "xref": "paper", "yref": "paper",
                            "xanchor": "center", "yanchor": "bottom", "yshift": 8, "showarrow": False})
    codes = [c for c, *_ in left] + [c for c, *_ in right]
    index_l = {c: i for i, (c, *_) in enumerate(left)}
    index_r = {c: len(left) + i for i, (c, *_) in enumerate(right)}
    labels = [lab for _, lab, _ in left] + [lab for _, lab, _ in right]
    fig = go.Figure(go.Sankey(
        arrangement="fixed", domain={"x": list(dom)}, valueformat=",d", valuesuffix=" 人 users",
        node={"label": [""] * len(codes), "customdata": labels, "x": xs, "y": ys, "pad": pad, "thickness": 16,
              "color": [colors[c] for c in codes], "line": {"width": 0},
              "hovertemplate": "%{customdata}: %{value:,} 人 users<extra></extra>"},
        link={"source": [index_l[a] for a, _, _ in links], "target": [index_r[b] for _, b, _ in links],
              "value": [v for *_, v in links], "color": [_rgba(colors[a], 0.45) for a, _, _ in links],
              "customdata": [f"{labels[index_l[a]]} → {labels[index_r[b]]}" for a, b, _ in links],
              "hovertemplate": "%{customdata}: %{value:,} 人 users<extra></extra>"}))
    return _style(fig, title, height=height, top=top, bottom=bottom, left=10, right=10, annotations=annotations,
                  meta={"nodes": codes})


def aipl_flow(flow: dict[str, Any]) -> go.Figure:
    """Flows between AIPL stages from T − 30 days (left) to T (right), as a Sankey.

    Parameters
    ----------
    flow : dict
        The snapshot's ``aipl_flow`` (``from``, ``to``, ``matrix[from stage][to stage]``).

    Returns
    -------
    plotly.graph_objects.Figure
        Each stage has one colour on both sides (:data:`STAGE_COLORS`); ``none`` on the left is users who
        entered AIPL, on the right users who left it (churned). Users outside AIPL at both dates are not drawn.
    """
    m = flow["matrix"]
    order = [*STAGES[1:], "none"]
    links = [(a, b, m[a][b]) for a in order for b in order if m[a][b] and not (a == b == "none")]
    out = {a: sum(v for x, _, v in links if x == a) for a in order}
    inn = {b: sum(v for _, y, v in links if y == b) for b in order}
    left = [(s, "新进入 entered (not in AIPL)" if s == "none" else _stage(s), out[s]) for s in order if out[s]]
    right = [(s, "流失 churned (left AIPL)" if s == "none" else _stage(s), inn[s]) for s in order if inn[s]]
    return _sankey(left, right, links, STAGE_COLORS,
                   f"AIPL 流转 Flows between stages {flow['from']} → {flow['to']}",
                   (f"T−30 {flow['from']}", f"T {flow['to']}"))


def pools(pools: dict[str, Any]) -> go.Figure:
    """Fan, member and customer pools at T: one bar per pool label, grouped by pool type.

    Parameters
    ----------
    pools : dict
        The snapshot's ``pools`` (``fan``, ``member``, ``customer``: count per label).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    titles = {"fan": "粉丝 Fans", "member": "会员 Members", "customer": "客户 Customers"}
    colors = {"fan": "#ff9f45", "member": "#e6550d", "customer": "#6baed6"}
    fig = go.Figure([go.Bar(name=titles[k], x=[f"{POOL_LABELS[k][c][0]}<br>{c}" for c in POOL_LABELS[k]],
                            y=[pools[k].get(c, 0) for c in POOL_LABELS[k]], marker_color=colors[k],
                            text=[count(pools[k].get(c, 0)) for c in POOL_LABELS[k]], textposition="outside",
                            cliponaxis=False) for k in POOL_TYPES])
    return _style(fig, "关系池 Relationship pools", yaxis={"title": "人数 users", **COUNT_AXIS})


def pool_flow(pool_flows: list[dict[str, Any]]) -> go.Figure:
    """Customer-pool transitions of the last four weekly evaluations, as a Sankey.

    Parameters
    ----------
    pool_flows : list of dict
        The snapshot's ``pool_flows`` (``from_pool``, ``to_pool``, ``users``; ``∅`` = in no customer pool).

    Returns
    -------
    plotly.graph_objects.Figure
        Each pool has one colour on both sides (:data:`POOL_COLORS`).
    """
    flows: dict[tuple[str, str], float] = {}
    for r in pool_flows:
        flows[(r["from_pool"], r["to_pool"])] = flows.get((r["from_pool"], r["to_pool"]), 0) + r["users"]
    order = [*POOL_LABELS["customer"], "∅"]
    order += sorted({c for pair in flows for c in pair} - set(order))
    labels = {**{c: f"{zh} {en}" for c, (zh, en) in POOL_LABELS["customer"].items()}, "∅": "无 none"}
    links = [(a, b, flows[(a, b)]) for a in order for b in order if flows.get((a, b))]
    out = {a: sum(v for x, _, v in links if x == a) for a in order}
    inn = {b: sum(v for _, y, v in links if y == b) for b in order}
    colors = {c: POOL_COLORS.get(c, "#969696") for c in order}
    return _sankey([(c, labels.get(c, c), out[c]) for c in order if out[c]],
                   [(c, labels.get(c, c), inn[c]) for c in order if inn[c]], links, colors,
                   "客户池流转 Customer-pool transitions, last 4 weeks (weekly evaluations)",
                   ("之前 before", "之后 after"))


def fast(fast: dict[str, Any]) -> go.Figure:
    """FAST's counts F (AIPL total) and S (members), this snapshot beside the previous one.

    Parameters
    ----------
    fast : dict
        The snapshot's ``fast`` (``current``, ``previous``, ``as_of``).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    x = [f"{k} {FAST_LABELS[k][0]}<br>{FAST_LABELS[k][1]}" for k in ("F", "S")]
    fig = go.Figure([go.Bar(name=f"上期 previous {fast['previous']['as_of']}", x=x, marker_color="#ffc38a",
                            y=[fast["previous"]["F"], fast["previous"]["S"]],
                            text=[count(fast["previous"][k]) for k in ("F", "S")], textposition="outside"),
                     go.Bar(name=f"本期 now {fast['as_of']}", x=x, marker_color=ORANGE,
                            y=[fast["current"]["F"], fast["current"]["S"]],
                            text=[count(fast["current"][k]) for k in ("F", "S")], textposition="outside")])
    for tr in fig.data:
        tr.cliponaxis = False
    return _style(fig, "FAST 数量指标 F (AIPL total) and S (members)", barmode="group",
                  yaxis={"title": "人数 users", **COUNT_AXIS})


def grow_waterfall(grow: dict[str, Any]) -> go.Figure:
    """The GMV change between two periods split into penetration G, repurchase R and price O (LMDI), as a waterfall.

    Parameters
    ----------
    grow : dict
        The snapshot's ``grow`` (``total``: ``gmv0``, ``G``, ``R``, ``O``, ``gmv1``; ``from``, ``as_of``,
        ``period_days``).

    Returns
    -------
    plotly.graph_objects.Figure
        Every bar is labelled with its amount (``¥60,288``, ``+¥8,629``).
    """
    import plotly.graph_objects as go

    tot = grow["total"]
    y = [tot["gmv0"], tot["G"], tot["R"], tot["O"], tot["gmv1"]]
    fig = go.Figure(go.Waterfall(
        x=[f"GMV {grow['from']}", *(f"{GROW_LABELS[k][0]} {k}<br>{GROW_LABELS[k][1]}" for k in "GRO"),
           f"GMV {grow['as_of']}"],
        measure=["absolute", "relative", "relative", "relative", "total"], y=y,
        text=[money(y[0]), *(money(v, sign=True) for v in y[1:4]), money(y[4])], textposition="outside",
        cliponaxis=False, increasing={"marker": {"color": "#31a354"}}, decreasing={"marker": {"color": "#de2d26"}},
        totals={"marker": {"color": ORANGE}}, connector={"line": {"color": "#999"}},
        hovertemplate="%{x}: %{text}<extra></extra>"))
    return _style(fig, f"GROW 增长拆解 GMV change ({grow['period_days']}-day periods, LMDI)", top=80,
                  yaxis={"title": "成交额 GMV", **MONEY_AXIS})


def grow_new_old(grow: dict[str, Any]) -> go.Figure:
    """G, R and O for new and for existing customers, as relative (stacked ±) bars.

    Parameters
    ----------
    grow : dict
        The snapshot's ``grow`` (``new``, ``existing``: ``G``, ``R``, ``O``).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    parts = ["new", "existing"]
    colors = {"G": "#fd8d3c", "R": "#e6550d", "O": "#6baed6"}
    fig = go.Figure([go.Bar(name=f"{GROW_LABELS[k][0]} {k} {GROW_LABELS[k][1]}", x=["新客 new", "老客 existing"], marker_color=colors[k],
                            y=[grow[p][k] for p in parts], text=[money(grow[p][k], sign=True) for p in parts],
                            textposition="inside", hovertemplate="%{x} " + k + ": %{text}<extra></extra>")
                     for k in "GRO"])
    return _style(fig, "新老客拆解 New vs existing customers", barmode="relative",
                  yaxis={"title": "成交额变化 GMV change", **MONEY_AXIS})


def audience_mix(audiences: list[dict[str, Any]]) -> go.Figure:
    """Saved audiences: one stacked bar each, its members by AIPL stage (share of the audience), labelled with its size.

    Parameters
    ----------
    audiences : list of dict
        The snapshot's ``audiences`` (``name``, ``count``, ``mix["aipl"]``), in the order of the report's table.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    rows = audiences
    names = [f"{r['name']}<br>{count(r['count'])} 人 users" for r in rows]
    fig = go.Figure([go.Bar(name=f"{STAGE_LABELS[s][0]} {s}", y=names, orientation="h", marker_color=STAGE_COLORS[s],
                            x=[(r["mix"]["aipl"].get(s, 0) / r["count"]) if r["count"] else 0 for r in rows],
                            customdata=[r["mix"]["aipl"].get(s, 0) for r in rows],
                            hovertemplate="%{x:.1%} (%{customdata:,} users)<extra></extra>")
                     for s in ("A", "I", "P", "L", "none")])
    return _style(fig, "人群构成 Saved audiences: members by AIPL stage", barmode="stack", left=140,
                  height=160 + 70 * len(rows),
                  xaxis={"tickformat": ".0%", "title": "占人群 share of the audience"},
                  yaxis={"autorange": "reversed"},  # top to bottom in the order of the table below
                  legend={"traceorder": "normal"})


# --- CLV ------------------------------------------------------------------------------------------------------------

def _bin_edges(values: Any) -> list[float]:
    """Bin edges on a 1-2-5 scale (… 1, 2, 5, 10, 20, 50 …) covering ``values``; the first bin starts at 0."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    pos = v[v > 0]
    if not len(pos):
        return [0.0, 1.0]
    lo_exp = math.floor(math.log10(max(float(np.quantile(pos, 0.01)), 1e-9)))
    edges = [0.0]
    e = lo_exp
    while True:
        for m in (1, 2, 5):
            edge = m * 10.0 ** e
            edges.append(edge)
            if edge > float(pos.max()):
                return edges
        e += 1


def _money_range(a: float, b: float) -> str:
    def short(x: float) -> str:
        return f"{x:,.0f}" if x >= 1 else f"{x:g}"
    return f"¥{short(a)}–{short(b)}"


def clv_distribution(pred: Any) -> go.Figure:
    """Predicted CLV per customer in bins on a 1-2-5 money scale (``¥5–10``, ``¥10–20``, …).

    Parameters
    ----------
    pred : pyarrow.Table
        The snapshot's ``clv_predictions`` (column ``predicted_clv``).

    Returns
    -------
    plotly.graph_objects.Figure
        One bar per bin, labelled with its customers. CLV is heavily skewed (a few customers are worth a hundred
        times the median), so equal-width bins would put nearly everyone in the first bar; 1-2-5 bins are even on a
        log scale.
    """
    import numpy as np
    import plotly.graph_objects as go

    v = np.asarray(pred.column("predicted_clv").to_numpy(), dtype=float)
    v = v[np.isfinite(v)]
    edges = _bin_edges(v)
    counts, _ = np.histogram(np.clip(v, 0, None), bins=edges)
    labels = [_money_range(a, b) for a, b in itertools.pairwise(edges)]
    fig = go.Figure(go.Bar(x=labels, y=counts.tolist(), marker_color=ORANGE, text=[count(c) for c in counts],
                           textposition="outside", cliponaxis=False,
                           hovertemplate="%{x}: %{y:,} 位客户 customers<extra></extra>"))
    med = float(np.median(v)) if len(v) else None
    mean = float(v.mean()) if len(v) else None
    return _style(fig, f"预测 CLV 分布 Predicted CLV per customer ({count(len(v))} 位客户 customers; "
                       f"中位数 median {money(med)}, 均值 mean {money(mean)})", top=80,
                  xaxis={"title": "CLV（¥，按毛利折现 margin-weighted, discounted；1-2-5 分箱 bins)", "type": "category"},
                  yaxis={"title": "客户数 customers", **COUNT_AXIS}, bargap=0.08)


def clv_palive(pred: Any) -> go.Figure:
    """P(alive) per customer, in bins of 0.05.

    Parameters
    ----------
    pred : pyarrow.Table
        The snapshot's ``clv_predictions`` (column ``p_alive``).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import numpy as np
    import plotly.graph_objects as go

    p = np.clip(np.asarray(pred.column("p_alive").to_numpy(), dtype=float), 0.0, 1 - 1e-9)  # 1.0 in the last bin
    fig = go.Figure(go.Histogram(x=p, xbins={"start": 0, "end": 1, "size": 0.05}, marker_color="#ff9000",
                                 hovertemplate="P(alive) %{x}: %{y:,}<extra></extra>"))
    return _style(fig, "存活概率分布 P(alive) per customer", bargap=0.05,
                  xaxis={"title": "存活概率 P(alive)", "tickformat": ".0%"}, yaxis={"title": "客户数 customers", **COUNT_AXIS})


def clv_tracking(validation: dict[str, Any]) -> go.Figure:
    """Cumulative repeat purchases, actual vs BG/NBD expected, across the calibration | holdout split.

    Parameters
    ----------
    validation : dict
        The snapshot's ``clv_validation`` (``tracking``, ``calibration_end``).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    tr = validation["tracking"]
    x = [r["period_end"] for r in tr]
    fig = go.Figure([go.Scatter(x=x, y=[r["actual"] for r in tr], name="实际 actual", line={"color": "#333"}),
                     go.Scatter(x=x, y=[r["expected"] for r in tr], name="模型 BG/NBD expected",
                                line={"color": ORANGE, "dash": "dash"})])
    fig.add_vline(x=str(validation["calibration_end"]), line_dash="dot")
    return _style(fig, "累计复购追踪 Cumulative repeat purchases: actual vs BG/NBD (校准 calibration | 留出 holdout)",
                  top=80, yaxis={"title": "累计复购次数 repeat purchases", **COUNT_AXIS},
                  xaxis={"tickformat": "%Y-%m-%d"})


def clv_conditional(validation: dict[str, Any]) -> go.Figure:
    """Holdout purchases per customer by calibration frequency, actual vs BG/NBD predicted.

    Parameters
    ----------
    validation : dict
        The snapshot's ``clv_validation`` (``conditional``: ``label``, ``actual``, ``predicted``).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    ce = validation["conditional"]
    x = [r["label"] for r in ce]
    fig = go.Figure([go.Bar(name="实际 actual", x=x, y=[r["actual"] for r in ce], marker_color="#333"),
                     go.Bar(name="模型 BG/NBD predicted", x=x, y=[r["predicted"] for r in ce], marker_color=ORANGE)])
    return _style(fig, "留出期人均购买 vs 校准期频次 Holdout purchases per customer by calibration frequency", top=80,
                  barmode="group", xaxis={"title": "校准期购买次数 calibration frequency", "type": "category"},
                  yaxis={"title": "人均购买 purchases per customer", "tickformat": ".2f"})


#: report ``<div>`` id -> (snapshot key, chart function): what the report and the console draw
CHARTS: dict[str, tuple[str, Callable[[Any], go.Figure]]] = {
    "chart-daily-gmv": ("summary", daily_gmv),
    "chart-monthly-gmv": ("summary", monthly_gmv),
    "chart-gain-radar": ("gain", gain_radar),
    "chart-gain-indicators": ("gain", gain_indicators),
    "chart-gain-trend": ("gain", gain_trend),
    "chart-aipl-funnel": ("aipl", aipl_funnel),
    "chart-aipl-flow": ("aipl_flow", aipl_flow),
    "chart-fast": ("fast", fast),
    "chart-link-funnel": ("link", link_funnel),
    "chart-link-multiples": ("link", link_multiples),
    "chart-pools": ("pools", pools),
    "chart-pool-flow": ("pool_flows", pool_flow),
    "chart-audience-mix": ("audiences", audience_mix),
    "chart-grow": ("grow", grow_waterfall),
    "chart-grow-new-old": ("grow", grow_new_old),
    "chart-clv-distribution": ("clv_predictions", clv_distribution),
    "chart-clv-palive": ("clv_predictions", clv_palive),
    "chart-clv-tracking": ("clv_validation", clv_tracking),
    "chart-clv-conditional": ("clv_validation", clv_conditional),
    "chart-channel-groups": ("summary", channel_groups),
    "chart-channels": ("summary", channels),
}
