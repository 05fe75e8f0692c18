"""Benchmark: load N orders from Parquet into a workspace (validated, transactional, idempotent).

Compares ``Workspace.ingest`` with the same validation written in pandas and the
same rows then written into DuckDB — what a data team does by hand today.

    python benchmarks/bench_ingest.py --rows 10000000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def make_orders(path: Path, n: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64)
    paid = start + rng.integers(0, 365 * 86_400_000_000, n)
    amount = np.round(rng.gamma(2.0, 80.0, n), 2)
    refund = np.where(rng.random(n) < 0.05, np.round(amount * rng.random(n), 2), 0.0)
    ids = pa.array(np.char.add("o", np.arange(n).astype("U10")))
    users = pa.array(np.char.add("u", rng.integers(0, n // 4 + 1, n).astype("U9")))
    channels = pa.DictionaryArray.from_arrays(pa.array(rng.integers(0, 4, n).astype(np.int8)),
                                              pa.array(["search", "recommend", "xhs", "direct"]))
    table = pa.table({"order_id": ids, "user_id": users, "paid_at": pa.array(paid, pa.timestamp("us")),
                      "amount": pa.array(amount).cast(pa.decimal128(18, 2)),
                      "refund_amount": pa.array(refund).cast(pa.decimal128(18, 2)), "channel": channels})
    pq.write_table(table, path, row_group_size=1_000_000)


def run_siyu(src: Path, root: Path) -> tuple[float, float]:
    from siyu import Workspace

    ws = Workspace.init(root)
    t0 = time.perf_counter()
    first = ws.ingest("orders", src)
    t1 = time.perf_counter()
    second = ws.ingest("orders", src)
    t2 = time.perf_counter()
    assert first.inserted == first.rows and second.unchanged == second.rows
    ws.close()
    return t1 - t0, t2 - t1


def run_pandas(src: Path, root: Path) -> float:
    import duckdb
    import pandas as pd

    t0 = time.perf_counter()
    df = pd.read_parquet(src, dtype_backend="pyarrow")
    amount = df["amount"].astype("float64")
    refund = df["refund_amount"].astype("float64")
    problems = [
        df[["order_id", "user_id", "paid_at", "amount"]].isna().any(axis=1),
        amount < 0, (refund < 0) | (refund > amount),
        (amount * 100 - (amount * 100).round()).abs() > 1e-6,
        df["order_id"].duplicated(keep="first"),
    ]
    bad = np.logical_or.reduce([p.to_numpy() for p in problems])
    if bad.any():
        raise ValueError(f"row {int(np.argmax(bad)) + 1} is invalid")
    root.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(root / "pandas.duckdb"))
    con.register("df", df)
    con.execute("CREATE TABLE orders AS SELECT * FROM df").fetchall()
    con.close()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="siyu-bench-"))
    try:
        src = tmp / "orders.parquet"
        t0 = time.perf_counter()
        make_orders(src, args.rows)
        print(f"generated {args.rows:,} orders ({src.stat().st_size / 1e6:.0f} MB parquet) in "
              f"{time.perf_counter() - t0:.1f} s")
        first, again, pandas_t = [], [], []
        for i in range(args.repeat):
            a, b = run_siyu(src, tmp / f"ws{i}")
            first.append(a)
            again.append(b)
            pandas_t.append(run_pandas(src, tmp / f"pd{i}"))
            shutil.rmtree(tmp / f"ws{i}")
            shutil.rmtree(tmp / f"pd{i}")
            print(f"run {i + 1}: siyu first load {a:.2f} s, siyu re-load {b:.2f} s, pandas {pandas_t[-1]:.2f} s")
        med = statistics.median
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
              f"python {platform.python_version()}")
        print(f"median of {args.repeat}: siyu ingest {med(first):.2f} s ({args.rows / med(first) / 1e6:.2f} M rows/s), "
              f"siyu idempotent re-load {med(again):.2f} s, pandas validate + DuckDB write {med(pandas_t):.2f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
