"""Benchmark: AIPL + pools + UCMV + RFM for one snapshot of a simulated 1M-user, 1-year store.

siyu (DuckDB SQL models on the workspace file) against the same computation in pandas (the independent
reference implementation in tests/reference/assets_pandas.py, on DataFrames already in memory).

    python benchmarks/bench_assets.py --users 1000000 --repeat 3
"""

from __future__ import annotations

from siyu import assets

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def main() -> None:
    from reference import assets_pandas as ref

    from siyu import Workspace
    from siyu.contract import TABLES
    from siyu.simulate import SimulationConfig, simulate_store, write_store

    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", help="reuse/keep the workspace in this directory")
    args = ap.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="siyu-assets-"))
    try:
        ws_dir, data = root / "ws", root / "d"
        if not (ws_dir / "siyu.duckdb").exists():
            t0 = time.perf_counter()
            tables, truth = simulate_store(SimulationConfig(users=args.users, days=365, seed=11))
            files = write_store(data, tables, truth)
            del tables
            ws = Workspace.init(ws_dir)
            for name in TABLES:
                ws.ingest(name, files[name])
            ws.close()
            print(f"built the store in {time.perf_counter() - t0:.0f} s")
        ws = Workspace(ws_dir)
        as_of = ws.last_date()
        counts = {k: v["rows"] for k, v in ws.tables().items()}
        print("rows:", ", ".join(f"{k} {v:,}" for k, v in counts.items()), "| as of", as_of)
        t0 = time.perf_counter()
        frames = ref.load_tables(ws)
        load_pd = time.perf_counter() - t0
        siyu_t, pandas_t, warm_t = [], [], []
        for i in range(args.repeat):
            t0 = time.perf_counter()
            out = assets.customer_assets(ws, as_of)
            siyu_t.append(time.perf_counter() - t0)
            fresh = dict(frames)  # a new dict: the reference re-derives its integer codes (no cache across runs)
            t0 = time.perf_counter()
            pa_out = {"aipl": ref.aipl(fresh, as_of), "pools": ref.pools(fresh, as_of),
                      "ucmv": ref.ucmv(fresh, as_of), "rfm": ref.rfm(fresh, as_of)}
            pandas_t.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            ref.aipl(fresh, as_of), ref.pools(fresh, as_of), ref.ucmv(fresh, as_of), ref.rfm(fresh, as_of)
            warm_t.append(time.perf_counter() - t0)
            print(f"run {i + 1}: siyu {siyu_t[-1]:.2f} s, pandas {pandas_t[-1]:.2f} s "
                  f"(pandas again on its prepared arrays {warm_t[-1]:.2f} s)", flush=True)
        # the two implementations must agree per user
        a = dict(zip(out["aipl"].column("user_id").to_pylist(), out["aipl"].column("stage").to_pylist()))
        b = dict(zip(pa_out["aipl"]["user_id"], pa_out["aipl"]["stage"]))
        agree = sum(a[u] == b.get(u) for u in a) / len(a)
        med = statistics.median
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}")
        print(f"users in universe: {len(a):,}; AIPL per-user agreement siyu vs pandas: {agree:.4%}")
        print(f"median of {args.repeat}: siyu {med(siyu_t):.2f} s, pandas {med(pandas_t):.2f} s "
              f"(pandas again on its prepared arrays {med(warm_t):.2f} s; it also needed {load_pd:.1f} s to read "
              f"the tables into memory)")
        ws.close()
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
