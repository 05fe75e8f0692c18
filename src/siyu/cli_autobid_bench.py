"""`siyu autobid bench` (registered on siyu.cli_autobid.autobid_app): parse, call :mod:`siyu.autobid.bench`, print."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from siyu.cli import Fmt, FormatOpt, console, err
from siyu.cli_autobid import autobid_app


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


def _split(values: Optional[list[str]]) -> Optional[list[str]]:
    """Repeated options and comma-separated lists alike."""
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _fmt(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 10 else f"{v:,.1f}"
    return str(v)


def _table(rows: list[dict], title: str, keys: list[str], *, ci: bool = True):
    from rich.table import Table

    t = Table(title=title)
    for k in keys:
        t.add_column(COLUMNS[k], justify="left" if k in ("bidder", "profile") else "right")
    for r in rows:
        cells = []
        for k in keys:
            v = r.get(k)
            ci = r.get(f"{k}_ci") if ci else None
            cells.append(_fmt(v) + (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci and v is not None else ""))
        t.add_row(*cells)
    return t


@autobid_app.command("bench")
def bench(seeds: Annotated[int, typer.Option(min=1, help="Seeds per profile (runs = profiles × seeds).")] = 30,
          impressions: Annotated[int, typer.Option(min=100, help="Mean auctions a day (tier A).")] = 60_000,
          profiles: Annotated[Optional[list[str]], typer.Option(
              help="Profiles strength/target/binding (repeat or comma-separate) [default: all 18].")] = None,
          bidders: Annotated[Optional[list[str]], typer.Option(
              help="Registered bidders (repeat or comma-separate) [default: all].")] = None,
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
    """Benchmark the bidders on tier-A runs: GMV efficiency, ROI violations, budget pace, compensation (AUTOBID.md)."""
    from siyu._exceptions import ConfigError
    from siyu._render import to_json
    from siyu.autobid import bench as b

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
    console.print(_table(board["overall"], f"排行榜 Scoreboard — {len(cfg['profiles'])} profiles × {cfg['seeds']} "
                                           f"seeds, {cfg['impressions_per_day']:,} impressions/day, "
                                           f"{cfg['scenario']}", head))
    console.print(_table(sorted(board["profiles"], key=lambda r: (r["profile"], r["bidder"])),
                         "分画像 By profile", ["profile"] + head[:-1], ci=False))
    if "frontier" in out:
        pts = out["frontier"]["points"]
        from rich.table import Table

        t = Table(title=f"GMV–违约前沿 GMV–violation frontier ({out['frontier']['config']['efficiency']} vs "
                        f"{out['frontier']['config']['violation']})")
        for h in ("出价器 Bidder", "风险旋钮 Knob", "效率 Efficiency", "违约率 Violation"):
            t.add_column(h, justify="left" if h.startswith(("出价", "风险")) else "right")
        for p in pts:
            t.add_row(p["bidder"], p.get("knob") or "–", _fmt(p["efficiency"]), _fmt(p["violation"]))
        console.print(t)
        dom = [f"{d['bidder']} ≽ {d['other']}" for d in out["frontier"]["dominance"] if d["dominates"]]
        console.print("弱占优 Weak dominance: " + (", ".join(dom) if dom else "none 无"))
        if chart is not None:
            err.print(f"frontier chart written to {chart}")
