"""Invariants of reach over random stores, checked by an independent implementation of the rules (docs/reach.md).

Each example draws users, a consent history, a reach_log history, one to three campaigns (channels, priorities,
queue or drop, holdouts, windows, variants) and reach settings (budget, window, caps, quiet hours, control share);
plans the campaigns one after another, then sends at a series of moments while new withdrawals and contacts logged
by people (customer service, a platform tool) arrive in between.
Whatever happened, these must hold:

- no message went (sent or exported) without the consents its channel and variant need at its send time;
- no window of the budget (or a channel cap) that holds a message siyu sent holds more than allowed, counting
  what siyu could know when it sent (a contact logged later cannot be siyu's fault);
- nothing went in quiet hours, nothing to the global control group, nothing to a campaign's holdout;
- every planned message is accounted for, once, and each message that went has exactly one successful attempt.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siyu.reach import plan, send
from siyu.reach.store import salt
from tests.reach.conftest import EVERYONE, make_store, write_csv

CHANNELS = ("sms", "group_chat", "push", "customer_service")
T0 = dt.datetime(2024, 5, 10, 0, 0)
COUNTED = {"sent", "delivered", "opened", "clicked", "exported"}


def _ts(rng, lo_h, hi_h):
    return T0 + dt.timedelta(minutes=int(rng.integers(lo_h * 60, hi_h * 60)))


def _draw(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 16))
    users = [f"u{i:02d}" for i in range(n)]
    consents = []
    for u in users:
        for _ in range(int(rng.integers(0, 6))):
            consents.append((u, str(rng.choice([*CHANNELS, "all", "all"])),
                             str(rng.choice(["marketing", "marketing", "personalisation", "third_party"])),
                             str(rng.choice(["granted", "granted", "withdrawn"])), _ts(rng, -24 * 30, 24 * 3)))
    consents = list({(c[0], c[1], c[2], c[4]): c for c in consents}.values())  # the table's key
    log = [(f"h{i}", str(rng.choice(users)), _ts(rng, -24 * 8, 24 * 2), str(rng.choice(CHANNELS)),
            str(rng.choice(["sent", "delivered", "failed", "clicked", "suppressed", "exported"])))
           for i in range(int(rng.integers(0, 3 * n)))]
    qs, qe = (int(rng.integers(0, 24)), int(rng.integers(0, 24)))
    cfg = {"max_messages": int(rng.integers(1, 4)), "window_days": int(rng.integers(1, 8)),
           "quiet_start": f"{qs:02d}:00", "quiet_end": f"{qe:02d}:30", "global_control": float(rng.choice([0, 0.2])),
           "third_party_channels": sorted(set(rng.choice(CHANNELS, int(rng.integers(0, 3))).tolist())),
           "channel_caps": {str(c): int(rng.integers(1, 3)) for c in rng.choice(CHANNELS, int(rng.integers(0, 2)))}}
    campaigns = []
    for k in range(int(rng.integers(1, 4))):
        start = _ts(rng, 0, 48)
        content = [{"personalised": "hi {{ user.user_id }}"}, {"plain": "hi"},
                   {"personalised": "hi {{ user.user_id }}", "plain": "hi"}][int(rng.integers(0, 3))]
        campaigns.append({"id": f"c{k}", "audience": EVERYONE, "priority": int(rng.integers(1, 4)),
                          "channels": list(rng.choice(CHANNELS, int(rng.integers(1, 4)), replace=False)),
                          "send_from": start, "send_until": start + dt.timedelta(hours=int(rng.integers(2, 96))),
                          "on_budget": str(rng.choice(["queue", "drop"])), "holdout": float(rng.choice([0, 0.3])),
                          "content": content, "_at": start - dt.timedelta(hours=int(rng.integers(0, 5)))})
    withdrawals = [(str(rng.choice(users)), str(rng.choice([*CHANNELS, "all"])),
                    str(rng.choice(["marketing", "personalisation", "third_party"])), "withdrawn",
                    _ts(rng, 0, 24 * 5)) for _ in range(int(rng.integers(0, n)))]
    return users, consents, log, cfg, campaigns, withdrawals


def _toml(cfg):
    caps = ", ".join(f"{k} = {v}" for k, v in cfg["channel_caps"].items())
    third = ", ".join(f'"{c}"' for c in cfg["third_party_channels"])
    return (f"[reach]\nmax_messages = {cfg['max_messages']}\nwindow_days = {cfg['window_days']}\n"
            f"quiet_start = \"{cfg['quiet_start']}\"\nquiet_end = \"{cfg['quiet_end']}\"\n"
            f"global_control = {cfg['global_control']}\nthird_party_channels = [{third}]\nchannel_caps = {{{caps}}}\n")


def _state(records, user, channel, purpose, t):
    """Reference consent: the latest record for the channel or all at or before t; withdrawn wins ties."""
    cands = [r for r in records if r[0] == user and r[2] == purpose and r[1] in (channel, "all") and r[4] <= t]
    if not cands:
        return False
    return max(cands, key=lambda r: (r[4], r[3] == "withdrawn"))[3] == "granted"


def _quiet(cfg, t):
    s, e = dt.time.fromisoformat(cfg["quiet_start"]), dt.time.fromisoformat(cfg["quiet_end"])
    c = t.time()
    if s == e:
        return False
    return s <= c < e if s < e else (c >= s or c < e)


def _frac(key, *parts):
    h = hashlib.sha256("\x1f".join((key, *parts)).encode()).hexdigest()
    return int(h[:15], 16) / 16 ** 15


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_reach_invariants(tmp_path_factory, seed):
    users, consents, log, cfg, campaigns, withdrawals = _draw(seed)
    root = tmp_path_factory.mktemp("inv")
    ws = make_store(root, users, consents, reach_log=log, toml=_toml(cfg))
    records = list(consents)
    for c in campaigns:
        res = plan(ws, {k: v for k, v in c.items() if k != "_at"}, c["_at"])
        assert res["planned"] + sum(res["suppressed"].values()) == res["audience"] == len(users)
    lo = min(c["_at"] for c in campaigns)
    hi = max(c["send_until"] for c in campaigns) + dt.timedelta(hours=1)
    rng = np.random.default_rng(seed + 1)
    t, prev, pending = lo, lo - dt.timedelta(hours=1), sorted(withdrawals, key=lambda w: w[4])
    arrived: dict[str, dt.datetime] = {}  # contacts logged by people between runs -> the run that first saw them
    while t <= hi:
        due = [w for w in pending if w[4] <= t]
        if due:  # withdrawals arrive between runs
            pending = [w for w in pending if w[4] > t]
            ws.ingest("consents", write_csv(root / f"w{t:%d%H%M}.csv", ["user_id", "channel", "purpose", "status", "ts"],
                                            due))
            records += due
        if rng.random() < 0.5:  # contacts (customer service, a platform tool) logged since the last run
            new = [(f"x{t:%d%H%M}{i}", str(rng.choice(users)), prev + (t - prev) * float(rng.random()),
                    str(rng.choice(CHANNELS)), "sent") for i in range(int(rng.integers(1, len(users) + 1)))]
            ws.ingest("reach_log", write_csv(root / f"x{t:%d%H%M}.csv", ["message_id", "user_id", "ts", "channel",
                                                                         "status"], new))
            arrived.update({x[0]: t for x in new})
        send(ws, None, t)
        prev, t = t, t + dt.timedelta(minutes=int(rng.integers(60, 420)))

    out = {r["message_id"]: r for r in ws.query("SELECT * FROM outbox").to_pylist()}
    went = [r for r in out.values() if r["status"] in ("sent", "exported")]
    key = salt(ws)
    window = dt.timedelta(days=cfg["window_days"])
    # (user, ts, channel, when siyu could first know of it): history before everything, logged contacts at the run
    # that loaded them, siyu's own messages when they went
    counted = [(r["user_id"], r["ts"], r["channel"], arrived.get(r["message_id"], r["ts"] if r["message_id"].startswith(
        "m_") else dt.datetime.min)) for r in ws.query("SELECT message_id, user_id, ts, channel, status FROM reach_log"
                                                      ).to_pylist() if r["status"] in COUNTED]
    arms = {(r["campaign_id"], r["user_id"]): r["arm"] for r in ws.query(
        "SELECT campaign_id, user_id, arm FROM campaign_assignments").to_pylist()}
    for m in went:
        u, ch, s = m["user_id"], m["channel"], m["sent_at"]
        assert _state(records, u, ch, "marketing", s), m
        if ch in cfg["third_party_channels"]:
            assert _state(records, u, ch, "third_party", s), m
        if m["variant"] == "personalised":
            assert _state(records, u, ch, "personalisation", s), m
        assert not _quiet(cfg, s), m
        assert _frac(key, "gc", u) >= cfg["global_control"], m
        assert arms[(m["campaign_id"], u)] == "treatment", m
        # every window [x, x + W) holding s: the busiest starts at a counted message in (s - W, s]
        mine = sorted(ts for uu, ts, _, known in counted if uu == u and known <= s)
        for x in [ts for ts in mine if s - window < ts <= s]:
            assert sum(x <= ts < x + window for ts in mine) <= cfg["max_messages"], (m, mine)
        cap = cfg["channel_caps"].get(ch)
        if cap is not None:
            cmine = sorted(ts for uu, ts, cc, known in counted if uu == u and cc == ch and known <= s)
            for x in [ts for ts in cmine if s - window < ts <= s]:
                assert sum(x <= ts < x + window for ts in cmine) <= cap, (m, cmine)
    ok_rows = ws.query("SELECT message_id, count(*) AS n FROM reach_log WHERE message_id LIKE 'm_%' "
                       "AND status IN ('sent', 'exported') GROUP BY message_id").to_pylist()
    assert {r["message_id"] for r in ok_rows} == {m["message_id"] for m in went}
    assert all(r["n"] == 1 for r in ok_rows)
    assert {r["status"] for r in out.values()} <= {"queued", "sent", "exported", "failed", "suppressed"}
    ws.close()
