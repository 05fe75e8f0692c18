"""Benchmark: the same named models on the DuckDB engine and on the Spark engine (local masters), as processes.

    python benchmarks/gen_lake.py --users 5000000 --chunk 1000000 --days 365 --seed 7 --out /tmp/siyu-lake \
        --workspace /tmp/siyu-lake-ws
    python benchmarks/bench_spark.py --lake /tmp/siyu-lake --workspace /tmp/siyu-lake-ws --repeat 3 \
        --masters local[2] local[1]

Every run starts a fresh Python process per engine (DuckDB on the workspace; Spark on the Parquet files of
``--lake`` with ``SIYU_SPARK_MASTER`` set to each master), so the JVM start and its memory are measured per run.
The process times, with ``time.perf_counter``:

* ``start``: opening the workspace on the engine and the snapshot date ``ws.last_date()`` (on Spark: the session,
  the contract views over the Parquet files and the first query);
* ``aipl``: ``write_per_user(ws, "aipl", t, out, ["user_id", "stage"])`` (Spark: Parquet part files written by the
  executors; DuckDB: one Parquet file);
* ``aipl_summary``, ``rfm_summary``: ``siyu.assets.aipl_summary`` / ``rfm_summary`` at ``t``;
* ``clv_summary``: ``siyu.clv.summary.rfm_summary(ws, calibration_end=t, monetary=False)``;

and prints them as one JSON line with the row counts. The parent samples the peak RSS of the child's process tree
(the Python process and its descendants, i.e. the Spark JVM) from ``/proc`` every 0.2 s. The engines run in
turn within each run (DuckDB, then each master), so drift on the machine is shared.

Reported per engine / master: median and every run of each step and of the total, peak RSS, and for Spark the
scaling figure of the aipl step, events rows per second per core (events rows / aipl seconds / cores), at each
master, and the speed-up from ``local[1]`` to the others, from which a cluster's time can be extrapolated.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEPS = ("start", "aipl", "aipl_summary", "rfm_summary", "clv_summary")
POLL_S = 0.2


# -- the child: one engine, one run -------------------------------------------------------------------------------
def child(engine: str, lake: str, workspace: str, out: str) -> None:
    """Run the steps on ``engine`` and print one JSON line of seconds and row counts."""
    t_import = time.perf_counter()
    from siyu import Workspace, assets
    from siyu.clv.summary import rfm_summary as clv_summary
    from siyu.engine.sql import write_per_user

    import_s = time.perf_counter() - t_import
    sec: dict[str, float] = {}
    rows: dict[str, object] = {}

    t0 = time.perf_counter()
    ws = Workspace(workspace) if engine == "duckdb" else Workspace(workspace, engine="spark", data=lake)
    t = ws.last_date()
    sec["start"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    rows["aipl"] = write_per_user(ws, "aipl", t, out, ["user_id", "stage"])
    sec["aipl"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    aipl = assets.aipl_summary(ws, t)
    sec["aipl_summary"] = time.perf_counter() - t0
    rows["aipl_counts"] = aipl["counts"]

    t0 = time.perf_counter()
    rfm = assets.rfm_summary(ws, t)
    sec["rfm_summary"] = time.perf_counter() - t0
    rows["rfm_buyers"] = rfm["buyers"]
    rows["rfm_counts"] = rfm["counts"]

    t0 = time.perf_counter()
    clv = clv_summary(ws, calibration_end=t, monetary=False)
    sec["clv_summary"] = time.perf_counter() - t0
    rows["clv_customers"] = clv.num_rows

    ws.close()
    print(json.dumps({"engine": engine, "master": os.environ.get("SIYU_SPARK_MASTER") if engine == "spark" else None,
                      "as_of": str(t), "import_s": round(import_s, 3),
                      "seconds": {k: round(v, 3) for k, v in sec.items()}, "rows": rows}, default=str), flush=True)


# -- the parent: process trees, runs, report ----------------------------------------------------------------------
def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids of every process in /proc."""
    out: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])  # after "pid (comm) state"
        out.setdefault(ppid, []).append(int(entry))
    return out


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss(pid: int) -> int:
    """Sum of VmRSS (bytes) over ``pid`` and all its descendants."""
    kids = _children()
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _rss_kb(p)
        todo.extend(kids.get(p, ()))
    return total * 1024


