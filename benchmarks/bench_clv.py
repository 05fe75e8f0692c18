"""Benchmark: CLV summaries, fits and predictions — siyu against lifetimes (and pymc-marketing if installed),
run from the same script. Each part runs in a fresh child process so that its peak memory is its own.

    python benchmarks/bench_clv.py --transactions 10000000 --customers 1000000 --repeat 3

lifetimes and pymc-marketing are not project dependencies: install them into the environment that runs this
script (`pip install lifetimes pymc-marketing`); parts whose library is missing are reported as skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_transactions(path: Path, n_tx: int, n_customers: int, seed: int = 5) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    cust = rng.integers(0, n_customers, n_tx)
    day = rng.integers(0, 730, n_tx)
    t0 = np.datetime64("2023-01-01T00:00:00", "us").astype(np.int64)
    ts = t0 + day * 86_400_000_000 + rng.integers(0, 86_400_000_000, n_tx)
    pq.write_table(pa.table({"user_id": pa.array(np.char.add("c", cust.astype("U8"))),
                             "paid_at": pa.array(ts, pa.timestamp("us")),
                             "amount": np.round(rng.gamma(2.0, 60.0, n_tx), 2)}), path, row_group_size=1_000_000)


def make_summary(path: Path, n: int, seed: int = 6) -> None:
    """BG/NBD customers in weeks (CDNOW-like parameters), with day-precision recency and T."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    T = rng.integers(1, 39 * 7 + 1, n) / 7.0
    counts = rng.poisson(lam * T)
    deaths = rng.geometric(p)
    x = np.minimum(counts, deaths)
    # purchase times are `counts` uniforms on (0, T); the last one kept is the x-th smallest: T * Beta(x, counts-x+1)
    tx = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(counts - x + 1, 1)), 0.0)
    tx = np.round(tx * 7) / 7.0
    pq.write_table(pa.table({"frequency": x, "recency": tx, "T": T}), path)


def child(part: str, data: str, repeat: int) -> dict:
    """One measured part, in this (child) process."""
    import numpy as np

    out: dict = {"part": part, "times": []}
    if part == "summary_siyu":
        from siyu.clv import rfm_summary
        for _ in range(repeat):
            t0 = time.perf_counter()
            s = rfm_summary(data, calibration_end="2024-12-31", time_unit="D")
            out["times"].append(time.perf_counter() - t0)
        out["rows"] = s.num_rows
    elif part == "summary_lifetimes":
        import pandas as pd
        from lifetimes.utils import summary_data_from_transaction_data
        df = pd.read_parquet(data)
        for _ in range(repeat):
            t0 = time.perf_counter()
            s = summary_data_from_transaction_data(df, "user_id", "paid_at", monetary_value_col="amount",
                                                   observation_period_end="2024-12-31", freq="D")
            out["times"].append(time.perf_counter() - t0)
        out["rows"] = len(s)
    else:
        import pyarrow.parquet as pq
        s = pq.read_table(data).to_pandas()
        if part.endswith("_lifetimes"):
            from lifetimes import BetaGeoFitter, ParetoNBDFitter
            cls = BetaGeoFitter if part.startswith("bgnbd") else ParetoNBDFitter
            for _ in range(repeat):
                m = cls()
                t0 = time.perf_counter()
                m.fit(s["frequency"], s["recency"], s["T"])
                out["times"].append(time.perf_counter() - t0)
            out["params"] = {k: float(v) for k, v in m.params_.items()}
            if part.startswith("bgnbd"):
                t0 = time.perf_counter()
                m.conditional_expected_number_of_purchases_up_to_time(52, s["frequency"], s["recency"], s["T"])
                m.conditional_probability_alive(s["frequency"], s["recency"], s["T"])
                out["predict"] = time.perf_counter() - t0
                # total log-likelihood at lifetimes' optimum (its objective is the mean negative LL), for siyu
                lp = np.log([m.params_[k] for k in ("r", "alpha", "a", "b")])
                nll = cls._negative_log_likelihood(lp, s["frequency"].to_numpy(), s["recency"].to_numpy(),
                                                   s["T"].to_numpy(), np.ones(len(s)), 0.0)
                out["ll_at_lifetimes_optimum"] = -float(nll) * len(s)
        elif part.endswith("_pymc"):
            from pymc_marketing.clv import BetaGeoModel
            df = s.assign(customer_id=np.arange(len(s)))
            for _ in range(repeat):
                m = BetaGeoModel(data=df)
                t0 = time.perf_counter()
                m.fit(method="map")
                out["times"].append(time.perf_counter() - t0)
        else:  # siyu
            from siyu.clv import BetaGeo, ParetoNBD
            cls = BetaGeo if part.startswith("bgnbd") else ParetoNBD
            for _ in range(repeat):
                t0 = time.perf_counter()
                m = cls().fit(s)
                out["times"].append(time.perf_counter() - t0)
            out["params"] = m.params_
            out["ll"] = m.log_likelihood_
            out["n_distinct"] = m.n_distinct_
            if part.startswith("bgnbd"):
                t0 = time.perf_counter()
                m.expected_purchases(52, s)
                m.p_alive(s)
                out["predict"] = time.perf_counter() - t0
    out["peak_rss_gb"] = _peak_rss_gb()
    return out


def _peak_rss_gb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would include the parent's across fork/exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1e6
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def run_child(part: str, data: Path, repeat: int) -> dict | None:
    res = subprocess.run([sys.executable, __file__, "--child", part, "--data", str(data), "--repeat", str(repeat)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        last = (res.stderr.strip().splitlines() or ["?"])[-1]
        print(f"{part}: skipped ({last[:120]})")
        return None
    r = json.loads(res.stdout.strip().splitlines()[-1])
    print(f"{part}: median {statistics.median(r['times']):.2f} s of {r['times']}, peak RSS {r['peak_rss_gb']:.2f} GB"
          + (f", predict {r['predict']:.2f} s" if "predict" in r else "") + (f", params {r.get('params')}" if "params" in r else ""))
    return r


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--transactions", type=int, default=10_000_000)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child")
    ap.add_argument("--data")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.data, args.repeat), default=float))
        return
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="siyu-clv-bench-") as tmp:
        tx, sm = Path(tmp) / "tx.parquet", Path(tmp) / "summary.parquet"
        make_transactions(tx, args.transactions, max(args.transactions // 5, 1))
        make_summary(sm, args.customers)
        print(f"data: {args.transactions:,} transactions, {args.customers:,} BG/NBD customers (weeks)")
        run_child("summary_siyu", tx, args.repeat)
        run_child("summary_lifetimes", tx, 1)
        s = run_child("bgnbd_siyu", sm, args.repeat)
        lt = run_child("bgnbd_lifetimes", sm, args.repeat)
        run_child("bgnbd_pymc", sm, 1)
        p = run_child("pnbd_siyu", sm, args.repeat)
        if s and p:
            print(f"Pareto/NBD ÷ BG/NBD fit time (siyu): {statistics.median(p['times']) / statistics.median(s['times']):.2f}")
        if s and lt:
            print(f"log-likelihood: siyu {s['ll']:.6f}, lifetimes at its optimum {lt['ll_at_lifetimes_optimum']:.6f}, "
                  f"relative difference {abs(s['ll'] - lt['ll_at_lifetimes_optimum']) / abs(s['ll']):.2e}")


if __name__ == "__main__":
    main()
