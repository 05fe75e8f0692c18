"""Rich rendering of a demo run for the terminal (bilingual labels)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from siyu.report import _fmt
from siyu.summary import KPI_LABELS

__all__ = ["print_demo"]


def print_demo(console: Console, res: dict[str, Any]) -> None:
    """Print loads, KPIs and top channels of a :func:`siyu.demo.run_demo` result."""
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
    console.print(Panel(f"报告 Report: [bold]{res['report']}[/]\n工作区 Workspace: {res['workspace']}",
                        title="siyu demo", border_style="green"))
