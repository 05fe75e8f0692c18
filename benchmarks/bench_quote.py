"""Benchmark: the quote (报价) warm, on a store of 100k users.

    python benchmarks/bench_quote.py --users 100000 --quotes 1000

The store is synthetic and built once in ``--dir`` with bulk SQL (a benchmark fixture, not ``siyu ingest``):
``--users`` users, 2,000 skus over 20 leaf categories in 5 first-level ones, three orders per user on average over
2024, a follow spell for 40 % (a quarter of them unfollowed later), a stored tier program (银卡 / 金卡 / 钻石, with
discounts) and a tier history for 30 % of the users (written as ``siyu loyalty run`` stores it), and 20,000 coupon
uses. The offers file has a price list for 300 skus and 10 coupons: everyone, a tree audience, a saved audience,
sku and category scopes, thresholds, per-user limits, a first-purchase gift, stackable and not, and 关注立减.

Timed: ``--quotes`` calls of :func:`siyu.offers.quote` on one workspace object, random users (known and unknown) and
skus at moments in May 2024, after one untimed pass over the same (user, sku, moment) list, so each timed call is
warm: the offers, the program, the per-user lookups and every audience's members are cached for the engine
generation, and a warm call reads nothing from the database. Prints the median and the 95th percentile in ms, and
the cold first quote.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

PROGRAM = {"program": {"name": "成长型会员"},
           "tiers": [{"name": "银卡", "threshold": 500, "discount": 0.95},
                     {"name": "金卡", "threshold": 2000, "discount": 0.9},
                     {"name": "钻石", "threshold": 5000, "discount": 0.85}]}
WINDOW = 'valid_from = "2024-05-01 00:00"\nvalid_to = "2024-06-01 00:00"\n'
OFFERS = "floor_ratio = 0.3\n" + "".join(
    f'[[price_lists]]\ntier = "{t}"\nsku = "s{i:05d}"\nprice = {p}\n'
    for i in range(100) for t, p in (("银卡", 80), ("金卡", 70), ("钻石", 60))) + f"""
