"""Benchmark: the tier history of 1M members over a year (every day, every monthly review), and a full run.

    python benchmarks/bench_loyalty.py --users 1000000 --orders-per-user 6 --repeat 5

The store is synthetic and built once in ``--dir`` with bulk SQL (a benchmark fixture, not ``siyu ingest``):
``--users`` members who join between 2024-12-01 and 2025-02-28 (8 % leave again within the year, 3 % of those
rejoin), and ``--orders-per-user`` orders per user on average paid from 2024-01-01 to 2025-12-31 (so the first
window already holds a year of purchases), amounts log-normal around ¥300, 6 % partly and 4 % fully refunded.
The program is the growth-type program (银卡 ¥500, 金卡 ¥2,000 kept at ¥1,500, 钻石 ¥6,000 kept at ¥5,000),
W(365), monthly reviews; the history runs from the first join to 2025-12-31.

Timed, each ``--repeat`` times, median reported:

* ``history``: :func:`siyu.loyalty.history` — reading the member runs and the purchases per member and day (SQL)
  and the tier engine over every day (upgrades, leaves, twelve reviews);
* ``engine``: the engine alone (:func:`siyu.loyalty.compute`) on the inputs read once;
* ``run``: :func:`siyu.loyalty.run` end to end — the history, the stored tier changes and the points posting in
  one transaction (the first run posts every order; later runs find nothing new and post nothing);
* ``reference``: the tests' independent pure-Python implementation (one user and one day at a time) on the
  first ``--reference-users`` members, for scale.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = dt.date(2025, 12, 31)
PROGRAM = {"program": {"name": "成长型会员", "basis": "spend", "window_days": 365, "review": "monthly"},
           "tiers": [{"name": "银卡", "threshold": 500, "discount": 0.95},
                     {"name": "金卡", "threshold": 2000, "keep": 1500, "discount": 0.9, "multiplier": 1.5},
                     {"name": "钻石", "threshold": 6000, "keep": 5000, "discount": 0.85, "multiplier": 2}]}


def build(ws_dir: Path, users: int, per_user: int, seed: int) -> None:
    """The synthetic store (see the module docstring), by bulk SQL into a new workspace."""
    import duckdb

    from siyu.workspace import Workspace

    Workspace.init(ws_dir).close()
    con = duckdb.connect(str(ws_dir / "siyu.duckdb"))
    con.execute(f"SELECT setseed({(seed % 1000) / 1000})")
    con.execute(f"""INSERT INTO memberships (user_id, joined_at, left_at)
        SELECT printf('u%08d', i), TIMESTAMP '2024-12-01 09:00' + INTERVAL (i % 90) DAY,
               CASE WHEN i % 25 < 2 THEN TIMESTAMP '2025-04-01 10:00' + INTERVAL (i % 200) DAY END
        FROM range({users}) t(i)
        UNION ALL
        SELECT printf('u%08d', i), TIMESTAMP '2025-11-01 10:00' + INTERVAL (i % 30) DAY, NULL
        FROM range({users}) t(i) WHERE i % 25 < 2 AND i % 100 < 3""")
    n = users * per_user
    con.execute(f"""INSERT INTO orders (order_id, user_id, paid_at, amount, refund_amount)
        SELECT printf('o%09d', i), printf('u%08d', CAST(floor(random() * {users}) AS BIGINT)),
               TIMESTAMP '2024-01-01' + INTERVAL (CAST(random() * 730 * 86400 AS BIGINT)) SECOND,
               round(exp(5.2 + 0.8 * sqrt(-2 * ln(random())) * cos(2 * pi() * random())), 2) + 1 AS amount, 0
        FROM range({n}) t(i)""")
    con.execute("UPDATE orders SET refund_amount = CASE WHEN hash(order_id) % 100 < 4 THEN amount "
                "ELSE round(amount * 0.3, 2) END WHERE hash(order_id) % 100 < 10")
    con.execute("CHECKPOINT")
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--orders-per-user", type=int, default=6)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--reference-users", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/siyu-bench-loyalty"))
    args = ap.parse_args()

    import os

    from siyu.loyalty import compute, history, load_program, run
    from siyu.workspace import Workspace

    ws_dir = args.dir / f"u{args.users}-o{args.orders_per_user}-s{args.seed}"
    if not (ws_dir / "siyu.duckdb").exists():
        t0 = time.perf_counter()
        build(ws_dir, args.users, args.orders_per_user, args.seed)
        print(f"built the store in {time.perf_counter() - t0:.1f} s")
    ws = Workspace(ws_dir)
    n_orders = ws.query("SELECT count(*) AS n FROM orders").column("n")[0].as_py()
    n_rows = ws.query("SELECT count(*) AS n FROM memberships").column("n")[0].as_py()
    print(f"store: {args.users:,} members ({n_rows:,} membership rows), {n_orders:,} orders; "
          f"as of {AS_OF}; machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    prog = load_program(PROGRAM)

    times: dict[str, list[float]] = {"history": [], "engine": [], "run": []}
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        h = history(ws, prog, AS_OF)
        times["history"].append(time.perf_counter() - t0)
    spells = ws.model("loyalty_spells", as_of=AS_OF)
    purchases = ws.model("loyalty_purchases", lo=dt.date(2023, 12, 2), as_of=AS_OF, basis="spend",
                         points_per_yuan=1.0)
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        compute(prog, spells, purchases, AS_OF)
        times["engine"].append(time.perf_counter() - t0)
    first_days = (AS_OF - min(spells.column("start_d").to_pylist())).days + 1
    posted = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        res = run(ws, prog, AS_OF)
        times["run"].append(time.perf_counter() - t0)
        posted.append(res["points"])
    print(f"tier history over {first_days} days: {h.changes.num_rows:,} changes "
          f"({dict(res['changes'])}); members at {AS_OF}: {res['members']:,} {res['by_tier']}")
    print(f"points posted by the first run: {posted[0]}; by the last: {posted[-1]}")
    for k, v in times.items():
        extra = f" (first run: {v[0]:.2f} s)" if k == "run" else ""
        print(f"{k:>9}: median {statistics.median(v):.2f} s over {len(v)} runs "
              f"({', '.join(f'{x:.2f}' for x in v)}){extra}")

    # the tests' reference implementation, on the first members, for scale
    sys.path.insert(0, str(ROOT / "tests"))
    from loyalty.reference import reference_tiers

    k = args.reference_users
    some = ws.query(f"SELECT user_id FROM memberships ORDER BY user_id LIMIT {k}").column("user_id").to_pylist()
    orders = [(r["order_id"], r["user_id"], r["paid_at"], r["amount"], r["refund_amount"]) for r in ws.query(
        "SELECT order_id, user_id, paid_at, amount, refund_amount FROM orders WHERE user_id IN "
        "(SELECT unnest(?::VARCHAR[]))", [some]).to_pylist()]
    mem = [(r["user_id"], r["joined_at"], r["left_at"]) for r in ws.query(
        "SELECT user_id, joined_at, left_at FROM memberships WHERE user_id IN (SELECT unnest(?::VARCHAR[]))",
        [some]).to_pylist()]
    t0 = time.perf_counter()
    want, _ = reference_tiers(PROGRAM, orders, mem, AS_OF)
    dt_ref = time.perf_counter() - t0
    wanted = set(some)
    got = [(r["user_id"], r["date"], r["from_tier"], r["to_tier"], r["reason"])
           for r in h.changes.to_pylist() if r["user_id"] in wanted]
    assert got == want, "siyu's tier history differs from the reference on the sampled members"
    print(f"reference: {dt_ref:.2f} s for {k:,} members ({dt_ref / k * 1e3:.2f} ms per member); "
          f"its {len(want):,} changes equal siyu's")


if __name__ == "__main__":
    main()
