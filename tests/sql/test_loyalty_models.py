"""Golden data tests of the loyalty SQL models: member days as merged runs, the qualifying purchases per member and
day, and the stored tier changes listing. Each expected row follows from docs/loyalty.md."""

from __future__ import annotations

import datetime as dt

import pytest
from golden import contract_db, run_model

from siyu.loyalty.store import DDL

D, T = dt.date, dt.datetime


@pytest.fixture
def conn():
    yield from contract_db(*DDL)


def _members(c, rows):
    c.executemany("INSERT INTO memberships (user_id, joined_at, left_at) VALUES (?, ?, ?)", rows)


def test_loyalty_spells_merges_overlapping_and_touching_rows_and_drops_empty_ones(conn):
    _members(conn, [
        ("a", T(2024, 1, 1, 10), T(2024, 3, 1, 9)),     # [01-01, 03-01)
        ("a", T(2024, 3, 1, 20), None),                 # touches: one run from 01-01, open
        ("b", T(2024, 1, 1), T(2024, 6, 1)),
        ("b", T(2024, 2, 1), T(2024, 4, 1)),            # inside the first: merged
        ("b", T(2024, 6, 2), T(2024, 7, 1)),            # a day's gap (06-01 not a member): a new run
        ("c", T(2024, 5, 5, 8), T(2024, 5, 5, 22)),     # left the day it joined: no member day
        ("d", T(2024, 1, 1), None),
        ("d", T(2024, 2, 1), T(2024, 3, 1)),            # inside an open spell
        ("e", T(2025, 1, 1), None),                     # joins after $as_of
    ])
    rows = run_model(conn, "loyalty_spells", as_of=D(2024, 12, 31))
    assert rows == [
        {"user_id": "a", "start_d": D(2024, 1, 1), "stop_d": None},
        {"user_id": "b", "start_d": D(2024, 1, 1), "stop_d": D(2024, 6, 1)},
        {"user_id": "b", "start_d": D(2024, 6, 2), "stop_d": D(2024, 7, 1)},
        {"user_id": "d", "start_d": D(2024, 1, 1), "stop_d": None},
    ]


def test_loyalty_purchases_net_of_refunds_per_member_and_day_in_fen_or_base_points(conn):
    _members(conn, [("a", T(2024, 6, 1), None), ("b", T(2024, 6, 1), None)])
    conn.executemany("INSERT INTO orders (order_id, user_id, paid_at, amount, refund_amount) VALUES (?, ?, ?, ?, ?)", [
        ("o1", "a", T(2024, 1, 2, 9), 100.50, 0),        # before joining: counts (the window is the window)
        ("o2", "a", T(2024, 1, 2, 23, 59), 50.25, 10),   # same day: summed, net 40.25
        ("o3", "a", T(2024, 2, 1), 80, 80),              # fully refunded: not a purchase
        ("o4", "b", T(2024, 3, 1), 99.99, 0),
        ("o5", "x", T(2024, 3, 1), 500, 0),              # never a member: not listed
        ("o6", "b", T(2023, 12, 31), 10, 0),             # before $lo
        ("o7", "b", T(2025, 1, 1), 10, 0),               # after $as_of
    ])
    spend = run_model(conn, "loyalty_purchases", lo=D(2024, 1, 1), as_of=D(2024, 12, 31), basis="spend",
                      points_per_yuan=1.0)
    assert spend == [{"user_id": "a", "d": D(2024, 1, 2), "units": 14075},
                     {"user_id": "b", "d": D(2024, 3, 1), "units": 9999}]
    pts = run_model(conn, "loyalty_purchases", lo=D(2024, 1, 1), as_of=D(2024, 12, 31), basis="points",
                    points_per_yuan=2.0)
    # floor per order: o1 201, o2 floor(80.5) = 80 -> 281; o4 floor(199.98) = 199
    assert pts == [{"user_id": "a", "d": D(2024, 1, 2), "units": 281},
                   {"user_id": "b", "d": D(2024, 3, 1), "units": 199}]


