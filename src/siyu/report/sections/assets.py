"""Report sections of the customer-asset models: AIPL mix and flows, FAST, pools and transitions, GROW."""

from __future__ import annotations

import html
from typing import Any

from siyu.report import charts
from siyu.report.page import Section, figure_html, register_section


def _table(rows: list[dict[str, Any]], cols: list[tuple[str, str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for _, h in cols)
    body = "".join("<tr>" + "".join(f"<td class='num'>{html.escape(_fmt(r.get(k)))}</td>" for k, _ in cols) + "</tr>"
                   for r in rows)
    return f"<table class='grid'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):  # every float in these tables is a rate or a relative change
        return f"{v:.1%}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


@register_section("aipl", 20)
def aipl_section(snap: dict[str, Any]) -> Section:
    """AIPL stage funnel and the flow (Sankey) between T−30 and T."""
    from siyu.assets import STAGE_LABELS, STAGES

    tr = snap["aipl_flow"]
    acc = [{"stage": f"{STAGE_LABELS[x][0]} {x}", **tr["accounting"][x]} for x in STAGES[1:]]
    table = _table(acc, [("stage", "阶段 Stage"), ("start", "期初 Start"), ("stayed", "留存 Stayed"),
                         ("deepened", "加深 Deepened"), ("regressed", "回落 Regressed"), ("churned", "流失 Churned"),
                         ("churn_rate", "流失率 Churn rate")])
    return Section(id="aipl", title_zh="AIPL 人群资产与流转", title_en="AIPL stages and flows",
                   html=figure_html(charts.aipl_funnel(snap["aipl"]), "chart-aipl-funnel")
                   + figure_html(charts.aipl_flow(tr), "chart-aipl-flow") + table)


@register_section("fast", 30)
def fast_section(snap: dict[str, Any]) -> Section:
    """FAST with period-over-period and year-over-year change."""
    from siyu.assets import FAST_LABELS

    res = snap["fast"]
    rows = [{"metric": f"{k} · {z} · {e}", "value": res["current"][k], "previous": res["previous"][k],
             "pop": res["change"][k]["pop"]["rel"], "yoy": res["change"][k]["yoy"]["rel"]}
            for k, (z, e) in FAST_LABELS.items()]
    table = _table(rows, [("metric", "指标 Metric"), ("value", "当前 Now"), ("previous", "上期 Previous"),
                          ("pop", "环比 PoP"), ("yoy", "同比 YoY")])
    # a change the loaded data cannot compare shows "–"; the note says which log is missing
    notes: dict[str, list[str]] = {}
    for k in FAST_LABELS:
        for kind, label in (("pop", "环比 PoP"), ("yoy", "同比 YoY")):
            c = res["change"][k][kind]
            if c.get("comparable", True) is False:
                notes.setdefault(f"{label}: {c.get('reason') or ''}", []).append(k)
    if notes:
        table += ("<p class='note' id='fast-not-comparable'>– 不可比 Not comparable (the loaded data do not cover the "
                  "look-back windows of both snapshots): "
                  + "; ".join(f"{html.escape(', '.join(ks))} {html.escape(why)}" for why, ks in notes.items()) + "</p>")
    return Section(id="fast", title_zh="FAST 消费者运营健康度", title_en="FAST",
                   html=figure_html(charts.fast(res), "chart-fast") + table)


@register_section("pools", 40)
def pools_section(snap: dict[str, Any]) -> Section:
    """Fan, member and customer pools, and the customer-pool transitions of the last 4 weeks."""
    return Section(id="pools", title_zh="关系池与流转", title_en="Relationship pools and transitions",
                   html=figure_html(charts.pools(snap["pools"]), "chart-pools")
                   + figure_html(charts.pool_flow(snap["pool_flows"]), "chart-pool-flow"))


@register_section("grow", 50)
def grow_section(snap: dict[str, Any]) -> Section:
    """GROW: the GMV change split into penetration, repurchase and price (waterfall), new vs existing."""
    from siyu.assets.grow import GROW_LABELS

    g = snap["grow"]
    w = g["w"]

    def num(v: Any, spec: str) -> str:
        return "–" if v is None else format(v, spec)

    wrows = [{"k": "新品成交占比 new-SKU GMV share", "v": num(w["new_sku_gmv_share"], ".1%")},
             {"k": "新客首单含新品 new buyers whose first order has a new SKU", "v": num(w["new_sku_newcust_share"], ".1%")},
             {"k": "上新数 launches", "v": num(w["launches"], ",d")},
             {"k": "上新速度 launches per quarter", "v": num(w["launch_agility"], ".1f")},
             {"k": "延展力 GMV from new categories", "v": charts.money(w["extension"])}]
    table = _table(wrows, [("k", f"{GROW_LABELS['W'][0]} {GROW_LABELS['W'][1]}"), ("v", "值 Value")])
    return Section(id="grow", title_zh="GROW 增长拆解", title_en="GROW decomposition",
                   html=figure_html(charts.grow_waterfall(g), "chart-grow")
                   + figure_html(charts.grow_new_old(g), "chart-grow-new-old") + table)
