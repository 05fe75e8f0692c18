"""`siyu autobid advise` (registered on siyu.cli_autobid.autobid_app): parse, call :func:`siyu.autobid.advisor.advise`,
print."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from siyu.cli import Fmt, FormatOpt, console, err
from siyu.cli_autobid import autobid_app


class Strength(str, Enum):
    hot = "hot"
    normal = "normal"
    new = "new"


class Goal(str, Enum):
    max_gmv = "max-gmv"
    max_profit = "max-profit"


#: curve columns shown in the table: key -> bilingual header
CURVE_COLUMNS: dict[str, str] = {
    "target_roi": "目标ROI Target",
    "expected_gmv": "预期GMV Exp. GMV",
    "gmv": "实际GMV GMV",
    "spend": "消耗 Spend",
    "orders": "订单 Orders",
    "realized_roi": "实际ROI ROI",
    "budget_use": "预算使用 Budget",
    "p_miss": "未达标 P(<R)",
    "compensation": "预期赔付 Comp.",
}


def parse_targets(text: str) -> list[float]:
    """``2,2.5,3`` or a range ``2:5:0.5`` (start:stop:step, stop included) → target ROIs."""
    from siyu._exceptions import ConfigError

    try:
        if ":" in text:
            parts = [float(x) for x in text.split(":")]
            if len(parts) != 3 or parts[2] <= 0 or parts[1] < parts[0]:
                raise ValueError
            start, stop, step = parts
            n = round((stop - start) / step)
            return [round(start + i * step, 10) for i in range(n + 1) if start + i * step <= stop + 1e-9]
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(f"--targets {text!r}: write numbers separated by commas (2,2.5,3) or a range "
                          f"start:stop:step (2:5:0.5)") from None


def _fmt(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.2f}" if abs(v) < 100 else f"{v:,.0f}"
    return str(v)


@autobid_app.command("advise")
def advise(profile: Annotated[Strength, typer.Option(help="Product strength: hot (爆品), normal, new (新品).")]
           = Strength.normal,
           budget: Annotated[Optional[float], typer.Option(min=0.0, help="Budget per run of --days days (¥) "
                                                                         "[default: none].")] = None,
           goal: Annotated[Goal, typer.Option(help="max-gmv (with --roi-floor) or max-profit (with --margin).")]
           = Goal.max_gmv,
           roi_floor: Annotated[Optional[float], typer.Option(help="Least realized ROI for max-gmv [default: 0.9 × "
                                                                   "each target, the compensation line].")] = None,
           margin: Annotated[Optional[float], typer.Option(help="Gross margin rate for max-profit, e.g. 0.4.")]
           = None,
           targets: Annotated[str, typer.Option(help="Target ROIs: 2,2.5,3 or a range 2:5:0.5.")]
           = "2,2.5,3,3.5,4,4.5,5",
           seeds: Annotated[int, typer.Option(min=1, help="Simulated weeks per target (seeds 0…n−1).")] = 3,
           impressions: Annotated[int, typer.Option(min=100, help="Mean auctions a day (tier A).")] = 20_000,
           days: Annotated[int, typer.Option(min=1, help="Days per simulated run.")] = 7,
           products: Annotated[Optional[Path], typer.Option(
               help="CSV of products to screen: product_id, sales_30d, ctr, pcvr, price [, reviews, rating, "
                    "category_market_roi, category_ctr, decision_days, target_roi].")] = None,
           market_roi: Annotated[float, typer.Option(min=0.0, help="Category market ROI for the product screen.")]
           = 3.0,
           min_sales: Annotated[int, typer.Option(min=0, help="Fewer 30-day sales: a new product that will not "
                                                              "deliver.")] = 15,
           chart: Annotated[Optional[Path], typer.Option(help="Write the volume–ROI chart (standalone HTML) "
                                                              "here.")] = None,
           fmt: FormatOpt = Fmt.table) -> None:
    """Advise on 全站推: the volume–ROI curve, the target ROI and budget for a goal, expected compensation, and a
    product screen (hot / normal / test-first)."""
    from siyu._exceptions import ConfigError
    from siyu._render import to_json
    from siyu.autobid.advisor import ScreenRule
    from siyu.autobid.advisor import advise as run_advise

    if fmt not in (Fmt.table, Fmt.json):
        raise ConfigError("siyu autobid advise prints --format table or json")
    if budget is not None and budget <= 0:
        raise ConfigError(f"--budget must be > 0, got {budget:g}")
    adv = run_advise(profile.value, targets=parse_targets(targets), budget=float("inf") if budget is None else budget,
                     seeds=seeds, goal=goal.value.replace("-", "_"), roi_floor=roi_floor, margin=margin,
                     products=products, market_roi=market_roi, chart=chart, impressions_per_day=impressions,
                     days=days, screen=ScreenRule(min_sales=min_sales))
    if fmt is Fmt.json:
        print(to_json(adv.as_dict()))
        return
    from rich.table import Table

    rec = adv.recommendation
    t = Table(title=f"量–ROI 曲线 Volume–ROI curve — {adv.curve.profile}, {len(adv.curve.seeds)} seeds × {days} "
                    f"days, {impressions:,} impressions/day, bidder {adv.curve.bidder}")
    for h in CURVE_COLUMNS.values():
        t.add_column(h, justify="right")
    for row in adv.curve.rows():
        mark = row["target_roi"] == rec.target_roi
        t.add_row(*[_fmt(row[k]) for k in CURVE_COLUMNS], style="bold green" if mark else None)
    console.print(t)
    r = Table(title="推荐 Recommendation" + ("" if rec.feasible else " (未达目标 not met)"), show_header=False)
    r.add_column("", style="bold")
    r.add_column("")
    r.add_row("目标 ROI Target ROI", f"{rec.target_roi:g}")
    r.add_row("预算 Budget", f"¥{rec.budget:,.0f} / {days} 天 days (¥{rec.budget_per_day:,.0f} / 天 day)")
    r.add_row("预期 GMV Expected GMV", f"¥{rec.point.expected_gmv:,.0f}")
    r.add_row("实际 ROI Realized ROI", _fmt(rec.point.realized_roi))
    r.add_row("预期赔付 Expected compensation", f"¥{rec.point.compensation:,.0f}")
    for zh, en in zip(rec.reasons_zh, rec.reasons_en):
        r.add_row("理由 Reason", f"{zh}\n{en}")
    console.print(r)
    if adv.products is not None:
        from siyu.autobid.advisor import TIERS

        p = Table(title=f"选品 Product screen at target ROI {rec.target_roi:g}")
        for h in ("商品 Product", "分层 Tier", "能跑量 Will deliver", "理由 Reasons"):
            p.add_column(h)
        for v in adv.products:
            p.add_row(v.product_id, " ".join(TIERS[v.tier]), "是 yes" if v.will_deliver else "否 no",
                      "\n".join(f"{zh} / {en}" for zh, en in zip(v.reasons_zh, v.reasons_en)))
        console.print(p)
    if chart is not None:
        err.print(f"chart written to {chart}")
