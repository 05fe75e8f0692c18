"""Charts of reach (触达): the reach funnel of one or several campaigns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import plotly.graph_objects as go
from siyu.report.charts._base import (
    COUNT_AXIS,
    ORANGE,
    _style,
    count,
)

#: the steps of the reach funnel (docs/reach.md §The reach funnel), top to bottom: key -> (Chinese, English)
REACH_STEPS: dict[str, tuple[str, str]] = {
    "audience": ("人群", "audience"),
    "global_control": ("全局对照组", "global control"),
    "holdout": ("活动对照组", "holdout"),
    "no_consent": ("未授权", "no consent"),
    "budget": ("触达预算", "contact budget"),
    "quiet_hours_dropped": ("免打扰", "quiet hours"),
    "planned": ("计划发送", "planned"),
    "sent": ("已发送", "sent"),
    "delivered": ("已送达", "delivered"),
    "opened": ("已打开", "opened"),
    "clicked": ("已点击", "clicked"),
}
#: the suppression steps (users not messaged, by the first reason that applied)
SUPPRESSION_STEPS: tuple[str, ...] = ("global_control", "holdout", "no_consent", "budget", "quiet_hours_dropped")
#: colour of a step when one campaign is drawn: the flow in orange shades, suppressions in grey
REACH_COLORS: dict[str, str] = {
    "audience": "#a63603", "global_control": "#bdbdbd", "holdout": "#bdbdbd", "no_consent": "#969696",
    "budget": "#969696", "quiet_hours_dropped": "#969696", "planned": "#e6550d", "sent": ORANGE,
    "delivered": "#fd8d3c", "opened": "#fdae6b", "clicked": "#fdd0a2",
}
#: one colour per campaign when several are drawn side by side
CAMPAIGN_COLORS: tuple[str, ...] = ("#ff5000", "#3182bd", "#31a354", "#756bb1", "#e6550d", "#636363", "#de2d26",
                                    "#6baed6")


def reach_step_label(step: str) -> str:
    """The bilingual label of a funnel step (``"未授权 no consent"``); suppressions are marked ``−``."""
    zh, en = REACH_STEPS[step]
    return f"− {zh} {en}" if step in SUPPRESSION_STEPS else f"{zh} {en}"


def reach_funnel(campaigns: Sequence[dict[str, Any]]) -> go.Figure:
    """The reach funnel of one or several campaigns as horizontal bars, top to bottom: audience, the users
    suppressed by each reason (global control, holdout, no consent, contact budget, quiet hours), planned, sent,
    delivered, opened, clicked.

    Parameters
    ----------
    campaigns : sequence of dict
        Rows of :func:`siyu.reach.funnel` (the snapshot's ``reach``), newest first: ``campaign_id``, ``audience``,
        the five reasons, ``planned``, ``sent``, ``delivered``, ``opened``, ``clicked``.

    Returns
    -------
    plotly.graph_objects.Figure
        One bar trace per campaign (its ``name`` is the campaign id; ``x`` are the counts of :data:`REACH_STEPS`
        in order). One campaign gets a colour per step (suppressions grey) and each bar's count with its share of
        the audience; several are grouped, one colour per campaign, labelled with their counts. ``layout.meta``
        holds ``steps`` and ``campaigns``. Suppressions at sending are counted under their reason and in planned
        (docs/reach.md), so the steps are not nested.
    """
    import plotly.graph_objects as go

    steps = list(REACH_STEPS)
    labels = [reach_step_label(s) for s in steps]
    rows = list(campaigns)
    single = len(rows) == 1
    traces = []
    for i, r in enumerate(rows):
        values = [int(r.get(s) or 0) for s in steps]
        audience = values[0]
        shares = [v / audience if audience else None for v in values]
        text = ([count(v) + ("" if not v or j == 0 or sh is None else f" · {sh:.1%}") for j, (v, sh) in
                 enumerate(zip(values, shares, strict=True))] if single else [count(v) for v in values])
        traces.append(go.Bar(
            name=str(r["campaign_id"]), y=labels, x=values, orientation="h", text=text, textposition="outside",
            cliponaxis=False, customdata=[f"{sh:.1%}" if sh is not None else "–" for sh in shares],
            marker_color=[REACH_COLORS[s] for s in steps] if single else CAMPAIGN_COLORS[i % len(CAMPAIGN_COLORS)],
            hovertemplate="%{y}: %{x:,} (%{customdata} of the audience 占人群)<extra>" + str(r["campaign_id"])
                          + "</extra>"))
    fig = go.Figure(traces)
    if single:
        title = f"触达漏斗 Reach funnel · {rows[0]['campaign_id']}"
    elif rows:
        title = f"触达漏斗 Reach funnel · {len(rows)} 个活动 campaigns"
    else:
        title = "触达漏斗 Reach funnel"
        fig.add_annotation(text="还没有计划的活动 No campaign planned yet", x=0.5, y=0.5, xref="paper",
                           yref="paper", showarrow=False)
    per_step = 26 if single else 10 + 14 * max(len(rows), 1)
    return _style(fig, title, height=120 + per_step * len(steps), left=170, right=90, barmode="group",
                  bargap=0.25, showlegend=len(rows) > 1, legend={"title": {"text": "活动 Campaign"}},
                  xaxis={"title": "人数 users", "rangemode": "tozero", **COUNT_AXIS},
                  yaxis={"autorange": "reversed", "type": "category", "ticklabelstandoff": 6},
                  meta={"steps": steps, "campaigns": [str(r["campaign_id"]) for r in rows]})
