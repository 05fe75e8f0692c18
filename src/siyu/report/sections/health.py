"""Report sections of the health models: GAIN (radar, indicators, diagnosis, trends) and LINK+ (funnel, multiples)."""

from __future__ import annotations

import html
from typing import Any

from siyu.report import charts
from siyu.report.page import Section, figure_html, register_section


def _num(v: Any, spec: str) -> str:
    return "–" if v is None else format(v, spec)


@register_section("gain", 12)
def gain_section(snap: dict[str, Any]) -> Section:
    """GAIN radar, the 12 indicators with numerator and denominator, the diagnosis and the monthly trends."""
    g, diag = snap["gain"], snap["diagnosis"]
    rows = "".join(
        f"<tr><td>{k}</td><td>{html.escape(v['name_zh'])}<br><small>{html.escape(v['name_en'])}</small></td>"
        f"<td class='num'>{_num(v['value'], '.1%')}{'' if v.get('comparable', True) else ' †'}</td>"
        f"<td class='num'>{v['numerator']:,} / {v['denominator']:,}</td>"
        f"<td class='num'>{_num(v['score'], '.0f')}</td><td class='num'>{_num(v['baseline_score'], '.0f')}</td></tr>"
        for k, v in g["indicators"].items())
    flagged = [(k, v["reason"]) for k, v in g["indicators"].items() if not v.get("comparable", True)]
    table = ("<table class='grid' id='gain-indicators'><thead><tr><th>#</th><th>指标 Indicator</th><th>值 Value</th>"
             "<th>分子/分母 Num./den.</th><th>得分 Score</th><th>自身基线 Baseline</th></tr></thead>"
             f"<tbody>{rows}</tbody></table>")
    if flagged:
        table += ("<p class='note' id='gain-not-comparable'>† 数据覆盖不足，不可比（无基线得分） Not comparable: the loaded "
                  "data do not cover this value's look-back windows (no baseline score) — "
                  + "; ".join(f"{k}: {html.escape(r or '')}" for k, r in flagged) + "</p>")
    items = "".join(
        f"<li><b>{html.escape(d['indicator'])} {html.escape(d['name_zh'])} · {html.escape(d['name_en'])}</b> "
        f"(score {_num(d['score'], '.0f')}, LINK+ {d['link_step']}): {html.escape(d['action_zh'])}<br>"
        f"<small>{html.escape(d['action_en'])}</small><br>机会 Opportunity: {d['opportunity_users']:,} users · "
        f"¥{d['opportunity_gmv']:,.0f}</li>" for d in diag)
    diag_html = (f"<h3>诊断与建议 Diagnosis and actions</h3><ol id='gain-diagnosis'>{items}</ol>" if diag else
                 "<h3>诊断与建议 Diagnosis</h3><p>没有低于阈值的指标 No indicator below the weak threshold.</p>")
    gaps: dict[str, list[Any]] = {}
    for t in g["trend"]:
        for k, reason in t.get("reasons", {}).items():
            gaps.setdefault(k, []).append((t["date"], reason))
    gap_html = ("<p class='note' id='gain-trend-gaps'>断点 = 不可比的月份 Gaps are months that are not comparable "
                "(the loaded data do not cover their look-back windows): "
                + "; ".join(f"{k} × {len(v)} (e.g. {html.escape(str(v[-1][0]))}: {html.escape(v[-1][1] or '')})"
                            for k, v in gaps.items()) + "</p>") if gaps else ""
    html_out = (figure_html(charts.gain_radar(g), "chart-gain-radar")
                + figure_html(charts.gain_indicators(g), "chart-gain-indicators") + table + diag_html
                + figure_html(charts.gain_trend(g), "chart-gain-trend") + gap_html)
    return Section(id="gain", title_zh="GAIN 用户价值健康度", title_en="GAIN CLTV health", html=html_out)


@register_section("link", 35)
def link_section(snap: dict[str, Any]) -> Section:
    """LINK+ steps of relationship users and the relationship-vs-大盘 multiples beside the handbook's."""
    res = snap["link"]
    share = res.get("relationship_gmv_share")
    share_v = share["value"] if isinstance(share, dict) else share
    note = (f"<p>关系用户成交占比 Relationship users' share of GMV (W365): <b>{_num(share_v, '.1%')}</b> · "
            f"关系用户 {res['relationship_users']:,} · 大盘 {res['all_users']:,}. The handbook's multiples compare fans, "
            "members and old customers one crowd at a time; siyu compares their union with the 大盘.</p>")
    return Section(id="link", title_zh="LINK+ 私域链路", title_en="LINK+ funnel",
                   html=figure_html(charts.link_funnel(res), "chart-link-funnel")
                   + figure_html(charts.link_multiples(res), "chart-link-multiples") + note)