def run_child(engine: str, master: str | None, args: argparse.Namespace, tmp: Path, label: str) -> dict:
    """One fresh process of ``engine``: its JSON result plus wall seconds and peak tree RSS."""
    out = tmp / f"aipl-{label}.parquet"
    env = dict(os.environ)
    if master is not None:
        env["SIYU_SPARK_MASTER"] = master
    else:
        env.pop("SIYU_SPARK_MASTER", None)
    env.pop("SIYU_ENGINE", None)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", engine, "--lake", str(args.lake),
           "--workspace", str(args.workspace), "--child-out", str(out)]
    so, se = tmp / f"{label}.out", tmp / f"{label}.err"
    peak = 0
    t0 = time.perf_counter()
    with open(so, "w") as fo, open(se, "w") as fe:
        proc = subprocess.Popen(cmd, stdout=fo, stderr=fe, env=env)
        while proc.poll() is None:
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(POLL_S)
    wall = time.perf_counter() - t0
    text = so.read_text()
    lines = [ln for ln in text.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        err = se.read_text()[-3000:]
        raise SystemExit(f"bench_spark: {label} failed (exit {proc.returncode}):\n{text[-1000:]}{err}")
    res = json.loads(lines[-1])
    res["wall_s"] = wall
    res["peak_rss"] = peak
    res["seconds"]["total"] = sum(res["seconds"][s] for s in STEPS)
    if out.is_dir():
        shutil.rmtree(out, ignore_errors=True)
    else:
        out.unlink(missing_ok=True)
    return res


def cores_of(master: str) -> int:
    m = re.fullmatch(r"local\[(\d+|\*)(,\d+)?\]", master.strip())
    if m and m.group(1) != "*":
        return int(m.group(1))
    return os.cpu_count() or 1


def lake_rows(lake: Path) -> dict[str, int]:
    """Rows of every contract table under ``lake`` (<table>.parquet file or <table>/ folder), from metadata."""
    import pyarrow.dataset as ds

    from siyu.contract.schema import TABLES

    out = {}
    for name in TABLES:
        for p in (lake / f"{name}.parquet", lake / name):
            if p.exists():
                out[name] = ds.dataset(p, format="parquet").count_rows()
                break
    return out


def machine() -> dict[str, str]:
    from machine import machine as base

    try:
        res = subprocess.run(["java", "-version"], check=False, capture_output=True, text=True, timeout=30)
        java = res.stderr.splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        java = "?"
    return {**base(("duckdb", "pyspark", "pyarrow")), "java": java}


def _num(v: float) -> str:
    return f"{v:.2f}" if v < 10 else f"{v:.1f}" if v < 100 else f"{v:.0f}"


def fmt_runs(values: list[float]) -> str:
    """The median, then every run in brackets (just the value for one run)."""
    med = _num(statistics.median(values))
    return med if len(values) == 1 else f"{med} ({', '.join(_num(v) for v in values)})"


def _rate(v: float) -> str:
    return f"{v / 1e6:.2f} M" if v >= 1e6 else f"{v / 1e3:.0f} k"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lake", type=Path, help="directory of <table>.parquet (benchmarks/gen_lake.py --out)")
    ap.add_argument("--workspace", type=Path, help="DuckDB workspace with the same rows (gen_lake.py --workspace)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--masters", nargs="+", default=["local[2]", "local[1]"], help="Spark masters to run")
    ap.add_argument("--only", choices=("duckdb", "spark"), help="run one engine only")
    ap.add_argument("--child", choices=("duckdb", "spark"), help=argparse.SUPPRESS)
    ap.add_argument("--child-out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, str(args.lake), str(args.workspace), args.child_out)
        return
    if args.only != "spark" and args.workspace is None:
        ap.error("--workspace is needed for the DuckDB side (or pass --only spark)")
    if args.only != "duckdb" and args.lake is None:
        ap.error("--lake is needed for the Spark side (or pass --only duckdb)")
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if args.workspace is None:  # Spark only: a workspace path that need not exist (default configuration)
        args.workspace = Path(tempfile.gettempdir()) / "siyu-bench-spark-no-workspace"
    rows = lake_rows(args.lake) if args.lake is not None else {}
    if args.only != "spark" and not rows:
        import duckdb

        with duckdb.connect(str(args.workspace / "siyu.duckdb"), read_only=True) as conn:
            rows = {n: conn.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in ("users", "orders", "events")}
    info = machine()
    print(f"machine: {info['cpu']}, {info['cores']} cores, {info['ram']} RAM, {info['os']}")
    print(f"python {info['python']}, duckdb {info['duckdb']}, pyspark {info['pyspark']}, pyarrow {info['pyarrow']}, "
          f"{info['java']}")
    print("data: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()), flush=True)

    configs: list[tuple[str, str | None]] = []
    if args.only != "spark":
        configs.append(("duckdb", None))
    if args.only != "duckdb":
        configs += [("spark", m) for m in args.masters]
    results: dict[tuple[str, str | None], list[dict]] = {c: [] for c in configs}
    with tempfile.TemporaryDirectory(prefix="siyu-bench-spark-") as tmp:
        for i in range(args.repeat):
            for engine, master in configs:
                label = engine if master is None else f"spark-{re.sub(r'[^0-9A-Za-z]+', '', master)}"
                res = run_child(engine, master, args, Path(tmp), f"{label}-{i + 1}")
                results[(engine, master)].append(res)
                s = res["seconds"]
                print(json.dumps({"run": i + 1, "engine": engine, "master": master,
                                  **{k: round(v, 2) for k, v in s.items()}, "wall_s": round(res["wall_s"], 2),
                                  "peak_rss_gb": round(res["peak_rss"] / 1e9, 2), "aipl_rows": res["rows"]["aipl"]}),
                      flush=True)

    # do the engines agree?
    ref = next(iter(results.values()))[0]["rows"]
    for (engine, master), runs in results.items():
        for r in runs:
            if r["rows"] != ref:
                diff = {k: (ref.get(k), r["rows"].get(k)) for k in ref if ref.get(k) != r["rows"].get(k)}
                print(f"WARNING: {engine} {master or ''} differs from {configs[0][0]} {configs[0][1] or ''}: {diff}")
    agree = all(r["rows"] == ref for runs in results.values() for r in runs)
    print(f"row counts and summaries {'agree across engines' if agree else 'DIFFER (see warnings)'}: "
          f"aipl {ref['aipl']:,} users, rfm buyers {ref['rfm_buyers']:,}, clv customers {ref['clv_customers']:,}")

    # the report
    events = rows.get("events")
    med = statistics.median
    print()
    print(f"### Engines: {rows.get('users', 0):,} users, {rows.get('orders', 0):,} orders, "
          f"{events or 0:,} events ({dt.date.today()})")
    print()
    print(f"{info['cpu']}, {info['cores']} cores, {info['ram']} RAM; Python {info['python']}, DuckDB {info['duckdb']}, "
          f"PySpark {info['pyspark']}, {info['java']}. Seconds, median of {args.repeat} fresh "
          f"process{'es' if args.repeat > 1 else ''} "
          f"(every run in brackets); peak RSS of the process tree (Python + JVM).")
    print()
    head = ["engine", "cores", *STEPS, "total", "process wall", "peak RSS", "aipl events/s/core"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] * 2 + ["--:"] * (len(head) - 2)) + "|")
    per_core: dict[str, float] = {}
    for (engine, master), runs in results.items():
        cores = (os.cpu_count() or 1) if master is None else cores_of(master)
        name = "DuckDB" if master is None else f"Spark {master}"
        cells = [name, str(cores)]
        for s in (*STEPS, "total"):
            cells.append(fmt_runs([r["seconds"][s] for r in runs]))
        cells.append(fmt_runs([r["wall_s"] for r in runs]))
        cells.append(f"{max(r['peak_rss'] for r in runs) / 1e9:.2f} GB")
        if events:
            rate = events / med([r["seconds"]["aipl"] for r in runs]) / cores
            per_core[name] = rate
            cells.append(_rate(rate))
        else:
            cells.append("–")
        print("| " + " | ".join(cells) + " |")
    print()
    # scaling of Spark: local[1] -> local[N]
    spark = {m: runs for (e, m), runs in results.items() if e == "spark"}
    one = next((m for m in spark if cores_of(m) == 1), None)
    if one is not None:
        base = {s: med([r["seconds"][s] for r in spark[one]]) for s in ("aipl", "total")}
        for m, runs in spark.items():
            n = cores_of(m)
            if n == 1:
                continue
            up = {s: base[s] / med([r["seconds"][s] for r in runs]) for s in base}
            print(f"Spark speed-up {one} -> {m}: aipl {up['aipl']:.2f}x (parallel efficiency "
                  f"{up['aipl'] / n:.0%}), all steps {up['total']:.2f}x.")
    if events and spark:
        best = max(spark, key=cores_of)  # the most cores: its per-core rate includes the parallel overhead
        rate = per_core[f"Spark {best}"]
        print(f"Extrapolation: aipl seconds ~ events / ({_rate(rate)} events/s/core x cores) at the per-core rate of "
              f"Spark {best} (linear scaling assumed; add the session start), e.g. 1 billion events on 64 cores: "
              f"about {1e9 / rate / 64:.0f} s.")


if __name__ == "__main__":
    main()
