"""Golden data tests of the loyalty report models: members and their stored tier at a date, the tier distribution,
tier changes by month and reason, and the points ledger by kind. Each expected row follows from the definitions in
the models' headers (siyu.loyalty.report_data)."""

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


def _changes(c, rows):
    c.executemany("INSERT INTO tier_changes VALUES (?, ?, ?, ?, ?)", rows)


def _ledger(c, rows):
    """rows: (entry_id, user, date, kind, points, expires_on)"""
    c.executemany("INSERT INTO points_ledger (entry_id, user_id, date, kind, points, qualifying, source_id, reason, "
                  "expires_on, recorded_at) VALUES (?, ?, ?, ?, ?, 0, NULL, NULL, ?, ?)",
                  [(*r, T(2024, 1, 1) + dt.timedelta(minutes=i)) for i, r in enumerate(rows)])


@pytest.fixture
def tiers(conn):
    """Members and stored tier changes with the cases the tier at a date must get right."""
    _members(conn, [
        ("a", T(2024, 1, 1, 10), None),                     # 银卡 from 01-10, 金卡 from 03-05
        ("b", T(2024, 1, 1), None),                         # 金卡, reviewed down to 银卡 on 04-01
        ("c", T(2024, 1, 1), None),                         # review down and back up on the same day: 金卡
        ("d", T(2024, 1, 1), T(2024, 5, 1, 9)),             # 银卡, left 05-01 (member up to 04-30)
        ("e", T(2024, 1, 1), T(2024, 2, 1)),                # left 02-01 with 银卡, rejoined 06-01 (no tier yet)
        ("e", T(2024, 6, 1, 20), None),
        ("f", T(2024, 1, 1), None),                         # member, never a tier
        ("f", T(2024, 2, 1), T(2024, 3, 1)),                # a second, overlapping row: counted once
        ("g", T(2024, 7, 1), None),                         # joins after 06-30
        ("h", T(2024, 1, 1), T(2024, 1, 1, 22)),            # left the day it joined: never a member
    ])
    _changes(conn, [
        ("a", D(2024, 1, 10), None, "银卡", "upgrade"),
        ("a", D(2024, 3, 5), "银卡", "金卡", "upgrade"),
        ("b", D(2024, 1, 2), None, "金卡", "upgrade"),
        ("b", D(2024, 4, 1), "金卡", "银卡", "review"),
        ("c", D(2024, 2, 1), None, "金卡", "upgrade"),
        ("c", D(2024, 6, 1), "金卡", "银卡", "upgrade"),    # rows of one day, stored out of order on purpose
        ("c", D(2024, 6, 1), "金卡", None, "review"),
        ("d", D(2024, 1, 5), None, "银卡", "upgrade"),
        ("d", D(2024, 5, 1), "银卡", None, "left"),
        ("e", D(2024, 1, 3), None, "银卡", "upgrade"),
        ("e", D(2024, 2, 1), "银卡", None, "left"),
        ("x", D(2024, 1, 3), None, "金卡", "upgrade"),      # no membership row (removed since): not a member
    ])
    return conn


def test_loyalty_report_members_gives_each_member_the_tier_of_their_last_change(tiers):
    rows = run_model(tiers, "loyalty_report_members", as_of=D(2024, 6, 30), tier=None)
    assert rows == [
        {"user_id": "a", "tier": "金卡", "since": D(2024, 3, 5)},
        {"user_id": "b", "tier": "银卡", "since": D(2024, 4, 1)},
        {"user_id": "c", "tier": "银卡", "since": D(2024, 6, 1)},     # the upgrade follows the review that day
        {"user_id": "e", "tier": None, "since": None},                # left with 银卡, back without a tier
        {"user_id": "f", "tier": None, "since": None},
    ]
    # earlier: d is still a member with 银卡 (left on 05-01), b still 金卡, c 金卡; changes after the date ignored
    rows = run_model(tiers, "loyalty_report_members", as_of=D(2024, 3, 31), tier=None)
    assert [(r["user_id"], r["tier"], r["since"]) for r in rows] == [
        ("a", "金卡", D(2024, 3, 5)), ("b", "金卡", D(2024, 1, 2)), ("c", "金卡", D(2024, 2, 1)),
        ("d", "银卡", D(2024, 1, 5)), ("f", None, None)]
    # the tier filter: one tier, or "" for the members without one
    assert [r["user_id"] for r in run_model(tiers, "loyalty_report_members", as_of=D(2024, 6, 30),
                                            tier="银卡")] == ["b", "c"]
    assert [r["user_id"] for r in run_model(tiers, "loyalty_report_members", as_of=D(2024, 6, 30),
                                            tier="")] == ["e", "f"]
    assert run_model(tiers, "loyalty_report_members", as_of=D(2024, 6, 30), tier="钻石卡") == []
    # the day a member leaves is not a member day; the day they join is
    assert "d" in [r["user_id"] for r in run_model(tiers, "loyalty_report_members", as_of=D(2024, 4, 30), tier=None)]
    assert "d" not in [r["user_id"] for r in run_model(tiers, "loyalty_report_members", as_of=D(2024, 5, 1),
                                                       tier=None)]
    assert "g" in [r["user_id"] for r in run_model(tiers, "loyalty_report_members", as_of=D(2024, 7, 1), tier=None)]


