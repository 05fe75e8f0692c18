"""Rich rendering of a demo run for the terminal (bilingual labels)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from siyu.cli._common import note, show
from siyu.cli._render import RowTable, bilingual, fmt_value, plural
from siyu.metrics import KPI_LABELS
from siyu.report.page import _fmt

__all__ = ["print_demo"]


def print_demo(console: Console, res: dict[str, Any]) -> None:
    """Print loads, KPIs and top channels of a :func:`siyu.pipeline.demo.run_demo` result."""
    from siyu.cli._labels import CHANNEL_GROUP_LABELS

    loads = RowTable(("table 表", "rows 行", "new 新增", "replaced 替换", "unchanged 未变", "seconds 秒"),
                     [(r.table, f"{r.rows:,}", f"{r.inserted:,}", f"{r.replaced:,}", f"{r.unchanged:,}",
                       f"{r.seconds:.2f}") for r in res["loads"]],
                     numeric=(False, True, True, True, True, True), title="数据装载 Data loaded")
    s = res["summary"]
    kpis = RowTable(("指标", "KPI", "值 Value"), [(*KPI_LABELS[k], _fmt(k, v)) for k, v in s["kpis"].items()],
                    numeric=(False, False, True), column_styles=("bold", None, None),
                    title=f"店铺概览 Store summary · {s['as_of']} · W{s['window_days']}")
    ch = RowTable(("channel 渠道", "group 类别", "GMV", "share 占比"),
                  [(r["channel"], bilingual(*CHANNEL_GROUP_LABELS.get(r["channel_group"], (r["channel_group"], ""))),
                    f"¥{float(r['gmv']):,.2f}", f"{r['gmv_share']:.1%}") for r in s["channels"][:8]],
                  numeric=(False, False, True, True), title="渠道 Top channels by GMV")
    show(loads, kpis, ch, out=console)
    _print_assets(console, res["snapshot"])
    _print_audiences(console, res["snapshot"].get("audiences") or [])
    _print_reach(console, res["snapshot"].get("reach") or [], res["snapshot"].get("demo_reach"))
    _print_loyalty(console, res["snapshot"].get("demo_loyalty"))
    console.print(Panel(f"报告 Report: [bold]{escape(str(res['report']))}[/]\n工作区 Workspace: "
                        f"{escape(str(res['workspace']))}", title="siyu demo", border_style="green"))


def _print_assets(console: Console, a: dict[str, Any]) -> None:
    from siyu.assets import FAST_LABELS, POOL_LABELS, POOL_TYPES, STAGE_LABELS
    from siyu.assets.grow import GROW_LABELS
    from siyu.cli._labels import POOL_TYPE_LABELS

    s = a["aipl"]
    show(RowTable(("阶段 stage", "人数 users", "占比 mix"),
                  [(bilingual(*STAGE_LABELS[k], code=k), f"{s['counts'][k]:,}", fmt_value(s["mix"][k], "share"))
                   for k in ("A", "I", "P", "L")], numeric=(False, True, True),
                  title=f"AIPL 人群资产 · F = {s['total']:,}"), out=console)
    f = a["fast"]
    rows = []
    for k in ("F", "A", "S", "T"):
        v, pop = f["current"][k], f["change"][k]["pop"]["rel"]
        rows.append((bilingual(*FAST_LABELS[k], code=k), f"{v:,}" if isinstance(v, int) else fmt_value(v, "share"),
                     "–" if pop is None else f"{pop:+.1%}"))
    show(RowTable(("指标 metric", "当前 now", "环比 PoP"), rows, numeric=(False, True, True),
                  title="FAST 消费者运营健康度"), out=console)
    from siyu.cli._common import note
    from siyu.cli.assets import fast_notes

    for line in fast_notes(f):
        if "PoP" in line:
            note(line, console)
    p = a["pools"]
    show(RowTable(("池 pool", "分层 label", "人数 users"),
                  [(bilingual(*POOL_TYPE_LABELS[kind]), bilingual(*POOL_LABELS[kind][code]), f"{n:,}")
                   for kind in POOL_TYPES for code, n in p[kind].items()], numeric=(False, False, True),
                  title="关系池 Relationship pools"), out=console)
    g = a["grow"]
    show(RowTable(("", "ΔGMV", "G", "R", "O"),
                  [(label, *(fmt_value(g[part][k], "money") for k in ("delta", "G", "R", "O")))
                   for part, label in (("total", "合计 total"), ("new", "新客 new"), ("existing", "老客 existing"))],
                  numeric=(False, True, True, True, True),
                  title=f"GROW 增长拆解 {g['from']} → {g['as_of']} ({g['period_days']}-day periods)"), out=console)
    console.print(f"G {GROW_LABELS['G'][0]} · R {GROW_LABELS['R'][0]} · O {GROW_LABELS['O'][0]}")
    _print_gain(console, a)


def _print_audiences(console: Console, rows: list[dict[str, Any]]) -> None:
    """The saved audiences: size, share of all users, and the AIPL stages of their members."""
    if not rows:
        return
    show(RowTable(("人群 audience", "人数 users", "占比 share", "A / I / P / L", "条件 query"),
                  [(r["name"], f"{r['count']:,}", fmt_value(r["count"] / r["universe"] if r["universe"] else None,
                                                            "share"),
                    " / ".join(f"{r['mix']['aipl'].get(k, 0):,}" for k in ("A", "I", "P", "L")), r["query"])
                   for r in rows], numeric=(False, True, True, True, False),
                  title="人群圈选 Saved audiences (siyu audience list)"), out=console)


def _print_reach(console: Console, rows: list[dict[str, Any]], demo: dict[str, Any] | None) -> None:
    """The campaigns' reach funnel: audience, suppressed by reason, sent, delivered, opened, clicked."""
    if not rows:
        return
    cols = ("audience", "global_control", "holdout", "no_consent", "budget", "quiet_hours_dropped", "sent",
            "delivered", "opened", "clicked")
    show(RowTable(("活动 campaign", "人群 audience", "全局对照 global ctl", "对照 holdout", "未授权 no consent",
                   "预算 budget", "免打扰 quiet", "已发送 sent", "送达 delivered", "打开 opened", "点击 clicked"),
                  [(r["campaign_id"], *(f"{r[c]:,}" for c in cols)) for r in rows],
                  numeric=(False, *([True] * len(cols))), title="触达漏斗 Reach funnel (siyu campaign show ID)"),
         out=console)
    if demo:
        rx = demo["receiver"]
        note(f"webhook: the local receiver handled {rx['handled']:,} messages ({rx['deliveries']:,} deliveries, "
             "signatures verified, duplicates acknowledged once); the 人群包 exports are under exports/.",
             out=console)


