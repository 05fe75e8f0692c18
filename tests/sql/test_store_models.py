"""Golden data tests of the store SQL models: input rows → expected rows, on in-memory DuckDB.

Edge cases: full and partial refunds, several orders on one day, window boundaries exactly at T−N,
members who left, joins after T, unfollow, users with events but no orders, unknown channels.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest
from golden import run_model

from siyu.engine.sql import list_models, load_model
from siyu.contract.loader import create_schema, create_session_tables

T = dt.date(2024, 12, 31)


def d(days_before: int, hour: int = 12) -> dt.datetime:
    """A local timestamp ``days_before`` days before T at ``hour``."""
    return dt.datetime.combine(T - dt.timedelta(days=days_before), dt.time(hour))


ORDERS = [  # order_id, user_id, paid_at, amount, refund_amount, channel
    ("o1", "a", d(0, 23), 100, 0, "search"),          # on T, late evening: inside W365
    ("o2", "a", d(0, 9), 50, 0, "search"),            # same day as o1: one purchase day
    ("o3", "a", d(364), 30, 0, "xhs"),                # exactly T-364: first day of W365
    ("o4", "b", d(365), 80, 0, "xhs"),                # T-365: outside W365
    ("o5", "b", d(10), 200, 200, "direct"),           # fully refunded: not a purchase
    ("o6", "c", d(5), 120, 20, None),                 # partial refund: spend 100; no channel
    ("o7", "m", d(40), 300, 0, "group_chat"),         # member, two purchase days
    ("o8", "m", d(3), 100, 0, "pigeon_post"),         # unrecognised channel
    ("o9", "x", d(20), 60, 0, "ads_feed"),            # member who left before T
]
MEMBERSHIPS = [  # user_id, joined_at, left_at
    ("m", d(100), None),
    ("x", d(200), d(30)),            # left before T: not a member at T
    ("a", d(-1), None),              # joins after T: not a member at T
    ("c", d(0, 23), None),           # joins on T: a member at T
]
FOLLOWS = [("a", d(50), None), ("b", d(50), d(10)), ("b", d(5), None), ("e", d(2), None)]
USERS = [("a", True), ("m", False), ("e", True)]  # e: events/follow but no orders
EVENTS = [("ev1", "e", d(1), "visit")]


@pytest.fixture
def conn():
    c = duckdb.connect()
    create_schema(c)
    create_session_tables(c)
    c.executemany("INSERT INTO orders (order_id, user_id, paid_at, amount, refund_amount, channel) "
                  "VALUES (?, ?, ?, ?, ?, ?)", ORDERS)
    c.executemany("INSERT INTO memberships (user_id, joined_at, left_at) VALUES (?, ?, ?)", MEMBERSHIPS)
    c.executemany("INSERT INTO follows VALUES (?, ?, ?)", FOLLOWS)
    c.executemany("INSERT INTO users (user_id, is_88vip) VALUES (?, ?)", USERS)
    c.executemany("INSERT INTO events (event_id, user_id, ts, type) VALUES (?, ?, ?, ?)", EVENTS)
    yield c
    c.close()


def test_store_summary_golden(conn):
    (row,) = run_model(conn, "store_summary", as_of=T, days=365)
    # purchases: o1,o2,o3 (a: 180, days {T, T-364}), o6 (c: 100), o7,o8 (m: 400), o9 (x: 60)
    assert row["gmv"] == Decimal("740.00")
    assert row["orders"] == 7 and row["buyers"] == 4
    assert row["kedanjia"] == pytest.approx(740 / 4) and row["bidanjia"] == pytest.approx(740 / 7)
    assert row["repeat_buyers"] == 2 and row["repeat_buyer_share"] == pytest.approx(0.5)  # a and m
    assert row["members"] == 2 and row["fans"] == 3            # members m, c; fans a, b (re-followed), e
    assert row["member_buyers"] == 2 and row["member_gmv"] == Decimal("500.00")
    assert row["member_kedanjia_ratio"] == pytest.approx((500 / 2) / (740 / 4))
    # refunds over all orders in the window (o5 full 200 + o6 partial 20) / amounts
    assert row["refund_rate"] == pytest.approx(220 / 960)
    assert row["vip88_buyer_share"] == pytest.approx(1 / 4)    # only a is an 88VIP buyer


def test_store_summary_shorter_window_moves_the_boundary(conn):
    (row,) = run_model(conn, "store_summary", as_of=T, days=30)
    # W30 = T-29..T: o1, o2, o6, o8, o9 (T-20); o7 (T-40) is outside
    assert row["orders"] == 5 and row["gmv"] == Decimal("410.00")
    assert row["repeat_buyers"] == 0


def test_monthly_and_daily_gmv_golden(conn):
    monthly = run_model(conn, "monthly_gmv", as_of=T, days=365)
    by_month = {r["month"]: (r["gmv"], r["orders"], r["buyers"]) for r in monthly}
    assert by_month[dt.date(2024, 12, 1)] == (Decimal("410.00"), 5, 4)   # o1 o2 o6 o8 o9 (m, a, c, x)
    assert by_month[dt.date(2024, 11, 1)] == (Decimal("300.00"), 1, 1)   # o7
    assert by_month[dt.date(2024, 1, 1)] == (Decimal("30.00"), 1, 1)     # o3 on T-364 = 2024-01-02
    assert sum(r["gmv"] for r in monthly) == Decimal("740.00")
    daily = {r["day"]: r for r in run_model(conn, "daily_gmv", as_of=T, days=365)}
    assert daily[T]["orders"] == 2 and daily[T]["buyers"] == 1 and daily[T]["gmv"] == Decimal("150.00")
    assert T - dt.timedelta(days=365) not in daily


def test_daily_and_monthly_gmv_fill_days_and_months_without_sales_with_zero(conn):
    rows = run_model(conn, "daily_gmv", as_of=T, days=365)
    # one row per day of W365 = T-364 .. T (the orders cover T-365 .. T), in order, 0 where nothing was bought
    assert [r["day"] for r in rows] == [T - dt.timedelta(days=i) for i in range(364, -1, -1)]
    daily = {r["day"]: (r["gmv"], r["orders"], r["buyers"]) for r in rows}
    assert daily[T - dt.timedelta(days=1)] == (0, 0, 0)
    assert daily[T - dt.timedelta(days=10)] == (0, 0, 0)      # o5 fully refunded: no purchase, a zero day
    assert daily[T - dt.timedelta(days=5)] == (Decimal("100.00"), 1, 1)
    assert sum(1 for v in daily.values() if v[1]) == 6        # T, T-3, T-5, T-20, T-40, T-364
    assert sum(v[0] for v in daily.values()) == Decimal("740.00")
    monthly = run_model(conn, "monthly_gmv", as_of=T, days=365)
    assert [r["month"] for r in monthly] == [dt.date(2024, m, 1) for m in range(1, 13)]
    by_month = {r["month"]: (r["gmv"], r["orders"], r["buyers"]) for r in monthly}
    for m in range(2, 11):                                    # Feb .. Oct 2024: no purchase
        assert by_month[dt.date(2024, m, 1)] == (0, 0, 0), m


def test_daily_and_monthly_gmv_calendar_stops_where_the_orders_do(conn):
    # a window longer than the data: the calendar starts on the first pay date (T-365, o4), not at T-799
    rows = run_model(conn, "daily_gmv", as_of=T, days=800)
    assert rows[0]["day"] == T - dt.timedelta(days=365) and rows[0]["orders"] == 1 and len(rows) == 366
    assert [r["month"] for r in run_model(conn, "monthly_gmv", as_of=T, days=800)] == \
        [dt.date(2024, m, 1) for m in range(1, 13)]          # T-365 = 2024-01-01: no empty 2022/2023 months
    # a snapshot after the last order: no made-up zero days after it
    assert run_model(conn, "daily_gmv", as_of=T + dt.timedelta(days=5), days=10)[-1]["day"] == T
    # a window before the first order, and a workspace without orders: no rows
    assert run_model(conn, "daily_gmv", as_of=T - dt.timedelta(days=400), days=30) == []
    assert run_model(conn, "monthly_gmv", as_of=T - dt.timedelta(days=400), days=30) == []
    conn.execute("DELETE FROM orders")
    assert run_model(conn, "daily_gmv", as_of=T, days=30) == []
    assert run_model(conn, "monthly_gmv", as_of=T, days=30) == []


def test_channel_mix_golden(conn):
    rows = {r["channel"]: r for r in run_model(conn, "channel_mix", as_of=T, days=365)}
    assert rows["search"]["gmv"] == Decimal("150.00") and rows["search"]["channel_group"] == "onsite_free"
    assert rows["group_chat"]["channel_group"] == "private_reach"
    assert rows["pigeon_post"]["channel_group"] == "other"
    assert rows["unknown"]["channel_group"] == "unknown" and rows["unknown"]["gmv"] == Decimal("100.00")
    assert "direct" not in rows  # only a fully refunded order came from direct
    assert sum(r["gmv_share"] for r in rows.values()) == pytest.approx(1.0)


def test_every_model_has_a_complete_header():
    for name in list_models():
        m = load_model(name)
        for key in ("name", "grain", "columns", "source"):
            assert m.header.get(key), (name, key)
        assert "params" in m.header, name  # may be empty for models that only read their inputs


def test_data_coverage_golden(conn):
    # orders run from o4 (T-365) to o1 (T, 23:00; the refunded o5 counts: coverage is about the log, not purchases);
    # one event on T-1; reach_log is empty
    rows = {r["source"]: (r["lo"], r["hi"]) for r in run_model(conn, "data_coverage")}
    assert rows == {"orders": (T - dt.timedelta(days=365), T), "events": (T - dt.timedelta(days=1),) * 2,
                    "reach_log": (None, None)}
