"""Charts of the customer assets: AIPL and its flow, pools and their flow, FAST, GROW, and the saved audiences' mix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from siyu.assets import (
    FAST_LABELS,
    GROW_LABELS,
    POOL_LABELS,
    POOL_TYPES,
    STAGE_LABELS,
    STAGES,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go
from siyu.report.charts._base import (
    COUNT_AXIS,
    MONEY_AXIS,
    ORANGE,
    POOL_COLORS,
    STAGE_COLORS,
    _rgba,
    _stage,
    _style,
    count,
    money,
)

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
