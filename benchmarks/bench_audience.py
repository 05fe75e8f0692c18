"""Benchmark: a 5-condition audience on a simulated 1M-user, 1-year store, beside hand-written DuckDB and pandas.

    python benchmarks/bench_audience.py --users 1000000 --days 365 --repeat 5

The store is simulated and loaded once into ``--dir`` (``<dir>/ws``, a DuckDB workspace) with the functions of
``benchmarks/gen_lake.py``: the simulator writes Parquet (``<dir>/lake``, removed afterwards unless
``--keep-lake``), then one bulk ``INSERT … SELECT`` per contract table (a benchmark fixture load, not
``siyu ingest``). A later run with the same ``--users``, ``--days`` and ``--seed`` reuses the workspace
(``<dir>/bench.json`` records what it holds; ``--rebuild`` makes a new one).

Then, in this one process, every step ``--repeat`` times (the steps interleaved within each run, so drift on the
machine is shared), the median reported:

* features of a new T: ``siyu.audiences.evaluate.profile`` built from scratch (its cache cleared and its table
  dropped first: one ``user_features`` materialisation, the pools / UCMV / RFM models, the user attributes and
  the membership tier, into a session table), beside the asset snapshot today,
  ``siyu.assets.customer_assets(ws, T)`` (one ``user_features`` materialisation, AIPL, pools, UCMV and RFM per
  user as Arrow tables);
* count of the 5-condition audience ``TREE`` (a field, a pool, an ``orders`` window, an ``event`` window, a
  ``not``) with the profile warm: ``siyu.audiences.count(ws, TREE, T)`` (validation, compilation and both of
  its queries, the count and the universe);
* the same count as an analyst would write it in DuckDB (a CTE per window joined to the same profile table),
  run on the same connection;
* the same count in pandas on frames prepared before the runs (the whole profile; events ``user_id, type, ts``
  and orders ``user_id, paid_at, amount, refund_amount`` over the whole data range): only the filtering,
  group-by and merge are timed.

The three counts must be equal (the script stops otherwise). It prints every run, then a Markdown section for
BENCHMARKS.md: the command line, the machine (CPU model, cores, RAM, Python, DuckDB and its threads, pandas,
pyarrow, numpy), the data sizes, a table of the steps and the issue's goals (count under 1 s, within 2 × of
the hand-written query; features of a new T about the cost of the asset snapshot).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shlex
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # gen_lake

#: the audience: stage P or L, old or lapsed customer, ≥ 1 order in a year, ≥ 1 add-to-cart in 30 days, no member
AIPL = ("P", "L")
POOLS = ("old", "lapsed")
ORDER_DAYS, MIN_ORDERS = 365, 1
EVENT, EVENT_DAYS, MIN_EVENTS = "add_cart", 30, 1
TREE: dict[str, Any] = {"all": [
    {"field": "aipl", "op": "in", "value": list(AIPL)},
    {"field": "customer_pool", "op": "in", "value": list(POOLS)},
    {"orders": "count", "within_days": ORDER_DAYS, "op": ">=", "value": MIN_ORDERS},
    {"event": EVENT, "within_days": EVENT_DAYS, "op": ">=", "value": MIN_EVENTS},
    {"not": {"field": "is_member", "op": "=", "value": True}},
]}


# -- the store ----------------------------------------------------------------------------------------------------
def build_store(args: argparse.Namespace) -> tuple[Path, dict[str, Any], bool]:
    """The workspace directory of the store ``args`` asks for, its manifest and whether it was built now."""
    import gen_lake

    root: Path = args.dir
    ws_dir, lake, manifest = root / "ws", root / "lake", root / "bench.json"
    want = {"users": args.users, "days": args.days, "seed": args.seed}
    if args.rebuild:
        shutil.rmtree(ws_dir, ignore_errors=True)
        shutil.rmtree(lake, ignore_errors=True)
        manifest.unlink(missing_ok=True)
    if (ws_dir / "siyu.duckdb").exists():
        have = json.loads(manifest.read_text()) if manifest.exists() else {}
        if {k: have.get(k) for k in want} != want:
            raise SystemExit(f"bench_audience: {ws_dir} holds another store ({have or 'unknown'}); pass --rebuild "
                             f"or another --dir")
        print(f"reusing the workspace {ws_dir} (built {have.get('built')}: {have.get('users'):,} users x "
              f"{have.get('days')} days, seed {have.get('seed')})", flush=True)
        return ws_dir, have, False
    for p in (ws_dir, lake):
        if p.exists():
            shutil.rmtree(p)
    gen_lake._check_keys()
    print(f"building the store: {args.users:,} users x {args.days} days (seed {args.seed}) -> {lake}, then {ws_dir}",
          flush=True)
    gen_args = argparse.Namespace(users=args.users, chunk=args.chunk, days=args.days, seed=args.seed, out=lake)
    rows, gen_s = gen_lake.generate(gen_args)
    counts, load_s = gen_lake.load_workspace(ws_dir, lake, force=False)
    if counts != rows:
        raise SystemExit(f"bench_audience: the workspace has {counts} rows, the lake {rows}")
    if not args.keep_lake:
        shutil.rmtree(lake, ignore_errors=True)
    have = {**want, "chunk": args.chunk, "rows": rows, "generate_s": round(gen_s, 1), "load_s": round(load_s, 1),
            "built": dt.datetime.now().isoformat(timespec="seconds")}
    manifest.write_text(json.dumps(have, indent=2) + "\n", encoding="utf-8")
    print(f"simulated and written in {gen_s:.1f} s, bulk-loaded into DuckDB in {load_s:.1f} s", flush=True)
    return ws_dir, have, True


# -- the three ways of counting -----------------------------------------------------------------------------------
def window(t: dt.date, days: int) -> tuple[dt.datetime, dt.datetime]:
    """W(days): the ``days`` calendar days ending on ``t``, as [first midnight, midnight after ``t``)."""
    return (dt.datetime.combine(t - dt.timedelta(days=days - 1), dt.time()),
            dt.datetime.combine(t + dt.timedelta(days=1), dt.time()))


def hand_sql(profile: str, t: dt.date) -> str:
    """The audience as an analyst writes it in DuckDB over the profile table (literal values, inner joins)."""
    ev_lo, hi = window(t, EVENT_DAYS)
    or_lo, _ = window(t, ORDER_DAYS)

    def lst(xs: tuple[str, ...]) -> str:
        return ", ".join(f"'{x}'" for x in xs)

    return f"""