def test_tier_changes_list_filters_dates_inclusive_and_user(conn):
    conn.executemany("INSERT INTO tier_changes VALUES (?, ?, ?, ?, ?)", [
        ("b", D(2024, 2, 1), None, "银卡", "upgrade"),
        ("a", D(2024, 2, 1), None, "金卡", "upgrade"),
        ("a", D(2024, 3, 1), "金卡", "银卡", "review"),
        ("a", D(2024, 4, 1), "银卡", None, "left"),
    ])
    rows = run_model(conn, "tier_changes_list", date_from=D(2024, 2, 1), date_to=D(2024, 3, 1), user=None)
    assert [(r["user_id"], r["date"], r["reason"]) for r in rows] == [
        ("a", D(2024, 2, 1), "upgrade"), ("b", D(2024, 2, 1), "upgrade"), ("a", D(2024, 3, 1), "review")]
    rows = run_model(conn, "tier_changes_list", date_from=D(2024, 1, 1), date_to=D(2024, 12, 31), user="a")
    assert [r["to_tier"] for r in rows] == ["金卡", "银卡", None]


def test_loyalty_tier_at_is_the_last_change_on_or_before_the_date_and_drops_no_tier(conn):
    conn.executemany("INSERT INTO tier_changes VALUES (?, ?, ?, ?, ?)", [
        ("a", D(2024, 2, 1), None, "银卡", "upgrade"),
        ("a", D(2024, 3, 1), "银卡", "金卡", "upgrade"),
        ("b", D(2024, 2, 1), None, "金卡", "upgrade"),
        ("b", D(2024, 4, 1), "金卡", None, "left"),
        ("c", D(2024, 3, 1), "金卡", "银卡", "review"),
        ("c", D(2024, 3, 1), "银卡", "金卡", "upgrade"),      # same day: review first, then upgrade wins
        ("d", D(2024, 6, 1), None, "银卡", "upgrade"),        # after the date
    ])
    rows = run_model(conn, "loyalty_tier_at", as_of=D(2024, 3, 1))
    assert sorted((r["user_id"], r["tier"]) for r in rows) == [("a", "金卡"), ("b", "金卡"), ("c", "金卡")]
    rows = run_model(conn, "loyalty_tier_at", as_of=D(2024, 4, 1))
    assert sorted((r["user_id"], r["tier"]) for r in rows) == [("a", "金卡"), ("c", "金卡")]  # b left


def test_membership_tier_at_is_the_loaded_tier_of_the_latest_active_row(conn):
    conn.executemany("INSERT INTO memberships (user_id, joined_at, left_at, tier) VALUES (?, ?, ?, ?)", [
        ("a", T(2024, 1, 1), None, "V1"), ("a", T(2024, 2, 1), None, "V2"),
        ("b", T(2024, 1, 1), T(2024, 3, 1), "V3"),          # left on the date: not a member
        ("c", T(2024, 3, 2), None, "V1"),                   # joins after the date
    ])
    rows = run_model(conn, "membership_tier_at", as_of=D(2024, 3, 1))
    assert rows == [{"user_id": "a", "tier": "V2"}]


def test_loyalty_points_at_sums_entries_dated_on_or_before_the_date(conn):
    conn.executemany("INSERT INTO points_ledger (entry_id, user_id, date, kind, points, qualifying, recorded_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)", [
                         ("earn:o1", "a", D(2024, 1, 5), "earn", 300, 300, T(2024, 1, 6)),
                         ("refund:o1:1", "a", D(2024, 1, 5), "refund", -100, -100, T(2024, 2, 6)),
                         ("adj:r1", "a", D(2024, 3, 2), "redeem", -150, 0, T(2024, 3, 2)),
                         ("earn:o2", "b", D(2024, 3, 1), "earn", 80, 80, T(2024, 3, 2)),
                     ])
    rows = run_model(conn, "loyalty_points_at", as_of=D(2024, 3, 1))
    assert sorted((r["user_id"], r["points_balance"]) for r in rows) == [("a", 200.0), ("b", 80.0)]
