"""CLI of 全站推 auto-bidding: ``siyu autobid bench`` and ``siyu autobid advise`` (thin: parse, call, print)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from siyu.cli._common import Fmt, FormatOpt, console, err, show

autobid_app = typer.Typer(help="全站推 ROI-targeted auto-bidding: benchmark the bidders, advise on target ROI, "
                               "budget and products.", no_args_is_help=True)


class Scenario(str, Enum):
    default = "default"
    stationary = "stationary"


#: scoreboard columns shown in tables: key -> bilingual header
COLUMNS: dict[str, str] = {
    "bidder": "出价器 Bidder",
    "profile": "画像 Profile",
    "efficiency_lp": "效率/LP Eff/LP",
    "efficiency_ceiling": "效率/上限 Eff/ceil",
    "efficiency_realized": "实现效率 Realized",
    "attainment": "ROI达成 Attain",
    "p_below_r": "P(<R)",
    "p_below_0.9r": "P(<0.9R)",
    "p_below_0.9r_300": "P(<0.9R) ≥300单",
    "p_below_0.8r": "P(<0.8R)",
    "budget_use": "预算使用 Budget",
    "hours_to_50": "50%预算 h",
    "hours_to_90": "90%预算 h",
    "compensation_share": "赔付率 Comp",
}
#: scoreboard columns shown as percentages (shares of runs or of budget); the rest are ratios and hours
PERCENT_COLUMNS = frozenset({"p_below_r", "p_below_0.9r", "p_below_0.9r_300", "p_below_0.8r", "budget_use",
                             "compensation_share"})


def _split(values: Optional[list[str]]) -> Optional[list[str]]:
    """Repeated options and comma-separated lists alike."""
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _fmt(v, percent: bool = False) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        if percent:
            return f"{v:.1%}"
        return f"{v:.3f}" if abs(v) < 10 else f"{v:,.1f}"
    return str(v)


def _table(rows: list[dict], title: str, keys: list[str], *, ci: bool = True):
    """A scoreboard table: every value with its 95 % interval ``[low–high]`` where the row has one (``ci``)."""
    from siyu.cli._render import RowTable

    cells = []
    for r in rows:
        out = []
        for k in keys:
            v, pct = r.get(k), k in PERCENT_COLUMNS
            interval = r.get(f"{k}_ci") if ci else None
            text = _fmt(v, pct)
            if interval and v is not None and None not in interval:
                lo, hi = (f"{x * 100:.0f}" if pct else f"{x:.2f}" for x in interval)
                text += f" [{lo}–{hi}{'%' if pct else ''}]"
            out.append(text)
        cells.append(out)
    return RowTable([COLUMNS[k] for k in keys], cells, numeric=[k not in ("bidder", "profile") for k in keys],
                    title=title)


@autobid_app.command("bench")
def bench(seeds: Annotated[int, typer.Option(min=1, help="Seeds per profile (runs = profiles × seeds).")] = 30,
          impressions: Annotated[int, typer.Option(min=100, help="Mean auctions a day (tier A).")] = 60_000,
          profiles: Annotated[Optional[list[str]], typer.Option(
              help="Profiles strength/target/binding (repeat or comma-separate). \\[default: all 18]")] = None,
          bidders: Annotated[Optional[list[str]], typer.Option(
              help="Registered bidders (repeat or comma-separate). \\[default: all]")] = None,
          scenario: Annotated[Scenario, typer.Option(help="Traffic scenario.")] = Scenario.default,
          frontier: Annotated[bool, typer.Option("--frontier/--no-frontier",
                                                 help="Also sweep every bidder's risk knobs (the GMV–violation frontier).")] = False,
          margins: Annotated[str, typer.Option(help="Margins the frontier sweeps (comma-separated).")] = "-0.3,-0.15,-0.05,0,0.05,0.1,0.15,0.2,0.3",
          miss_prices: Annotated[str, typer.Option(help="siyu's miss prices the frontier also sweeps (comma-separated; "
                                                        "empty for none).")] = "0.1,0.3,1,3,10,30",
          chart: Annotated[Optional[Path], typer.Option(help="Write the frontier chart (standalone HTML) here; "
                                                             "implies --frontier.")] = None,
          processes: Annotated[int, typer.Option(min=1, help="Worker processes over (profile, seed).")] = 2,
          fmt: FormatOpt = Fmt.table) -> None:
    """Benchmark the bidders on tier-A runs: GMV efficiency, ROI violations, budget pace, compensation (docs/autobid.md)."""
    from siyu._exceptions import ConfigError
    from siyu.autobid import bench as b
    from siyu.cli._render import plural, to_json

    def numbers(option: str, text: str, example: str) -> list[float]:
        try:
            return [float(m) for m in text.split(",") if m.strip()]
        except ValueError:
            raise ConfigError(f"{option} {text!r}: write numbers separated by commas, e.g. {example}") from None

    margin_list = numbers("--margins", margins, "0,0.05,0.1")
    price_list = numbers("--miss-prices", miss_prices, "1,3,10")
    common = dict(profiles=_split(profiles), seeds=seeds, impressions_per_day=impressions, scenario=scenario.value,
                  processes=processes, progress=True)
    board = b.scoreboard(_split(bidders), **common)
    out: dict = {"config": board["config"], "overall": board["overall"], "profiles": board["profiles"]}
    if frontier or chart is not None:
        fr = b.frontier(_split(bidders), margins=margin_list,
                        knobs={"siyu": {"miss_price": price_list}} if price_list else {}, **common)
        out["frontier"] = {"points": fr["points"], "dominance": fr["dominance"], "config": fr["config"]}
        if chart is not None:
            b.frontier_chart(fr, chart)
            out["chart"] = str(chart)
    if fmt is Fmt.json:
        print(to_json(out))
        return
    if fmt is not Fmt.table:
        raise ConfigError("siyu autobid bench prints --format table or json")
    cfg = board["config"]
    head = ["bidder", "efficiency_lp", "efficiency_ceiling", "efficiency_realized", "attainment", "p_below_r",
            "p_below_0.9r", "p_below_0.9r_300", "budget_use", "hours_to_50", "compensation_share"]
    show(_table(board["overall"], f"排行榜 Scoreboard — {plural(len(cfg['profiles']), 'profile')} × "
                                  f"{plural(cfg['seeds'], 'seed')}, {cfg['impressions_per_day']:,} impressions/day, "
                                  f"{cfg['scenario']}; [95% interval]", head),
         _table(sorted(board["profiles"], key=lambda r: (r["profile"], r["bidder"])),
                "分画像 By profile", ["profile"] + head[:-1], ci=False))
    if "frontier" in out:
        from siyu.cli._render import RowTable

        pts = out["frontier"]["points"]
        eff, vio = out["frontier"]["config"]["efficiency"], out["frontier"]["config"]["violation"]
        show(RowTable(("出价器 Bidder", "风险旋钮 Knob", "效率 Efficiency", "违约率 Violation"),
                      [(p["bidder"], p.get("knob") or "–", _fmt(p["efficiency"]), _fmt(p["violation"], True))
                       for p in pts], numeric=(False, False, True, True),
                      title=f"GMV–违约前沿 GMV–violation frontier ({COLUMNS.get(eff, eff)} vs "
                            f"{COLUMNS.get(vio, vio)})"))
        dom = [f"{d['bidder']} ≽ {d['other']}" for d in out["frontier"]["dominance"] if d["dominates"]]
        console.print("弱占优 Weak dominance: " + (", ".join(dom) if dom else "none 无"))
        if chart is not None:
            err.print(f"frontier chart written to {chart}")


# -- advise ----------------------------------------------------------------------------------------------------
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


#: how the curve columns are shown (siyu.cli._render.fmt_value kinds)
CURVE_KINDS = {"target_roi": None, "expected_gmv": "money", "gmv": "money", "spend": "money", "orders": "count",
               "realized_roi": None, "budget_use": "share", "p_miss": "share", "compensation": "money"}


def _fmt_curve(v, kind: str | None = None) -> str:
    from siyu.cli._render import fmt_value

    if kind is None and isinstance(v, float):
        return f"{v:.2f}" if abs(v) < 100 else f"{v:,.0f}"
    return fmt_value(v, kind)


@autobid_app.command("advise")
def advise(profile: Annotated[Strength, typer.Option(help="Product strength: hot (爆品), normal, new (新品).")]
           = Strength.normal,
           budget: Annotated[Optional[float], typer.Option(min=0.0, help="Budget per run of --days days (¥). "
                                                                         "\\[default: none]")] = None,
           goal: Annotated[Goal, typer.Option(help="max-gmv (with --roi-floor) or max-profit (with --margin).")]
           = Goal.max_gmv,
           roi_floor: Annotated[Optional[float], typer.Option(help="Least realized ROI for max-gmv. \\[default: 0.9 "
                                                                   "× each target, the compensation line]")] = None,
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
    from siyu.autobid.advisor import ScreenRule
    from siyu.autobid.advisor import advise as run_advise
    from siyu.cli._render import to_json

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
    from siyu.cli._render import RowTable, fmt_value, plural

    rec = adv.recommendation
    rows = adv.curve.rows()
    show(RowTable(CURVE_COLUMNS.values(), [[_fmt_curve(row[k], CURVE_KINDS[k]) for k in CURVE_COLUMNS] for row in rows],
                  numeric=[True] * len(CURVE_COLUMNS),
                  row_styles=["bold green" if row["target_roi"] == rec.target_roi else None for row in rows],
                  title=f"量–ROI 曲线 Volume–ROI curve — {adv.curve.profile}, {plural(len(adv.curve.seeds), 'seed')} "
                        f"× {plural(days, 'day')}, {impressions:,} impressions/day, bidder {adv.curve.bidder}"))
    money = lambda v: fmt_value(v, "money")  # noqa: E731
    facts = [("目标 ROI Target ROI", f"{rec.target_roi:g}"),
             ("预算 Budget", f"{money(rec.budget)} / {days} 天 {'day' if days == 1 else 'days'} "
                            f"({money(rec.budget_per_day)} / 天 day)"),
             ("预期 GMV Expected GMV", money(rec.point.expected_gmv)),
             ("实际 ROI Realized ROI", _fmt_curve(rec.point.realized_roi)),
             ("预期赔付 Expected compensation", money(rec.point.compensation))]
    facts += [("理由 Reason", f"{zh}\n{en}") for zh, en in zip(rec.reasons_zh, rec.reasons_en)]
    show(RowTable(("", ""), facts, title="推荐 Recommendation" + ("" if rec.feasible else " (未达目标 not met)"),
                  show_header=False, column_styles=("bold", None)))
    if adv.products is not None:
        from siyu.autobid.advisor import TIERS

        show(RowTable(("商品 Product", "分层 Tier", "能跑量 Will deliver", "理由 Reasons"),
                      [(v.product_id, " ".join(TIERS[v.tier]), "是 yes" if v.will_deliver else "否 no",
                        "\n".join(f"{zh} / {en}" for zh, en in zip(v.reasons_zh, v.reasons_en)))
                       for v in adv.products], title=f"选品 Product screen at target ROI {rec.target_roi:g}"))
    if chart is not None:
        err.print(f"chart written to {chart}")


def register(app: typer.Typer) -> None:
    """Add the ``autobid`` command group to the root app."""
    app.add_typer(autobid_app, name="autobid")
