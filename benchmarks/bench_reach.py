"""Benchmark: planning a campaign for 1M recipients, and the webhook channel's throughput to a local receiver.

    python benchmarks/bench_reach.py --users 1000000 --log-per-user 12 --repeat 5 --webhook 20000

The store is synthetic and built once in ``--dir`` with bulk SQL (a benchmark fixture, not ``siyu ingest``):
``--users`` users with one order each, a consent history per user (a marketing grant for all channels for 90 %,
personalisation for half, SMS third-party consent for 40 %, a later withdrawal for 8 %) and a year of ``reach_log``
before the plan moment (``--log-per-user`` messages per user on average, random channels and statuses, so the
budget has real history to count). The campaign targets every user (an audience tree that holds for all), over
``sms`` then ``push``, personalised and plain content, a 10 % holdout, 5 % global control, queue on budget.

Timed, each ``--repeat`` times, median reported (the plan replaces itself, so every run does the same work):

* ``plan``: :func:`siyu.reach.plan` end to end — the audience's members, control groups, consent at the send
  moment, channel and variant choice, the budget against the year of ``reach_log``, quiet hours, and the one
  transaction that writes the campaign, the outbox, the suppressions and the assignments;
* ``audience``: the audience's members alone (:func:`siyu.audiences.members`, profile warm), the part of ``plan``
  that is not reach's own rules;
* ``pandas``: the same rules on frames prepared before the runs (consent's latest record per user, channel and
  purpose; the two channels in order; the trailing budget count; hash-keyed holdouts) — only the computation is
  timed, nothing is written. Its planned count must equal siyu's (the script stops otherwise).

Then the webhook: ``--webhook`` messages planned over the ``webhook`` channel and sent by :func:`siyu.reach.send`
to :class:`siyu.reach.receiver.Receiver` on 127.0.0.1 in its own process (sharing the two cores with the
sender); messages per second of the whole send (checks, rendering, HTTP, the commits), and the receiver must have
handled every message once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

AT = dt.datetime(2025, 1, 10, 10, 0)
EVERYONE = {"any": [{"field": "is_member", "op": "=", "value": True},
                    {"not": {"field": "is_member", "op": "=", "value": True}}]}


def build(ws_dir: Path, users: int, per_user: int, seed: int):
    """The synthetic store (see the module docstring), by bulk SQL into a new workspace."""
    import duckdb

    from siyu.workspace import Workspace

    ws = Workspace.init(ws_dir)
    (ws_dir / "siyu.toml").write_text("[reach]\nglobal_control = 0.05\n", encoding="utf-8")
    ws.close()
    con = duckdb.connect(str(ws_dir / "siyu.duckdb"))
    con.execute(f"SELECT setseed({(seed % 1000) / 1000})")
    con.execute(f"""INSERT INTO users (user_id, city_tier, registered_at)
        SELECT printf('u%08d', i), ['一线', '二线', '三线'][1 + i % 3], TIMESTAMP '2023-01-01' + INTERVAL (i % 365) DAY
        FROM range({users}) t(i)""")
    con.execute(f"""INSERT INTO orders (order_id, user_id, paid_at, amount, refund_amount)
        SELECT printf('o%08d', i), printf('u%08d', i), TIMESTAMP '2024-01-01' + INTERVAL (i % 370) DAY, 100, 0
        FROM range({users}) t(i)""")
    con.execute(f"""INSERT INTO consents
        SELECT printf('u%08d', i), 'all', 'marketing', 'granted', TIMESTAMP '2023-06-01' + INTERVAL (i % 300) DAY,
               'register', 'v1' FROM range({users}) t(i) WHERE random() < 0.9
        UNION ALL
        SELECT printf('u%08d', i), 'all', 'personalisation', 'granted', TIMESTAMP '2023-06-01', 'register', 'v1'
        FROM range({users}) t(i) WHERE random() < 0.5
        UNION ALL
        SELECT printf('u%08d', i), 'sms', 'third_party', 'granted', TIMESTAMP '2023-06-01', 'checkout', 'v2'
        FROM range({users}) t(i) WHERE random() < 0.4
        UNION ALL
        SELECT printf('u%08d', i), (['sms', 'all'])[1 + i % 2], 'marketing', 'withdrawn',
               TIMESTAMP '2024-06-01' + INTERVAL (i % 200) DAY, 'sms_reply', 'v2'
        FROM range({users}) t(i) WHERE random() < 0.08""")
    n_log = users * per_user
    con.execute(f"""INSERT INTO reach_log
        SELECT printf('h%09d', i), printf('u%08d', CAST(floor(random() * {users}) AS BIGINT)),
               TIMESTAMP '{AT - dt.timedelta(days=365):%Y-%m-%d %H:%M}' + INTERVAL (CAST(random() * 365 * 86400 AS BIGINT)) SECOND,
               (['sms', 'group_chat', 'push', 'customer_service', 'email'])[1 + CAST(floor(random() * 5) AS INT)],
               'hist', (['sent', 'delivered', 'opened', 'clicked', 'failed'])[1 + CAST(floor(random() * 5) AS INT)]
        FROM range({n_log}) t(i)""")
    sizes = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("users", "consents", "reach_log")}
    con.close()
    return sizes


def campaign(cid: str, channels: list[str]) -> dict:
    return {"id": cid, "audience": EVERYONE, "channels": channels, "send_from": AT, "send_until": AT + dt.timedelta(
        days=2), "priority": 1, "holdout": 0.1, "on_budget": "queue",
            "content": {"personalised": "{{ user.city_tier }}的你好", "plain": "你好"}}


def pandas_plan(frames: dict, salt: str, cfg) -> tuple[int, int]:
    """The plan's rules in pandas (see the module docstring): (users reachable on a channel, of whom over budget)."""
    import numpy as np
    import pandas as pd

    users = frames["users"]
    def frac(parts: pd.Series) -> np.ndarray:
        return np.array([int(hashlib.sha256(p.encode()).hexdigest()[:15], 16) for p in parts]) / 16 ** 15

    gc = frac(salt + "\x1fgc\x1f" + users) < cfg.global_control
    hold = frac(salt + "\x1fholdout\x1fbench\x1f" + users) < 0.1
    treat = users[~gc & ~hold]
    c = frames["consents"]
    c = c[c["ts"] <= AT]
    out = {}
    for ch in ("sms", "push"):
        cc = c[c["channel"].isin([ch, "all"])].copy()
        cc["w"] = cc["status"].eq("withdrawn")
        cc = cc.sort_values(["ts", "w"]).drop_duplicates(["user_id", "purpose"], keep="last")
        g = cc[cc["status"].eq("granted")].pivot_table(index="user_id", columns="purpose", values="w", aggfunc="size")
        m = g.reindex(columns=["marketing", "personalisation", "third_party"]).notna()
        ok = m["marketing"] & (m["third_party"] if ch in cfg.third_party_channels else True)
        out[ch] = set(ok[ok].index)
    chosen = pd.Series({u: "sms" for u in out["sms"]} | {u: "push" for u in out["push"] - out["sms"]})
    chosen = chosen[chosen.index.isin(set(treat))]
    log = frames["log"]
    w = dt.timedelta(days=cfg.window_days)
    near = log[(log["ts"] > AT - w) & (log["ts"] <= AT) & log["status"].isin(
        ["sent", "delivered", "opened", "clicked", "exported"])].groupby("user_id").size()
    full = set(near[near >= cfg.max_messages].index)
    return int(len(chosen)), int(chosen.index.isin(full).sum())


