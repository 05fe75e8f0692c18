"""Benchmark: simulate a store of N users × D days and write it as Parquet; then load it into a workspace.

    python benchmarks/bench_simulate.py --users 1000000 --days 365 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    from siyu import Workspace
    from siyu.contract import TABLES
    from siyu.simulate import SimulationConfig, simulate_store, write_store

    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--load", action="store_true", help="also load every table into a fresh workspace")
    args = ap.parse_args()
    sim_t, write_t, load_t = [], [], []
    for i in range(args.repeat):
        tmp = Path(tempfile.mkdtemp(prefix="siyu-sim-"))
        try:
            t0 = time.perf_counter()
            tables, truth = simulate_store(SimulationConfig(users=args.users, days=args.days, seed=7 + i))
            t1 = time.perf_counter()
            files = write_store(tmp / "d", tables, truth)
            t2 = time.perf_counter()
            counts = {k: v.num_rows for k, v in tables.items()}
            del tables
            sim_t.append(t1 - t0)
            write_t.append(t2 - t1)
            line = f"run {i + 1}: simulate {t1 - t0:.1f} s, write parquet {t2 - t1:.1f} s"
            if args.load:
                ws = Workspace.init(tmp / "ws")
                t3 = time.perf_counter()
                for name in TABLES:
                    ws.ingest(name, files[name])
                load_t.append(time.perf_counter() - t3)
                ws.close()
                line += f", load all tables {load_t[-1]:.1f} s"
            print(line, flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    med = statistics.median
    print("rows:", ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.1f} GB")
    print(f"median of {args.repeat}: simulate {med(sim_t):.1f} s, write {med(write_t):.1f} s"
          + (f", load {med(load_t):.1f} s" if load_t else ""))


if __name__ == "__main__":
    main()
