"""Report section of reach (触达): the reach funnel of the planned campaigns and a table of their counts."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from siyu.report import charts
from siyu.report.page import Section, figure_html, register_section

#: at most this many campaigns (the newest) side by side in the funnel chart; the table lists every one
CHART_CAMPAIGNS = 6

_COLUMNS: tuple[tuple[str, str], ...] = (
    ("audience", "人群 Audience"),
    *((k, f"{charts.REACH_STEPS[k][0]} {charts.REACH_STEPS[k][1]}") for k in charts.SUPPRESSION_STEPS),
    ("planned", "计划发送 Planned"), ("queued", "排队中 Queued"), ("sent", "已发送 Sent"),
    ("failed", "失败 Failed"), ("delivered", "已送达 Delivered"), ("opened", "已打开 Opened"),
    ("clicked", "已点击 Clicked"),
)


def _when(v: Any) -> str:
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    return "" if v is None else html.escape(str(v))


@register_section("reach", 47)
def reach_section(snap: dict[str, Any]) -> Section:
    """The funnel of the newest campaigns (audience → suppressed by reason → planned → sent → delivered → opened →
    clicked) and one table row per planned campaign; a note on how to plan one while there is none."""
    rows = snap.get("reach") or []
    if not rows:
        note = ("<p class='note' id='reach-none'>还没有计划的活动：<code>siyu campaign plan FILE</code> · "
                "No campaign planned yet: <code>siyu campaign plan FILE</code> (docs/reach.md)</p>")
        return Section(id="reach", title_zh="触达", title_en="Reach", html=note)
    shown = rows[:CHART_CAMPAIGNS]
    more = (f"<p class='note'>图中为最新的 {len(shown)} 个活动，表中为全部 {len(rows):,} 个 · The chart shows the "
            f"newest {len(shown)} campaigns, the table all {len(rows):,}.</p>") if len(rows) > len(shown) else ""
    head = ("<tr><th>活动 Campaign</th><th>计划于 Planned at</th><th>优先级 Priority</th>"
            + "".join(f"<th>{label}</th>" for _, label in _COLUMNS) + "</tr>")
    body = "".join(
        f"<tr data-campaign='{html.escape(str(r['campaign_id']), quote=True)}'>"
        f"<td>{html.escape(str(r['campaign_id']))}</td>"
        f"<td style='white-space:nowrap'>{_when(r.get('planned_at'))}</td>"
        f"<td>{r.get('priority', '')}</td>"
        + "".join(f"<td>{charts.count(r.get(k))}</td>" for k, _ in _COLUMNS) + "</tr>" for r in rows)
    table = (f"<div style='overflow-x:auto'><table class='grid' id='table-reach' style='font-size:12px'><thead>{head}</thead>"
             f"<tbody>{body}</tbody></table></div>")
    note = ("<p class='note'>被抑制的人按最先适用的原因计数；发送时被抑制的消息也计入计划发送。"
            "Suppressed users count under the first reason that applied; a message suppressed at sending is also "
            "counted in planned (docs/reach.md §The reach funnel).</p>")
    return Section(id="reach", title_zh="触达", title_en="Reach",
                   html=figure_html(charts.reach_funnel(shown), "chart-reach-funnel") + more + table + note)
