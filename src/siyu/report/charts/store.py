"""Charts of the store summary: daily and monthly GMV, GMV by channel group and by channel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from siyu.contract.schema import CHANNEL_GROUP_LABELS

if TYPE_CHECKING:
    import plotly.graph_objects as go
from siyu.report.charts._base import (
    CHANNEL_GROUP_COLORS,
    COUNT_AXIS,
    MONEY_AXIS,
    ORANGE,
    _style,
    channel_label,
    money,
)

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