def test_loyalty_report_tiers_counts_the_members_per_tier(tiers):
    assert run_model(tiers, "loyalty_report_tiers", as_of=D(2024, 6, 30)) == [
        {"tier": None, "members": 2}, {"tier": "金卡", "members": 1}, {"tier": "银卡", "members": 2}]
    assert run_model(tiers, "loyalty_report_tiers", as_of=D(2024, 3, 31)) == [
        {"tier": None, "members": 1}, {"tier": "金卡", "members": 3}, {"tier": "银卡", "members": 1}]
    assert run_model(tiers, "loyalty_report_tiers", as_of=D(2023, 12, 31)) == []


def test_loyalty_report_changes_counts_by_month_and_reason(tiers):
    rows = run_model(tiers, "loyalty_report_changes", date_from=D(2024, 1, 1), date_to=D(2024, 6, 30))
    assert rows == [
        {"month": D(2024, 1, 1), "reason": "upgrade", "changes": 5},   # a 01-10, b, d, e, x
        {"month": D(2024, 2, 1), "reason": "upgrade", "changes": 1},   # c
        {"month": D(2024, 2, 1), "reason": "left", "changes": 1},      # e
        {"month": D(2024, 3, 1), "reason": "upgrade", "changes": 1},   # a
        {"month": D(2024, 4, 1), "reason": "review", "changes": 1},    # b
        {"month": D(2024, 5, 1), "reason": "left", "changes": 1},      # d
        {"month": D(2024, 6, 1), "reason": "upgrade", "changes": 1},   # c
        {"month": D(2024, 6, 1), "reason": "review", "changes": 1},    # c
    ]
    # both ends are included, days outside are not
    rows = run_model(tiers, "loyalty_report_changes", date_from=D(2024, 1, 5), date_to=D(2024, 3, 5))
    assert [(r["month"].month, r["reason"], r["changes"]) for r in rows] == [
        (1, "upgrade", 2), (2, "upgrade", 1), (2, "left", 1), (3, "upgrade", 1)]


def test_loyalty_report_points_kinds_of_an_empty_ledger(conn):
    assert run_model(conn, "loyalty_report_points_kinds", as_of=D(2024, 6, 30)) == []


def test_loyalty_report_points_kinds_sums_the_entries_up_to_the_date(conn):
    _ledger(conn, [
        ("e1", "a", D(2024, 1, 5), "earn", 300, D(2026, 1, 1)),
        ("e2", "b", D(2024, 1, 5), "earn", 50, D(2026, 1, 1)),
        ("e3", "a", D(2024, 2, 1), "redeem", -100, None),
        ("e4", "a", D(2024, 2, 1), "earn", 20, D(2026, 1, 1)),
        ("e5", "a", D(2024, 8, 1), "earn", 70, D(2026, 1, 1)),      # after 06-30
    ])
    assert run_model(conn, "loyalty_report_points_kinds", as_of=D(2024, 6, 30)) == [
        {"kind": "earn", "entries": 3, "users": 2, "points": 370},
        {"kind": "redeem", "entries": 1, "users": 1, "points": -100}]
    assert run_model(conn, "loyalty_report_points_kinds", as_of=D(2024, 8, 1))[0] == {
        "kind": "earn", "entries": 4, "users": 2, "points": 440}