def _serve(conn, secret: str) -> None:
    """Child process: run a Receiver, send its url, answer "count" with (handled, deliveries) until "stop"."""
    from siyu.reach.receiver import Receiver

    with Receiver(secret) as rx:
        conn.send(rx.url)
        while (cmd := conn.recv()) != "stop":
            conn.send((len(rx.handled), rx.deliveries))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--log-per-user", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--webhook", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/siyu-bench-reach"))
    args = ap.parse_args()

    import shutil

    from siyu import audiences
    from siyu.reach import plan, send
    from siyu.reach.store import salt
    from siyu.workspace import Workspace

    shutil.rmtree(args.dir, ignore_errors=True)
    t0 = time.perf_counter()
    sizes = build(args.dir / "ws", args.users, args.log_per_user, args.seed)
    print(f"built {sizes} in {time.perf_counter() - t0:.1f} s", flush=True)
    ws = Workspace(args.dir / "ws")
    cfg = ws.config.reach
    frames = {
        "users": ws.query("SELECT user_id FROM users ORDER BY user_id").to_pandas()["user_id"],
        "consents": ws.query("SELECT user_id, channel, purpose, status, ts FROM consents").to_pandas(),
        "log": ws.query("SELECT user_id, ts, status FROM reach_log").to_pandas(),
    }
    key = salt(ws)
    as_of = min(AT.date(), ws.last_date())  # the date plan evaluates the audience at
    t = time.perf_counter()
    audiences.members(ws, EVERYONE, as_of)  # the profile, built once per date and process, then warm for every run
    profile_s = time.perf_counter() - t
    print(f"audience profile of {as_of} built in {profile_s:.2f} s", flush=True)
    times: dict[str, list[float]] = {"plan": [], "audience": [], "pandas": []}
    for r in range(args.repeat):
        t = time.perf_counter()
        res = plan(ws, campaign("bench", ["sms", "push"]), AT)
        times["plan"].append(time.perf_counter() - t)
        t = time.perf_counter()
        n_aud = audiences.members(ws, EVERYONE, as_of).num_rows
        times["audience"].append(time.perf_counter() - t)
        t = time.perf_counter()
        reachable, over = pandas_plan(frames, key, cfg)
        times["pandas"].append(time.perf_counter() - t)
        print(f"run {r + 1}: plan {times['plan'][-1]:.2f} s ({res['planned']:,} planned of {res['audience']:,}; "
              f"{res['queued_budget']:,} wait for budget, {res['suppressed']['budget']:,} dropped), audience "
              f"{times['audience'][-1]:.2f} s, pandas {times['pandas'][-1]:.2f} s ({reachable:,} reachable, "
              f"{over:,} over budget)", flush=True)
        if (reachable, over) != (res["planned"] + res["suppressed"]["budget"],
                                 res["queued_budget"] + res["suppressed"]["budget"]) or n_aud != args.users:
            raise SystemExit(f"counts differ: siyu {res}, pandas {(reachable, over)}, audience {n_aud:,}")

    # the webhook channel: a store of --webhook users, everyone who consents gets a message
    ws.close()
    build(args.dir / "hook", args.webhook, 0, args.seed)
    hook = Workspace(args.dir / "hook")
    secret = "bench-secret"
    os.environ["SIYU_BENCH_SECRET"] = secret
    rates = []
    import multiprocessing as mp

    parent, child = mp.get_context("spawn").Pipe()
    proc = mp.get_context("spawn").Process(target=_serve, args=(child, secret), daemon=True)
    proc.start()  # the receiver in its own process, as a merchant's endpoint would be
    url = parent.recv()
    try:
        settings = cfg.model_copy(update={"webhook": cfg.webhook.model_copy(
            update={"url": url, "secret_env": "SIYU_BENCH_SECRET"})})
        for r in range(min(args.repeat, 3)):
            cid = f"hook{r}"
            c = {**campaign(cid, ["webhook"]), "holdout": 0.0}
            p = plan(hook, c, AT)
            parent.send("count")
            before = parent.recv()[0]
            t = time.perf_counter()
            out = send(hook, cid, AT, settings=settings)
            dt_s = time.perf_counter() - t
            parent.send("count")
            got = parent.recv()[0] - before
            rates.append(out["sent"] / dt_s)
            print(f"webhook run {r + 1}: {out['sent']:,} sent in {dt_s:.2f} s = {rates[-1]:,.0f} msg/s; receiver "
                  f"handled {got:,} (planned {p['planned']:,})", flush=True)
            if got != out["sent"] or out["sent"] != p["planned"]:
                raise SystemExit("the receiver did not handle every message once")
    finally:
        parent.send("stop")
        proc.join(10)
    from machine import machine

    m = machine(("duckdb", "pandas", "pyarrow", "httpx"))
    med = {k: statistics.median(v) for k, v in times.items()}
    print("\n### Markdown for BENCHMARKS.md\n")
    print(f"Command: `python benchmarks/bench_reach.py --users {args.users} --log-per-user {args.log_per_user} "
          f"--repeat {args.repeat} --webhook {args.webhook}`  ")
    print(f"Machine: {m}  ")
    print(f"Data: {sizes['users']:,} users, {sizes['consents']:,} consent records, {sizes['reach_log']:,} reach_log rows "
          f"over the year before the plan\n")
    print("| step | median | runs |\n|---|---|---|")
    for k in ("plan", "audience", "pandas"):
        print(f"| {k} | {med[k]:.2f} s | {', '.join(f'{x:.2f}' for x in times[k])} |")
    print(f"| audience profile (once per date and process, before the runs) | {profile_s:.2f} s | |")
    print(f"| webhook send | {statistics.median(rates):,.0f} msg/s | {', '.join(f'{x:,.0f}' for x in rates)} |")


if __name__ == "__main__":
    main()