def _print_gain(console: Console, a: dict[str, Any]) -> None:
    from siyu.health.gain import DIMENSIONS
    from siyu.health.linkplus import LINK_LABELS, MULTIPLES

    g = a["gain"]
    show(RowTable(("维度 dimension", "得分 score"),
                  [(bilingual(zh, en, code=d) + (" ← 最弱 weakest" if d == g["weakest_dimension"] else ""),
                    _num(g["dimensions"][d])) for d, (zh, en) in DIMENSIONS.items()], numeric=(False, True),
                  title=f"GAIN 用户价值健康度 · {_num(g['score'])} ({g['mode']} mode)"), out=console)
    for d in a["diagnosis"][:3]:
        console.print(f"[bold]{escape(d['indicator'])} {escape(d['name_zh'])}[/] {escape(d['name_en'])} → "
                      f"{escape(d['action_zh'])}\n   {escape(d['action_en'])} (机会 opportunity "
                      f"{plural(d['opportunity_users'], 'user')}, ¥{d['opportunity_gmv']:,.2f})", highlight=False)
    m = a["link"]["multiples"]
    parts = []
    for k in ("revisit", "kedanjia", "repeat_rate"):
        v = m[k]["value"] if isinstance(m[k], dict) else m[k]
        parts.append(f"{bilingual(*LINK_LABELS[MULTIPLES[k]])} {_num(v, '.2f')}×")
    console.print("LINK+ 关系用户 ÷ 大盘 relationship ÷ all: " + ", ".join(parts), highlight=False)
    c = a.get("clv", {})
    if "error" in c:
        console.print(escape(f"CLV: {c['error']}"), highlight=False)
    elif c:
        p = ", ".join(f"{k} {v:.3g}" for k, v in c["params"].items())
        console.print(escape(f"CLV 客户终身价值 (BG/NBD {p}; Gamma-Gamma): {plural(c['customers'], 'customer')}, "
                             f"predicted 365-day CLV ¥{c['predicted_clv_total']:,.2f}, mean P(alive) "
                             f"{c['p_alive_mean']:.2f}"), highlight=False)


def _num(v: Any, spec: str = ".0f") -> str:
    return "–" if v is None else format(v, spec)



def _print_loyalty(console: Console, run: dict[str, Any] | None) -> None:
    """The demo program's members per tier and changes per reason."""
    if not run:
        return
    reasons = {"upgrade": "升级 upgrades", "review": "定级降级 review downgrades", "left": "退会 left"}
    rows = [(tier or "无等级 no tier", f"{n:,}") for tier, n in run["by_tier"].items()]
    rows += [(reasons[k], f"{n:,}") for k, n in run["changes"].items()]
    show(RowTable(("会员等级 tier / 变更 changes", "人数 count"), rows, numeric=(False, True),
                  title=f"会员计划 {run['program']} at {run['as_of']} ({run['members']:,} members)"), out=console)
    note(f"program file: {run['file']} — siyu loyalty members --program {run['file']} --as-of {run['as_of']}")
    off = run.get("offers") or {}
    q = off.get("quote")
    if not q:
        return
    rows = [(f"✓ {r['rule']}", r["id"], f"−¥{r['amount']:,.2f}" if r["amount"] >= 0 else f"+¥{-r['amount']:,.2f}")
            for r in q["applied"]]
    rows += [(f"✗ {r['rule']}", r["id"], r["reason"]) for r in q["rejected"]]
    show(RowTable(("规则 rule", "id", "金额 / 原因 amount / reason"), rows,
                  title=f"报价 Quote: {off['user']} × {off['sku']} ×{off['qty']} at {off['at']} — list "
                        f"¥{q['list_price']:,.2f}, pays ¥{q['price']:,.2f} (¥{q['unit_price']:,.2f} each)"), out=console)
    note(f"offers file: {off['file']} — siyu quote --user {off['user']} --sku {off['sku']} --qty {off['qty']} "
         f"--at \"{off['at']}\" --format json")
