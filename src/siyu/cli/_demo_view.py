"""Rich rendering of a demo run for the terminal (bilingual labels)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from siyu.report.page import _fmt
from siyu.metrics import KPI_LABELS

__all__ = ["print_demo"]


def print_demo(console: Console, res: dict[str, Any]) -> None:
    """Print loads, KPIs and top channels of a :func:`siyu.pipeline.demo.run_demo` result."""
    loads = Table(title="数据装载 Data loaded", show_lines=False)
    for col in ("table 表", "rows 行", "new 新增", "replaced 替换", "unchanged 未变", "seconds 秒"):
        loads.add_column(col, justify="left" if col.startswith("table") else "right")
    for r in res["loads"]:
        loads.add_row(r.table, f"{r.rows:,}", f"{r.inserted:,}", f"{r.replaced:,}", f"{r.unchanged:,}", f"{r.seconds:.2f}")
    s = res["summary"]
    kpis = Table(title=f"店铺概览 Store summary · {s['as_of']} · W{s['window_days']}")
    kpis.add_column("指标", style="bold")
    kpis.add_column("KPI")
    kpis.add_column("值 Value", justify="right")
    for k, v in s["kpis"].items():
        kpis.add_row(KPI_LABELS[k][0], KPI_LABELS[k][1], _fmt(k, v))
    ch = Table(title="渠道 Top channels by GMV")
    for col in ("channel 渠道", "group 类别", "GMV", "share 占比"):
        ch.add_column(col, justify="right" if col in ("GMV", "share 占比") else "left")
    for r in s["channels"][:8]:
        ch.add_row(r["channel"], r["channel_group"], f"¥{float(r['gmv']):,.0f}", f"{r['gmv_share']:.1%}")
    console.print(loads)
    console.print(kpis)
    console.print(ch)
    _print_assets(console, res["snapshot"])
    console.print(Panel(f"报告 Report: [bold]{res['report']}[/]\n工作区 Workspace: {res['workspace']}",
                        title="siyu demo", border_style="green"))


def _print_assets(console: Console, a: dict[str, Any]) -> None:
    from siyu.assets import FAST_LABELS, POOL_LABELS, POOL_TYPES, STAGE_LABELS
    from siyu.assets.grow import GROW_LABELS

    s = a["aipl"]
    t = Table(title=f"AIPL 人群资产 · F = {s['total']:,}")
    for col in ("阶段 stage", "人数 users", "占比 mix"):
        t.add_column(col, justify="left" if col.startswith("阶段") else "right")
    for k in ("A", "I", "P", "L"):
        t.add_row(f"{STAGE_LABELS[k][0]} {STAGE_LABELS[k][1]}", f"{s['counts'][k]:,}", f"{s['mix'][k]:.1%}")
    console.print(t)
    f = a["fast"]
    t = Table(title="FAST 消费者运营健康度")
    for col in ("指标 metric", "当前 now", "环比 PoP"):
        t.add_column(col, justify="left" if col.startswith("指标") else "right")
    for k in ("F", "A", "S", "T"):
        v, pop = f["current"][k], f["change"][k]["pop"]["rel"]
        t.add_row(f"{k} {FAST_LABELS[k][0]} {FAST_LABELS[k][1]}", f"{v:,}" if isinstance(v, int) else _pct(v), _pct(pop))
    console.print(t)
    p = a["pools"]
    t = Table(title="关系池 Relationship pools")
    t.add_column("池 pool")
    t.add_column("分层 label")
    t.add_column("人数 users", justify="right")
    for kind in POOL_TYPES:
        for code, n in p[kind].items():
            t.add_row(kind, f"{POOL_LABELS[kind][code][0]} {code}", f"{n:,}")
    console.print(t)
    g = a["grow"]
    t = Table(title=f"GROW 增长拆解 {g['from']} → {g['as_of']} ({g['period_days']}-day periods)")
    for col in ("", "ΔGMV", "G", "R", "O"):
        t.add_column(col, justify="right")
    for part, label in (("total", "合计 total"), ("new", "新客 new"), ("existing", "老客 existing")):
        r = g[part]
        t.add_row(label, *(f"{r[k]:,.0f}" for k in ("delta", "G", "R", "O")))
    console.print(t)
    console.print(f"G {GROW_LABELS['G'][0]} · R {GROW_LABELS['R'][0]} · O {GROW_LABELS['O'][0]}")
    _print_gain(console, a)


def _print_gain(console: Console, a: dict[str, Any]) -> None:
    from siyu.health.gain import DIMENSIONS

    g = a["gain"]
    t = Table(title=f"GAIN 用户价值健康度 · {_num(g['score'])} ({g['mode']} mode)")
    t.add_column("维度 dimension")
    t.add_column("得分 score", justify="right")
    for d, (zh, en) in DIMENSIONS.items():
        mark = " ← 最弱 weakest" if d == g["weakest_dimension"] else ""
        t.add_row(f"{d} {zh} {en}{mark}", _num(g["dimensions"][d]))
    console.print(t)
    for d in a["diagnosis"][:3]:
        console.print(f"[bold]{d['indicator']} {d['name_zh']}[/] {d['name_en']} → {d['action_zh']}\n"
                      f"   {d['action_en']} (机会 opportunity {d['opportunity_users']:,} users, "
                      f"¥{d['opportunity_gmv']:,.0f})", highlight=False)
    m = a["link"]["multiples"]
    parts = []
    for k in ("revisit", "kedanjia", "repeat_rate"):
        v = m[k]["value"] if isinstance(m[k], dict) else m[k]
        parts.append(f"{k} {_num(v, '.2f')}×")
    console.print("LINK+ 关系用户 ÷ 大盘 relationship ÷ all: " + ", ".join(parts))
    c = a.get("clv", {})
    if "error" in c:
        console.print(f"CLV: {c['error']}")
    elif c:
        p = ", ".join(f"{k} {v:.3g}" for k, v in c["params"].items())
        console.print(f"CLV 客户终身价值 (BG/NBD {p}; Gamma-Gamma): {c['customers']:,} customers, predicted 365-day CLV "
                      f"¥{c['predicted_clv_total']:,.0f}, mean P(alive) {c['p_alive_mean']:.2f}")


def _num(v: Any, spec: str = ".0f") -> str:
    return "–" if v is None else format(v, spec)


def _pct(v: Any) -> str:
    return "–" if v is None else f"{v:.1%}"
