"""Report sections of the customer-asset models: AIPL mix and flows, FAST, pools and transitions, GROW."""

from __future__ import annotations

import html
from typing import Any

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
    import plotly.graph_objects as go

    from siyu.assets import STAGE_LABELS, STAGES

    s = snap["aipl"]
    names = [f"{STAGE_LABELS[x][0]} {x}" for x in STAGES[1:]]
    fig = go.Figure(go.Funnel(y=names, x=[s["counts"][x] for x in STAGES[1:]], textinfo="value+percent total",
                              marker={"color": ["#ffc38a", "#ff9f45", "#ff7a1a", "#e65c00"]}))
    fig.update_layout(title=f"AIPL 人群资产 stage mix · F = {s['total']:,}")
    tr = snap["aipl_flow"]
    labels = [f"{STAGE_LABELS[x][0]} {x} ({tr['from']})" for x in STAGES] + \
             [f"{STAGE_LABELS[x][0]} {x} ({tr['to']})" for x in STAGES]
    src, dst, val = [], [], []
    for i, a in enumerate(STAGES):
        for j, b in enumerate(STAGES):
            n = tr["matrix"][a][b]
            if n and not (a == b == "none"):
                src.append(i)
                dst.append(len(STAGES) + j)
                val.append(n)
    sankey = go.Figure(go.Sankey(node={"label": labels, "pad": 12}, link={"source": src, "target": dst, "value": val}))
    sankey.update_layout(title=f"AIPL 流转 flows {tr['from']} → {tr['to']} (none = 流失/未触达)")
    acc = [{"stage": f"{STAGE_LABELS[x][0]} {x}", **tr["accounting"][x]} for x in STAGES[1:]]
    table = _table(acc, [("stage", "阶段 Stage"), ("start", "期初 Start"), ("stayed", "留存 Stayed"),
                         ("deepened", "加深 Deepened"), ("regressed", "回落 Regressed"), ("churned", "流失 Churned"),
                         ("churn_rate", "流失率 Churn rate")])
    return Section(id="aipl", title_zh="AIPL 人群资产与流转", title_en="AIPL stages and flows",
                   html=figure_html(fig, "chart-aipl-funnel") + figure_html(sankey, "chart-aipl-flow") + table)


@register_section("fast", 30)
def fast_section(snap: dict[str, Any]) -> Section:
    """FAST with period-over-period and year-over-year change."""
    import plotly.graph_objects as go

    from siyu.assets import FAST_LABELS

    res = snap["fast"]
    rows = [{"metric": f"{k} · {z} · {e}", "value": res["current"][k], "previous": res["previous"][k],
             "pop": res["change"][k]["pop"]["rel"], "yoy": res["change"][k]["yoy"]["rel"]}
            for k, (z, e) in FAST_LABELS.items()]
    fig = go.Figure([go.Bar(name=f"{res['previous']['as_of']}", x=["F", "S"],
                            y=[res["previous"]["F"], res["previous"]["S"]], marker_color="#ffc38a"),
                     go.Bar(name=f"{res['as_of']}", x=["F", "S"], y=[res["current"]["F"], res["current"]["S"]],
                            marker_color="#ff5000")])
    fig.update_layout(title="FAST 数量指标 F (AIPL total) and S (members)", barmode="group")
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
    return Section(id="fast", title_zh="FAST 消费者运营健康度", title_en="FAST", html=figure_html(fig, "chart-fast") + table)


@register_section("pools", 40)
def pools_section(snap: dict[str, Any]) -> Section:
    """Fan, member and customer pools, and the customer-pool transitions of the last 4 weeks."""
    import plotly.graph_objects as go

    from siyu.assets import POOL_LABELS, POOL_TYPES

    s = snap["pools"]
    titles = {"fan": "粉丝 Fans", "member": "会员 Members", "customer": "客户 Customers"}
    fig = go.Figure([go.Bar(name=titles[k], x=[f"{POOL_LABELS[k][c][0]} {c}" for c in POOL_LABELS[k]],
                            y=list(s[k].values())) for k in POOL_TYPES])
    fig.update_layout(title="关系池 Relationship pools")
    flows = {(r["from_pool"], r["to_pool"]): r["users"] for r in snap["pool_flows"]}
    left = sorted({k[0] for k in flows})
    right = sorted({k[1] for k in flows})
    zh = {**{c: POOL_LABELS["customer"][c][0] for c in POOL_LABELS["customer"]}, "∅": "无 none"}
    sankey = go.Figure(go.Sankey(
        node={"label": [f"{zh[n]} {n}" for n in left] + [f"→ {zh[n]} {n}" for n in right], "pad": 12},
        link={"source": [left.index(a) for a, _ in flows], "target": [len(left) + right.index(b) for _, b in flows],
              "value": list(flows.values())}))
    sankey.update_layout(title="客户池流转 Customer-pool transitions, last 4 weeks (weekly evaluations)")
    return Section(id="pools", title_zh="关系池与流转", title_en="Relationship pools and transitions",
                   html=figure_html(fig, "chart-pools") + figure_html(sankey, "chart-pool-flow"))


@register_section("grow", 50)
def grow_section(snap: dict[str, Any]) -> Section:
    """GROW: the GMV change split into penetration, repurchase and price (waterfall), new vs existing."""
    import plotly.graph_objects as go

    from siyu.assets.grow import GROW_LABELS

    g = snap["grow"]
    tot = g["total"]
    fig = go.Figure(go.Waterfall(
        x=[f"GMV {g['from']}", f"{GROW_LABELS['G'][0]} G", f"{GROW_LABELS['R'][0]} R", f"{GROW_LABELS['O'][0]} O",
           f"GMV {g['as_of']}"],
        measure=["absolute", "relative", "relative", "relative", "total"],
        y=[tot["gmv0"], tot["G"], tot["R"], tot["O"], tot["gmv1"]]))
    fig.update_layout(title=f"GROW 增长拆解 GMV change ({g['period_days']}-day periods, LMDI)")
    parts = ["new", "existing"]
    fig2 = go.Figure([go.Bar(name=f"{GROW_LABELS[k][0]} {k}", x=["新客 new", "老客 existing"],
                             y=[g[p][k] for p in parts]) for k in ("G", "R", "O")])
    fig2.update_layout(title="新老客拆解 New vs existing customers", barmode="relative")
    w = g["w"]
    def num(v: Any, spec: str) -> str:
        return "–" if v is None else format(v, spec)

    wrows = [{"k": "新品成交占比 new-SKU GMV share", "v": num(w["new_sku_gmv_share"], ".1%")},
             {"k": "新客首单含新品 new buyers whose first order has a new SKU", "v": num(w["new_sku_newcust_share"], ".1%")},
             {"k": "上新数 launches", "v": num(w["launches"], ",d")},
             {"k": "上新速度 launches per quarter", "v": num(w["launch_agility"], ".1f")},
             {"k": "延展力 GMV from new categories", "v": num(w["extension"], ",.0f")}]
    table = _table(wrows, [("k", f"{GROW_LABELS['W'][0]} {GROW_LABELS['W'][1]}"), ("v", "值 Value")])
    return Section(id="grow", title_zh="GROW 增长拆解", title_en="GROW decomposition",
                   html=figure_html(fig, "chart-grow") + figure_html(fig2, "chart-grow-new-old") + table)
