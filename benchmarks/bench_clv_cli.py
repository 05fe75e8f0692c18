"""``siyu clv fit --input FILE`` end to end as a process, beside lifetimes' summary + BetaGeoFitter in the same run.

Both sides are measured as a fresh process from interpreter start to the printed result: reading the Parquet
file, the RFM summary (day precision, weeks as the time unit), the BG/NBD fit and the output. Data: about 6M
transactions of 1M customers drawn from a BG/NBD process (first purchases spread over two years), written once.

    python benchmarks/bench_clv_cli.py --customers 1000000 --repeat 3

Prints one JSON line per run and a summary line with the medians and the speed-up.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CALIBRATION_END = "2024-12-31"

LIFETIMES = """
import sys
import pandas as pd
from lifetimes import BetaGeoFitter
from lifetimes.utils import summary_data_from_transaction_data
df = pd.read_parquet(sys.argv[1])
s = summary_data_from_transaction_data(df, "user_id", "paid_at", observation_period_end=sys.argv[2], freq="D")
m = BetaGeoFitter().fit(s["frequency"], s["recency"] / 7.0, s["T"] / 7.0)
print({k: float(v) for k, v in m.params_.items()}, len(s))
"""


def make_transactions(path: Path, n_customers: int, seed: int = 11) -> int:
    """BG/NBD transactions: λ ~ Gamma(1, 1/4) per week, p ~ Beta(1, 6), first purchase uniform over two years."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    n, days = n_customers, 730
    birth = rng.integers(0, days, n)
    T = (days - 1 - birth) / 7.0
    lam = rng.gamma(1.0, 1 / 4.0, n)
    p = rng.beta(1.0, 6.0, n)
    k = rng.poisson(lam * T)
    drop = rng.geometric(p)
    x = np.minimum(k, drop)
    # repeat purchases: uniform over the customer's active span (the whole T unless they dropped out first)
    span = np.where(drop < k, T * drop / np.maximum(k, 1), T)
    owner = np.repeat(np.arange(n), x)
    t = birth[owner] + np.floor(rng.random(owner.size) * span[owner] * 7.0)
    cust = np.concatenate([np.arange(n), owner])
    day = np.concatenate([birth, t.astype(np.int64)])
    t0 = np.datetime64("2023-01-01T00:00:00", "us").astype(np.int64)
    ts = t0 + day * 86_400_000_000 + rng.integers(0, 86_400_000_000, cust.size)
    pq.write_table(pa.table({"user_id": pa.array(np.char.add("c", cust.astype("U8"))),
                             "paid_at": pa.array(ts, pa.timestamp("us")),
                             "amount": np.round(rng.gamma(2.0, 60.0, cust.size), 2)}), path,
                   row_group_size=1_000_000)
    return int(cust.size)


def timed(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed: {res.stderr[-2000:]}")
    return elapsed, res.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", type=Path, help="reuse this Parquet file instead of drawing one")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="siyu-bench-clv-") as tmp:
        data = args.data or Path(tmp) / "transactions.parquet"
        if args.data is None:
            rows = make_transactions(data, args.customers)
        else:
            import pyarrow.parquet as pq

            rows = pq.ParquetFile(data).metadata.num_rows
        siyu_cmd = [sys.executable, "-m", "siyu", "clv", "fit", "--input", str(data), "--calibration-end",
                    CALIBRATION_END, "--time-unit", "W", "--format", "json"]
        life_cmd = [sys.executable, "-c", LIFETIMES, str(data), CALIBRATION_END]
        times: dict[str, list[float]] = {"siyu": [], "lifetimes": []}
        for i in range(args.repeat):
            for name, cmd in (("siyu", siyu_cmd), ("lifetimes", life_cmd)):
                elapsed, out = timed(cmd)
                times[name].append(elapsed)
                detail = json.loads(out)["params"] if name == "siyu" else out.strip()
                print(json.dumps({"run": i, "tool": name, "seconds": round(elapsed, 3), "result": detail},
                                 default=str), flush=True)
        med = {k: statistics.median(v) for k, v in times.items()}
        print(json.dumps({"transactions": rows, "customers": args.customers, "repeat": args.repeat,
                          "median_siyu_s": round(med["siyu"], 3), "median_lifetimes_s": round(med["lifetimes"], 3),
                          "speedup": round(med["lifetimes"] / med["siyu"], 2)}))


if __name__ == "__main__":
    main()