[[coupons]]
id = "all-10"
amount_off = 10
threshold = 99
{WINDOW}
[[coupons]]
id = "all-95"
discount = 0.95
stackable = true
per_user_limit = 3
{WINDOW}
[[coupons]]
id = "members-20"
audience = {{ field = "is_member", op = "=", value = true }}
amount_off = 20
threshold = 199
{WINDOW}
[[coupons]]
id = "saved-15"
audience = "老客"
amount_off = 15
{WINDOW}
[[coupons]]
id = "cat-88"
categories = ["c1"]
discount = 0.88
{WINDOW}
[[coupons]]
id = "sku-30"
skus = ["s00001", "s00002", "s00003"]
amount_off = 30
per_user_limit = 1
{WINDOW}
[[coupons]]
id = "new-20"
first_purchase = true
amount_off = 20
{WINDOW}
[[coupons]]
id = "leaf-5"
categories = ["leaf3"]
amount_off = 5
stackable = true
{WINDOW}
[[coupons]]
id = "june"
amount_off = 50
valid_from = "2024-06-01 00:00"
valid_to = "2024-07-01 00:00"
[[coupons]]
id = "april"
amount_off = 50
valid_from = "2024-04-01 00:00"
valid_to = "2024-05-01 00:00"
[follow_discount]
amount = 5
"""


def build(ws_dir: Path, users: int, seed: int) -> None:
    """The synthetic store (see the module docstring), by bulk SQL into a new workspace."""
    import json

    import duckdb

    from siyu import audiences
    from siyu.loyalty.program import load_program
    from siyu.loyalty.store import DDL
    from siyu.workspace import Workspace

    ws = Workspace.init(ws_dir)
    ws.close()
    con = duckdb.connect(str(ws_dir / "siyu.duckdb"))
    con.execute(f"SELECT setseed({(seed % 1000) / 1000})")
    con.execute(f"""INSERT INTO users (user_id, city_tier, registered_at)
        SELECT printf('u%08d', i), ['一线', '二线', '三线'][1 + i % 3], TIMESTAMP '2023-01-01' + INTERVAL (i % 365) DAY
        FROM range({users}) t(i)""")
    con.execute("""INSERT INTO products (sku, category_leaf, category_l1, list_price)
        SELECT printf('s%05d', i), 'leaf' || (i % 20), 'c' || (i % 5), 50 + (i % 40) * 10 FROM range(2000) t(i)""")
    con.execute(f"""INSERT INTO orders (order_id, user_id, paid_at, amount, refund_amount)
        SELECT printf('o%09d', i), printf('u%08d', CAST(floor(random() * {users}) AS BIGINT)),
               TIMESTAMP '2024-01-01' + INTERVAL (CAST(random() * 365 * 86400 AS BIGINT)) SECOND,
               round(20 + random() * 500, 2), 0
        FROM range({users * 3}) t(i)""")
    con.execute(f"""INSERT INTO follows
        SELECT printf('u%08d', i), TIMESTAMP '2023-06-01' + INTERVAL (i % 300) DAY,
               CASE WHEN i % 4 = 0 THEN TIMESTAMP '2024-05-05' + INTERVAL (i % 20) DAY END
        FROM range({users}) t(i) WHERE i % 5 < 2""")
    con.execute(f"""INSERT INTO memberships (user_id, joined_at)
        SELECT printf('u%08d', i), TIMESTAMP '2023-01-01' FROM range({users}) t(i) WHERE i % 10 < 3""")
    for ddl in DDL:
        con.execute(ddl)
    prog = load_program(PROGRAM)
    con.execute("INSERT INTO loyalty_runs VALUES (?, ?, ?, DATE '2024-12-31', DATE '2023-02-01', now()::TIMESTAMP)",
                [prog.name, prog.digest(), json.dumps(prog.definition(), ensure_ascii=False)])
    con.execute(f"""INSERT INTO tier_changes
        SELECT printf('u%08d', i), DATE '2023-02-01', NULL, '银卡', 'upgrade' FROM range({users}) t(i) WHERE i % 10 < 3
        UNION ALL
        SELECT printf('u%08d', i), DATE '2024-03-01' + (i % 60)::INTEGER, '银卡', ['金卡', '钻石'][1 + i % 2], 'upgrade'
        FROM range({users}) t(i) WHERE i % 10 = 1
        UNION ALL
        SELECT printf('u%08d', i), DATE '2024-05-01', '银卡', NULL, 'review' FROM range({users}) t(i) WHERE i % 10 = 2""")
    con.close()
    ws = Workspace(ws_dir)
    audiences.save(ws, "老客", audiences.parse("orders.count(365d) >= 2"), "2024-05-15")
    (ws_dir / "offers.toml").write_text(OFFERS, encoding="utf-8")
    from siyu import offers

    offers.load(ws, ws_dir / "offers.toml")
    uses = ws_dir / "uses.csv"
    rng = random.Random(seed)
    with uses.open("w", encoding="utf-8") as fh:
        fh.write("coupon_id,user_id,order_id,used_at\n")
        for i in range(20_000):
            fh.write(f"{rng.choice(['all-95', 'sku-30', 'all-10'])},u{rng.randrange(users):08d},o{i:09d},"
                     f"2024-05-{rng.randint(1, 20):02d} 12:00\n")
    offers.load_uses(ws, uses)
    ws.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=100_000)
    ap.add_argument("--quotes", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dir", type=Path, default=None, help="Workspace directory (default: a temporary one).")
    args = ap.parse_args()

    from siyu import offers
    from siyu.workspace import Workspace

    tmp = None
    if args.dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="siyu-bench-quote-")
        args.dir = Path(tmp.name) / "ws"
    if not (args.dir / "siyu.duckdb").exists():
        t0 = time.perf_counter()
        build(args.dir, args.users, args.seed)
        print(f"built {args.users:,} users in {time.perf_counter() - t0:.1f} s", flush=True)
    ws = Workspace(args.dir)
    rng = random.Random(args.seed)
    calls = [(f"u{rng.randrange(int(args.users * 1.05)):08d}", f"s{rng.randrange(2000):05d}", rng.randint(1, 3),
              dt.datetime(2024, 5, rng.choice([3, 10, 17, 24]), rng.randrange(24), rng.randrange(60)))
             for _ in range(args.quotes)]
    t0 = time.perf_counter()
    offers.quote(ws, *calls[0])
    cold = time.perf_counter() - t0
    from collections import Counter

    seen: Counter = Counter()
    for c in calls:  # warm every (coupon, date) audience set; count what the quotes did
        q = offers.quote(ws, *c)
        seen.update(f"{a['rule']}" for a in q["applied"])
        seen.update(f"{r['rule']}:{r['reason']}" for r in q["rejected"])
    times = []
    for c in calls:
        t = time.perf_counter()
        offers.quote(ws, *c)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    print(f"quote warm over {len(times):,} calls, {args.users:,} users: median {statistics.median(times):.2f} ms, "
          f"p95 {p95:.2f} ms (cold first quote {cold * 1000:.0f} ms)")
    print("rules over the calls: " + ", ".join(f"{k} {n}" for k, n in sorted(seen.items())))
    ws.close()
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
