"""Hand-computed edge cases: channel coverage / flow rates, and time zones at the window boundary."""

from __future__ import annotations

import datetime as dt

import pytest

from siyu import Workspace
from siyu import assets as A

T1 = dt.date(2024, 12, 31)
T0 = T1 - dt.timedelta(days=30)


def at(d: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(hour))


@pytest.fixture
def ws(tmp_path):
    w = Workspace.init(tmp_path / "ws")
    yield w
    w.close()


def test_channel_coverage_and_flow_rate(ws):
    day = dt.timedelta(days=1)
    events = [
        # three I-stage starters at T0 (add_cart on T0)
        ("a1", "x1", at(T0), "add_cart", None), ("a2", "x2", at(T0), "add_cart", None),
        ("a3", "x3", at(T0), "add_cart", None),
        ("b1", "x1", at(T0 + 5 * day), "visit", "xhs"),      # touched by xhs, then buys -> flowed
        ("b2", "x2", at(T0 + 6 * day), "visit", "xhs"),      # touched by xhs, no purchase -> not flowed
        ("b3", "x3", at(T0 + 7 * day), "visit", "search"),   # touched by search, buys -> flowed
        ("b4", "x3", at(T0), "visit", "douyin"),             # on T0 itself: outside (T0, T1]
        ("b5", "y1", at(T0 + 2 * day), "visit", "xhs"),      # not a starter (no stage at T0)
    ]
    orders = [("o1", "x1", at(T1 - 3 * day), 100, 0), ("o2", "x3", at(T1 - 2 * day), 50, 0),
              ("o3", "y1", at(T1 - 2 * day), 50, 0)]
    with ws.session() as c:
        c.executemany("INSERT INTO events (event_id, user_id, ts, type, channel) VALUES (?, ?, ?, ?, ?)", events)
        c.executemany("INSERT INTO orders (order_id, user_id, paid_at, amount, refund_amount) VALUES (?, ?, ?, ?, ?)",
                      orders)
    rows = {r["channel"]: r for r in A.aipl_channel_flow(ws, T0, T1, source="I", target="P")}
    assert rows["*"] == {"channel": "*", "starters": 3, "touched": 3, "coverage": 1.0, "flowed": 2,
                         "flow_rate": pytest.approx(2 / 3)}
    assert (rows["xhs"]["touched"], rows["xhs"]["flowed"]) == (2, 1)
    assert rows["xhs"]["coverage"] == pytest.approx(2 / 3) and rows["xhs"]["flow_rate"] == pytest.approx(0.5)
    assert (rows["search"]["touched"], rows["search"]["flowed"], rows["search"]["flow_rate"]) == (1, 1, 1.0)
    assert "douyin" not in rows
    tr = A.aipl_transitions(ws, T0, T1)
    assert tr["matrix"]["I"]["P"] == 2 and tr["accounting"]["I"]["start"] == 3
    assert tr["entered"]["P"] == 1  # y1 was outside AIPL at T0


def test_time_zone_decides_the_local_date_at_the_boundary(ws, tmp_path):
    # 2024-12-31T17:30:00Z is 2025-01-01 01:30 in Asia/Shanghai: after a snapshot on 2024-12-31
    f = tmp_path / "orders.csv"
    f.write_text("order_id,user_id,paid_at,amount\n"
                 "o1,late,2024-12-31T17:30:00Z,10\n"
                 "o2,early,2024-12-31T15:30:00Z,10\n")  # 23:30 local on 12-31: inside
    ws.ingest("orders", f)
    s = dict(zip(*A.aipl(ws, T1).to_pydict().values()))
    assert s == {"late": "none", "early": "P"}
    s = dict(zip(*A.aipl(ws, T1 + dt.timedelta(days=1)).to_pydict().values()))
    assert s == {"late": "P", "early": "P"}
    # the new-customer rule sees the local date too
    p = {r["user_id"]: r["customer_pool"] for r in A.pools(ws, T1).to_pylist()}
    assert p == {"late": None, "early": "new"}