WITH carts AS (            -- {EVENT} events in the {EVENT_DAYS} days ending on T
    SELECT user_id, count(*) AS n_events
    FROM events
    WHERE type = '{EVENT}' AND ts >= TIMESTAMP '{ev_lo}' AND ts < TIMESTAMP '{hi}'
    GROUP BY user_id
), buys AS (               -- orders in the {ORDER_DAYS} days ending on T, fully refunded ones left out
    SELECT user_id, count(*) AS n_orders
    FROM orders
    WHERE paid_at >= TIMESTAMP '{or_lo}' AND paid_at < TIMESTAMP '{hi}'
      AND coalesce(refund_amount, 0) < amount
    GROUP BY user_id
)
SELECT count(*) AS n
FROM {profile} p
JOIN carts c ON c.user_id = p.user_id
JOIN buys b ON b.user_id = p.user_id
WHERE p.aipl IN ({lst(AIPL)})
  AND p.customer_pool IN ({lst(POOLS)})
  AND b.n_orders >= {MIN_ORDERS}
  AND c.n_events >= {MIN_EVENTS}
  AND p.is_member IS NOT TRUE
"""


def pandas_count(prof: Any, events: Any, orders: Any, t: dt.date) -> int:
    """The audience in pandas on prepared frames: filter, group by user, merge onto the filtered profile."""
    import pandas as pd

    ev_lo, hi = (pd.Timestamp(x) for x in window(t, EVENT_DAYS))
    or_lo = pd.Timestamp(window(t, ORDER_DAYS)[0])
    ev = events[(events["type"] == EVENT) & (events["ts"] >= ev_lo) & (events["ts"] < hi)]
    carts = ev.groupby("user_id").size().rename("n_events")
    od = orders[(orders["paid_at"] >= or_lo) & (orders["paid_at"] < hi)
                & (orders["refund_amount"].fillna(0) < orders["amount"])]
    buys = od.groupby("user_id").size().rename("n_orders")
    member = prof["is_member"].fillna(False).astype(bool)
    p = prof[prof["aipl"].isin(AIPL) & prof["customer_pool"].isin(POOLS) & ~member]
    m = p[["user_id"]].merge(carts, left_on="user_id", right_index=True).merge(buys, left_on="user_id",
                                                                               right_index=True)
    return int(((m["n_events"] >= MIN_EVENTS) & (m["n_orders"] >= MIN_ORDERS)).sum())


# -- report helpers -----------------------------------------------------------------------------------------------
def machine(conn: Any) -> dict[str, str]:
    from machine import machine as base

    threads = conn.execute("SELECT current_setting('threads')").fetchall()[0][0]
    return {**base(("duckdb", "pandas", "pyarrow", "numpy")), "threads": str(threads)}


def secs(v: float) -> str:
    return f"{v * 1000:.1f} ms" if v < 0.1 else f"{v:.3f} s" if v < 1 else f"{v:.2f} s"


def runs(values: list[float]) -> str:
    """**median** (every run)."""
    return f"**{secs(statistics.median(values))}** ({', '.join(secs(v) for v in values)})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--chunk", type=int, default=1_000_000, help="users simulated at a time (gen_lake.py --chunk)")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/siyu-bench-audience"),
                    help="where the store is built or reused (<dir>/ws, <dir>/bench.json)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--as-of", type=dt.date.fromisoformat, help="snapshot date T (default: the last pay date)")
    ap.add_argument("--rebuild", action="store_true", help="build a new store even if --dir holds one")
    ap.add_argument("--keep-lake", action="store_true", help="keep the Parquet files the store was loaded from")
    args = ap.parse_args()
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if args.users < 100 or args.chunk < 100:
        ap.error("--users and --chunk must be at least 100")
    if args.days < max(EVENT_DAYS, 30):
        ap.error("--days must be at least 30")
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    wall0 = time.perf_counter()

    ws_dir, manifest, built_now = build_store(args)

    from siyu import Workspace, assets, audiences
    from siyu.audiences import evaluate
    from siyu.engine.duckdb import arrow

    ws = Workspace(ws_dir)
    t = args.as_of or ws.last_date()
    sizes = {n: ws.query(f"SELECT count(*) AS n FROM {n}").column("n")[0].as_py()
             for n in ("users", "events", "orders")}
    with ws.session() as conn:
        info = machine(conn)
    print(f"machine: {info['cpu']}, {info['cores']} cores, {info['ram']} RAM, {info['os']}")
    print(f"python {info['python']}, duckdb {info['duckdb']} ({info['threads']} threads), pandas {info['pandas']}, "
          f"pyarrow {info['pyarrow']}, numpy {info['numpy']}")
    print("data: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()) + f"; snapshot T = {t}", flush=True)

    def fresh_profile() -> tuple[str, float]:
        with ws.session() as conn:
            evaluate._PROFILES.clear()
            for (name,) in conn.execute("SELECT table_name FROM duckdb_tables() WHERE temporary "
                                        "AND table_name LIKE '_audience_profile_%'").fetchall():
                conn.execute(f"DROP TABLE IF EXISTS {name}")
            t0 = time.perf_counter()
            name = evaluate.profile(ws, conn, t)
            return name, time.perf_counter() - t0

    # -- features of a new T: the profile from scratch vs the asset snapshot ------------------------------------
    prof_t: list[float] = []
    assets_t: list[float] = []
    for i in range(args.repeat):
        name, s = fresh_profile()
        prof_t.append(s)
        t0 = time.perf_counter()
        snap = assets.customer_assets(ws, t)
        assets_t.append(time.perf_counter() - t0)
        print(f"features run {i + 1}: profile {secs(prof_t[-1])}, customer_assets {secs(assets_t[-1])} "
              f"({snap['aipl'].num_rows:,} users)", flush=True)
    del snap

    # -- prepared frames for pandas (not timed in the runs) ----------------------------------------------------
    with ws.session() as conn:
        name = evaluate.profile(ws, conn, t)  # warm: the table of the last run
        universe = conn.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
        t0 = time.perf_counter()
        prof_df = arrow(conn, f"SELECT * FROM {name}").to_pandas()
        events_df = arrow(conn, "SELECT user_id, type, ts FROM events").to_pandas()
        orders_df = arrow(conn, "SELECT user_id, paid_at, CAST(amount AS DOUBLE) AS amount, "
                                "CAST(refund_amount AS DOUBLE) AS refund_amount FROM orders").to_pandas()
        prep_s = time.perf_counter() - t0
    print(f"pandas frames prepared in {prep_s:.1f} s (not timed below): profile {len(prof_df):,} rows, "
          f"events {len(events_df):,}, orders {len(orders_df):,}", flush=True)

    # -- count: siyu vs hand-written DuckDB vs pandas -----------------------------------------------------------
    count_t: list[float] = []
    hand_t: list[float] = []
    pandas_t: list[float] = []
    counts: dict[str, set[int]] = {"siyu": set(), "duckdb": set(), "pandas": set()}
    sql = hand_sql(name, t)
    for i in range(args.repeat):
        t0 = time.perf_counter()
        res = audiences.count(ws, TREE, t)
        count_t.append(time.perf_counter() - t0)
        counts["siyu"].add(res["count"])
        with ws.session() as conn:
            prof_name = evaluate.profile(ws, conn, t)
            assert prof_name == name, (prof_name, name)
            t0 = time.perf_counter()
            n = conn.execute(sql).fetchall()[0][0]
            hand_t.append(time.perf_counter() - t0)
        counts["duckdb"].add(n)
        t0 = time.perf_counter()
        n = pandas_count(prof_df, events_df, orders_df, t)
        pandas_t.append(time.perf_counter() - t0)
        counts["pandas"].add(n)
        print(f"count run {i + 1}: siyu {secs(count_t[-1])} ({res['count']:,} of {res['universe']:,}), "
              f"hand-written DuckDB {secs(hand_t[-1])}, pandas {secs(pandas_t[-1])} ({n:,})", flush=True)
    ws.close()
    flat = {k: sorted(v) for k, v in counts.items()}
    if any(len(v) != 1 for v in flat.values()) or len({v[0] for v in flat.values()}) != 1:
        raise SystemExit(f"bench_audience: the counts differ: {flat}")
    members = flat["siyu"][0]
    if members == 0:
        raise SystemExit("bench_audience: the audience is empty on this store; the benchmark needs members")
    print(f"counts agree: siyu {flat['siyu'][0]:,} = hand-written DuckDB {flat['duckdb'][0]:,} = "
          f"pandas {flat['pandas'][0]:,} of {universe:,} users")

    # -- the report ---------------------------------------------------------------------------------------------
    med = statistics.median
    feat = med(prof_t) / med(assets_t)
    vs_hand = med(count_t) / med(hand_t)
    vs_pandas = med(pandas_t) / med(count_t)
    wall = time.perf_counter() - wall0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print()
    print(f"### Audiences: a 5-condition count at {sizes['users']:,} users ({dt.date.today()})")
    print()
    print(f"Command: `{command}`")
    print()
    print(f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram']} RAM, {info['os']}; Python {info['python']}, "
          f"DuckDB {info['duckdb']} ({info['threads']} threads), pandas {info['pandas']}, pyarrow {info['pyarrow']}, "
          f"numpy {info['numpy']}.")
    print()
    print(f"Data: simulated store ({manifest.get('users', 0):,} users x {manifest.get('days')} days, seed "
          f"{manifest.get('seed')}, `benchmarks/gen_lake.py` bulk load): users {sizes['users']:,}, events "
          f"{sizes['events']:,}, orders {sizes['orders']:,}; snapshot T = {t}; universe {universe:,} users.")
    print()
    print(f"Audience: `{json.dumps(TREE, ensure_ascii=False)}` → **{members:,}** users (siyu, the hand-written "
          f"DuckDB query and pandas agree).")
    print()
    print(f"Seconds, median of {args.repeat} in one process (every run in brackets).")
    print()
    print("| step | siyu | hand-written DuckDB | pandas (prepared frames) | ratio |")
    print("|---|--:|--:|--:|---|")
    print(f"| features of a new T: `audiences.evaluate.profile` from scratch (session table) | {runs(prof_t)} "
          f"| – | – | {feat:.2f} × the asset snapshot |")
    print(f"| asset snapshot today: `assets.customer_assets(ws, T)` (AIPL, pools, UCMV, RFM) | {runs(assets_t)} "
          f"| – | – | 1 |")
    print(f"| count of the 5-condition audience, profile warm: `audiences.count(ws, tree, T)` | {runs(count_t)} | "
          f"{runs(hand_t)} | {runs(pandas_t)} | siyu = {vs_hand:.2f} × hand-written DuckDB; pandas = "
          f"{vs_pandas:.1f} × siyu |")
    print()
    print(f"pandas frames (whole profile; events user_id, type, ts; orders user_id, paid_at, amount, refund_amount) "
          f"were read from DuckDB in {prep_s:.2f} s before the runs, not counted above.")
    print()
    ok = "✓" if med(count_t) < 1 else "✗"
    print(f"Goals: count under 1 s on {info['cores']} cores {ok} ({secs(med(count_t))}); within 2 × of the "
          f"hand-written DuckDB query {'✓' if vs_hand <= 2 else '✗'} ({vs_hand:.2f} ×); features of a new T about "
          f"the asset snapshot: {feat:.2f} × ({secs(med(prof_t))} vs {secs(med(assets_t))}).")
    print()
    built = (f", of which building the store {manifest['generate_s']} s (simulate + Parquet) and "
             f"{manifest['load_s']} s (DuckDB bulk load)" if built_now else " (store reused)")
    print(f"Wall time of the script {wall:.0f} s{built}; peak RSS {peak:.1f} GB.")


if __name__ == "__main__":
    main()
