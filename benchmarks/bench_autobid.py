"""Benchmark of 全站推 auto-bidding (docs/autobid.md §Goals): bidder speed and the goals run.

    python benchmarks/bench_autobid.py speed [--impressions 1000000] [--bidders fixed,siyu] [--repeat 3] [--option k=v]
    python benchmarks/bench_autobid.py goals [--seeds 30] [--impressions 60000] [--processes 2]
    python benchmarks/bench_autobid.py frontier [--seeds 10] [--impressions 60000] [--processes 2]

**speed** — impressions per second of one bidder on tier A (replay only: the week is simulated first and not
timed), 1M impressions a day × 7 days, on one core, median of ``--repeat`` runs. The goal is ≥ 1M impressions/s.

**goals** — every registered bidder on all 18 profiles × ``--seeds`` (30) seeds in the ``default`` scenario
(±20 % miscalibration, 2 shocks a day); siyu and the oracle (``--stationary-bidders``) on the ``stationary`` one
(calibrated); the GMV–violation frontier of siyu, PID and dual mirror descent (margins −0.3 … 0.3, and siyu's miss
prices 0.1 … 30) in the default scenario on ``--frontier-seeds`` (10) seeds × 18 profiles; prints the docs/autobid.md goal
numbers and whether each is met:

1. mean GMV efficiency of siyu ≥ 0.98 of the attainable ceiling (default scenario);
2. ≥ 0.97 of the LP itself on stationary, calibrated traffic;
3. realized ROI ≥ 0.9·R in ≥ 95 % of merchant-weeks with ≥ 300 orders (default scenario);
4. compensation ≤ 1 % of spend (default scenario);
5. siyu's frontier weakly dominates PID's and dual mirror descent's.

Runtime (AMD EPYC, 2 cores, measured per (profile, seed) at 100k impressions a day — the default; hot merchants see
150k, new ones 50k): simulation 0.3 s, LP + ceiling 0.25 s, replays siyu 0.6 s, onlinelp 0.5 s, the others
0.05–0.2 s. The default scoreboard (540 runs × 7 bidders) takes about 10 minutes, the stationary one (siyu, oracle)
about 6, the frontier (180 runs × 33 replays: 9 margins × 3 bidders and siyu's 6 miss prices) about 20 (measured
1,202 s at 60k impressions a day): roughly 40 minutes on 2 cores; ``frontier`` runs the last part alone. Most of
siyu's cost is per step, not per impression, so fewer impressions save less than fewer seeds.
``--seeds 2 --frontier-seeds 2 --impressions 20000`` is a smoke run of a few minutes (measured: 285 s with all bidders on both scenarios while
the test suite shared the 2 cores).
``--json PATH`` writes every aggregate for the record.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}"


def speed(bidders: list[str], impressions: int, repeat: int, days: int, options: dict | None = None) -> list[dict]:
    import numpy as np

    from siyu.autobid.bidders import make_bidder
    from siyu.autobid.market import simulate
    from siyu.autobid.harness import replay

    t = simulate("normal/mid/roi", np.random.default_rng(0), impressions_per_day=impressions, days=days)
    out = []
    for name in bidders:
        times = []
        for _ in range(repeat):
            opts = {"traffic": t} if name == "oracle" else dict(options or {})
            b = make_bidder(name, target_roi=t.target_roi, budget=t.budget, n_steps=t.n_steps, **opts)
            t0 = time.perf_counter()
            replay(t, b)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        out.append({"bidder": name, "impressions": len(t), "seconds": med, "impressions_per_s": len(t) / med,
                    "goal_met": len(t) / med >= 1e6})
        print(f"{name:10s} {len(t):>11,} impressions  {med:7.3f} s  {len(t) / med / 1e6:6.2f} M impressions/s  "
              f"{'met' if len(t) / med >= 1e6 else 'NOT met'} (goal 1 M/s)", flush=True)
    return out


def run_frontier(seeds: int, impressions: int, processes: int, margins: list[float]) -> tuple[dict, list[tuple]]:
    """The frontier of siyu, PID and dual (siyu also at its miss prices) and the dominance checks."""
    from siyu.autobid.bench import dominates, frontier
    from siyu.autobid.bidders import BIDDERS

    contenders = [b for b in ("siyu", "pid", "dual") if b in BIDDERS]
    fr = frontier(contenders, None, seeds, margins=margins, impressions_per_day=impressions, scenario="default",
                  processes=processes, progress=True)
    checks = []
    for axis, label in (("violation", "P(ROI<R)"), ("p_below_0.9r", "P(ROI<0.9R)")):
        pts = {b: [(p["efficiency"], p[axis]) for p in fr["points"] if p["bidder"] == b] for b in contenders}
        for other in ("pid", "dual"):
            if "siyu" in pts and other in pts:
                checks.append((f"siyu weakly dominates {other} on the frontier (violation {label})", None,
                               dominates(pts["siyu"], pts[other])))
    return fr, checks


def print_frontier(fr: dict) -> None:
    print("\nfrontier (efficiency vs ceiling, P(ROI < R), P(ROI < 0.9R), compensation ÷ spend):")
    for p in fr["points"]:
        print(f"  {p['bidder']:6s} {p['knob'] or 'oracle':>16}  {p['efficiency']:.3f}  {p['violation']:.3f}  "
              f"{p['p_below_0.9r']:.3f}  {p['compensation_share']:.4f}")


def print_checks(checks: list[tuple]) -> None:
    print("\nGoals (docs/autobid.md):")
    for name, value, met in checks:
        shown = "" if value is None else f" = {value:.4f}"
        print(f"  [{'met' if met else 'NOT met'}] {name}{shown}")


def frontier_only(seeds: int, impressions: int, processes: int, margins: list[float]) -> dict:
    t0 = time.perf_counter()
    fr, checks = run_frontier(seeds, impressions, processes, margins)
    t1 = time.perf_counter()
    print(f"\n{machine()}; frontier {seeds} seeds × 18 profiles, {impressions:,} impressions/day, {processes} "
          f"processes; runtime {t1 - t0:.0f} s")
    print_frontier(fr)
    print_checks(checks)
    return {"machine": machine(), "frontier_seeds": seeds, "impressions_per_day": impressions,
            "runtime_s": {"frontier": t1 - t0}, "frontier": {"points": fr["points"], "dominance": fr["dominance"]},
            "goals": [{"goal": n, "value": v, "met": bool(m)} for n, v, m in checks]}


def goals(seeds: int, impressions: int, processes: int, margins: list[float], frontier_seeds: int,
          stationary_bidders: list[str] | None) -> dict:
    from siyu.autobid.bench import scoreboard

    t0 = time.perf_counter()
    default = scoreboard(None, None, seeds, impressions_per_day=impressions, scenario="default",
                         processes=processes, progress=True)
    t1 = time.perf_counter()
    stationary = scoreboard(stationary_bidders, None, seeds, impressions_per_day=impressions, scenario="stationary",
                            processes=processes, progress=True)
    t2 = time.perf_counter()
    fr, dominance_checks = run_frontier(frontier_seeds, impressions, processes, margins)
    t3 = time.perf_counter()

    def row(board: dict, name: str) -> dict:
        return next((r for r in board["overall"] if r["bidder"] == name), {})

    ours, ours_st = row(default, "siyu"), row(stationary, "siyu")
    ok_share = None if ours.get("p_below_0.9r_300") is None else 1 - ours["p_below_0.9r_300"]
    checks = [
        ("GMV efficiency vs attainable ceiling (default) ≥ 0.98", ours.get("efficiency_ceiling"),
         ours.get("efficiency_ceiling") is not None and ours["efficiency_ceiling"] >= 0.98),
        ("GMV efficiency vs LP (stationary) ≥ 0.97", ours_st.get("efficiency_lp"),
         ours_st.get("efficiency_lp") is not None and ours_st["efficiency_lp"] >= 0.97),
        ("share of weeks with ≥ 300 orders at ROI ≥ 0.9R ≥ 0.95", ok_share, ok_share is not None and ok_share >= 0.95),
        ("compensation ÷ spend (default) ≤ 0.01", ours.get("compensation_share"),
         ours.get("compensation_share") is not None and ours["compensation_share"] <= 0.01),
        *dominance_checks,
    ]
    print(f"\n{machine()}; {seeds} seeds × 18 profiles (frontier {frontier_seeds}), {impressions:,} impressions/day, "
          f"{processes} processes")
    print(f"runtime: default {t1 - t0:.0f} s, stationary {t2 - t1:.0f} s, frontier {t3 - t2:.0f} s\n")
    for board, scen in ((default, "default"), (stationary, "stationary")):
        print(f"[{scen}] bidder     eff/LP  eff/ceil (median, kept)  P(<R)  P(<0.9R)  P(<0.9R|≥300)  budget  "
              "comp/spend")
        for r in board["overall"]:
            def f(k):
                v = r.get(k)
                return "   –  " if v is None else f"{v:6.3f}"
            print(f"  {r['bidder']:12s} {f('efficiency_lp')}  {f('efficiency_ceiling')} ({f('efficiency_ceiling_median')}, "
                  f"{f('efficiency_ceiling_kept')})  {f('p_below_r')}  {f('p_below_0.9r')}    {f('p_below_0.9r_300')}"
                  f"        {f('budget_use')}  {f('compensation_share')}")
    print_frontier(fr)
    print_checks(checks)
    return {"machine": machine(), "seeds": seeds, "impressions_per_day": impressions,
            "frontier_seeds": frontier_seeds, "runtime_s": {"default": t1 - t0, "stationary": t2 - t1, "frontier": t3 - t2},
            "default": {"overall": default["overall"], "profiles": default["profiles"]},
            "stationary": {"overall": stationary["overall"], "profiles": stationary["profiles"]},
            "frontier": {"points": fr["points"], "dominance": fr["dominance"]},
            "goals": [{"goal": n, "value": v, "met": bool(m)} for n, v, m in checks]}


def parse_margins(text: str) -> list[float]:
    return [float(m) for m in text.split(",") if m.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="part", required=True)
    sp = sub.add_parser("speed", help="impressions/s per bidder on tier A (replay only, one core)")
    sp.add_argument("--impressions", type=int, default=1_000_000, help="impressions a day (default 1M)")
    sp.add_argument("--days", type=int, default=7)
    sp.add_argument("--bidders", default=None, help="comma-separated (default: all registered)")
    sp.add_argument("--repeat", type=int, default=3)
    sp.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                    help="a numeric bidder option for every bidder but the oracle, e.g. miss_price=1 (repeatable)")
    gp = sub.add_parser("goals", help="the goals run of docs/autobid.md")
    gp.add_argument("--seeds", type=int, default=30)
    gp.add_argument("--impressions", type=int, default=60_000)
    gp.add_argument("--processes", type=int, default=2)
    gp.add_argument("--margins", default="-0.3,-0.15,-0.05,0,0.05,0.1,0.15,0.2,0.3")
    gp.add_argument("--frontier-seeds", type=int, default=10, help="seeds of the frontier sweep (default 10)")
    gp.add_argument("--stationary-bidders", default="siyu,oracle",
                    help="bidders of the stationary scoreboard (comma-separated; 'all' for every one)")
    fp = sub.add_parser("frontier", help="only the frontier of siyu, PID and dual and the dominance checks")
    fp.add_argument("--seeds", type=int, default=10)
    fp.add_argument("--impressions", type=int, default=60_000)
    fp.add_argument("--processes", type=int, default=2)
    fp.add_argument("--margins", default="-0.3,-0.15,-0.05,0,0.05,0.1,0.15,0.2,0.3")
    for p in (sp, gp, fp):
        p.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = ap.parse_args(argv)
    print(machine(), flush=True)
    if args.part == "speed":
        from siyu.autobid.bidders import BIDDERS

        names = args.bidders.split(",") if args.bidders else list(BIDDERS)
        opts = {k: float(v) for k, v in (o.split("=", 1) for o in args.option)}
        res: object = speed(names, args.impressions, args.repeat, args.days, opts)
    elif args.part == "frontier":
        res = frontier_only(args.seeds, args.impressions, args.processes, parse_margins(args.margins))
    else:
        st = None if args.stationary_bidders == "all" else args.stationary_bidders.split(",")
        res = goals(args.seeds, args.impressions, args.processes, parse_margins(args.margins), args.frontier_seeds, st)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(res, fh, ensure_ascii=False, indent=2, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
