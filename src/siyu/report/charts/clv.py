"""Charts of CLV: predicted CLV and P(alive) per customer, the holdout tracking and conditional expectations."""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import plotly.graph_objects as go
from siyu.report.charts._base import (
    COUNT_AXIS,
    ORANGE,
    _style,
    count,
    money,
)

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
