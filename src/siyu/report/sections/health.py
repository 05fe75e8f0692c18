"""Report sections of the health models: GAIN (radar, indicators, diagnosis, trends) and LINK+ (funnel, multiples)."""

from __future__ import annotations

import html
from typing import Any

from siyu.report.page import Section, figure_html, register_section

_HANDBOOK = {"revisit": 2.5, "browse_depth": 1.8, "kedanjia": 2.7, "repeat_rate": 1.37}  # docs/gain.md §Reference figures #2–#5


def _num(v: Any, spec: str) -> str:
    return "–" if v is None else format(v, spec)


@register_section("gain", 12)
def gain_section(snap: dict[str, Any]) -> Section:
    """GAIN radar, the 12 indicators with numerator and denominator, the diagnosis and the monthly trends."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from siyu.health.gain import DIMENSIONS, INDICATORS

    g, diag = snap["gain"], snap["diagnosis"]
    dims = list(DIMENSIONS)
    theta = [f"{DIMENSIONS[d][0]} {d}" for d in dims]
    r = [g["dimensions"][d] or 0 for d in dims]
    radar = go.Figure(go.Scatterpolar(r=r + r[:1], theta=theta + theta[:1], fill="toself", name="GAIN",
                                      line={"color": "#ff5000"}))
    radar.update_layout(title=f"GAIN 用户价值健康度 · score {_num(g['score'], '.0f')} ({g['mode']} mode)",
                        polar={"radialaxis": {"range": [0, 100]}})
    ind_r = [g["indicators"][k]["score"] or 0 for k in INDICATORS]
    ind_t = [f"{k} {INDICATORS[k].name_zh}" for k in INDICATORS]
    radar12 = go.Figure(go.Scatterpolar(r=ind_r + ind_r[:1], theta=ind_t + ind_t[:1], fill="toself",
                                        line={"color": "#ff9000"}, name="12 indicators"))
    radar12.update_layout(title="12 项指标得分 Indicator scores", polar={"radialaxis": {"range": [0, 100]}})
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
    trend = make_subplots(rows=2, cols=2, subplot_titles=[f"{DIMENSIONS[d][0]} {d}" for d in dims])
    dates = [t["date"] for t in g["trend"]]
    for i, d in enumerate(dims):
        for k in (k for k, ind in INDICATORS.items() if ind.dimension == d):
            # a month that is not comparable has a None value: a gap in the line, never a zero
            trend.add_trace(go.Scatter(x=dates, y=[t[k] for t in g["trend"]], mode="lines+markers", connectgaps=False,
                                       name=f"{k} {INDICATORS[k].name_zh}"), row=i // 2 + 1, col=i % 2 + 1)
    trend.update_layout(title="指标月度趋势 Monthly trend of every indicator", height=620)
    gaps: dict[str, list[Any]] = {}
    for t in g["trend"]:
        for k, reason in t.get("reasons", {}).items():
            gaps.setdefault(k, []).append((t["date"], reason))
    gap_html = ("<p class='note' id='gain-trend-gaps'>断点 = 不可比的月份 Gaps are months that are not comparable "
                "(the loaded data do not cover their look-back windows): "
                + "; ".join(f"{k} × {len(v)} (e.g. {html.escape(str(v[-1][0]))}: {html.escape(v[-1][1] or '')})"
                            for k, v in gaps.items()) + "</p>") if gaps else ""
    html_out = (figure_html(radar, "chart-gain-radar") + figure_html(radar12, "chart-gain-indicators") + table
                + diag_html + figure_html(trend, "chart-gain-trend") + gap_html)
    return Section(id="gain", title_zh="GAIN 用户价值健康度", title_en="GAIN CLTV health", html=html_out)


@register_section("link", 35)
def link_section(snap: dict[str, Any]) -> Section:
    """LINK+ funnel of relationship users and the relationship-vs-大盘 multiples beside the handbook's."""
    import plotly.graph_objects as go

    from siyu.health.linkplus import STEP_LABELS

    res = snap["link"]
    st = res["steps"]
    rel_n, rel_k = st["N"]["relationship"], st["K"]["relationship"]
    stages = [(f"L {STEP_LABELS['L'][0]} 访客 UV", st["L"]["uv"]),
              (f"I {STEP_LABELS['I'][0]} 关系用户 relationship users", rel_n["users"]),
              (f"N {STEP_LABELS['N'][0]} 30天回访 revisited", rel_n["revisit_rate"]["numerator"]),
              (f"K {STEP_LABELS['K'][0]} 复购 repeat buyers", rel_k["repeat_buyers"])]
    funnel = go.Figure(go.Funnel(y=[s[0] for s in stages], x=[s[1] for s in stages], textinfo="value",
                                 marker={"color": ["#ffc38a", "#ff9f45", "#ff7a1a", "#e65c00"]}))
    funnel.update_layout(title="LINK+ 私域链路 funnel (汇聚 → 连接 → 激活 → 复购)")
    mult = res["multiples"]
    keys = list(_HANDBOOK)
    labels = {"revisit": "回访率 revisit", "browse_depth": "逛店深度 browse depth", "kedanjia": "客单价 spend/buyer",
              "repeat_rate": "复购率 repeat rate"}
    bars = go.Figure([
        go.Bar(name="本店 this store (关系用户 ÷ 大盘)", x=[labels[k] for k in keys],
               y=[(mult[k]["value"] if isinstance(mult[k], dict) else mult[k]) or 0 for k in keys], marker_color="#ff5000"),
        go.Bar(name="手册参考 handbook (docs/gain.md)", x=[labels[k] for k in keys], y=[_HANDBOOK[k] for k in keys],
               marker_color="#cccccc")])
    bars.update_layout(title="关系用户 vs 大盘 倍数 Relationship-vs-大盘 multiples", barmode="group")
    share = res.get("relationship_gmv_share")
    share_v = share["value"] if isinstance(share, dict) else share
    note = (f"<p>关系用户成交占比 Relationship users' share of GMV (W365): <b>{_num(share_v, '.1%')}</b> · "
            f"关系用户 {res['relationship_users']:,} · 大盘 {res['all_users']:,}. The handbook's multiples compare fans, "
            "members and old customers one crowd at a time; siyu compares their union with the 大盘.</p>")
    return Section(id="link", title_zh="LINK+ 私域链路", title_en="LINK+ funnel",
                   html=figure_html(funnel, "chart-link-funnel") + figure_html(bars, "chart-link-multiples") + note)
