"""Golden data tests of the points ledger's SQL models: the order postings (targets against the ledger), the
expiry of lots without negative movements, the input of the FIFO pass, a user's entries and the liability. Each
expected row follows from docs/loyalty-points.md."""

from __future__ import annotations

import datetime as dt

import pytest
from golden import contract_db, run_model

from siyu.loyalty.store import DDL

D, T = dt.date, dt.datetime
REC = T(2024, 1, 1, 0, 0)


@pytest.fixture
def conn():
    yield from contract_db(*DDL)


def _ledger(c, rows):
    """Entries (entry_id, user_id, date, kind, points, qualifying, source_id, reason, expires_on[, recorded_at])."""
    c.executemany("INSERT INTO points_ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  [r if len(r) == 10 else (*r, REC) for r in rows])


POSTING = {"points_per_yuan": 1.0, "tiers": ["银卡", "金卡"], "multipliers": [1.0, 1.5]}


def test_points_postings_earn_at_the_tier_held_on_the_pay_date_and_only_while_a_member(conn):
    c = conn
    c.executemany("INSERT INTO memberships (user_id, joined_at, left_at) VALUES (?, ?, ?)", [
        ("a", T(2024, 1, 1), None),
        ("b", T(2024, 3, 1, 20), T(2024, 4, 1, 8)),
    ])
    c.executemany("INSERT INTO orders (order_id, user_id, paid_at, amount, refund_amount) VALUES (?, ?, ?, ?, ?)", [
        ("o1", "a", T(2024, 1, 5), 100.99, 0),      # no tier yet: floor(100.99) = 100 points, 100 qualifying
        ("o2", "a", T(2024, 2, 1), 200, 50),        # 金卡 since 02-01 (upgrade that day): floor(150 × 1.5) = 225 / 150
        ("o3", "a", T(2024, 3, 1), 10.01, 0),       # left and upgraded again on 03-01: 金卡 → floor(15.015) = 15 / 10
        ("o4", "a", T(2024, 4, 1), 80, 0),          # review on 04-01 to 银卡: 80 / 80
        ("o5", "a", T(2024, 5, 1), 60, 60),         # fully refunded: not a purchase, nothing
        ("o6", "b", T(2024, 3, 1, 9), 40, 0),       # joined 20:00 the same local day: a member that day, 40 / 40
        ("o7", "b", T(2024, 4, 1, 10), 30, 0),      # left on 04-01: not a member that day, nothing
        ("o8", "x", T(2024, 2, 1), 999, 0),         # never a member
        ("o9", "a", T(2024, 7, 1), 500, 0),         # after $as_of: not posted
    ])
    c.executemany("INSERT INTO tier_changes VALUES (?, ?, ?, ?, ?)", [
        ("a", D(2024, 2, 1), None, "金卡", "upgrade"),
        ("a", D(2024, 3, 1), None, "金卡", "upgrade"),     # listed first, but on one day: left, review, upgrade
        ("a", D(2024, 3, 1), "金卡", None, "left"),
        ("a", D(2024, 4, 1), "金卡", "银卡", "review"),
    ])
    rows = run_model(c, "points_postings", as_of=D(2024, 6, 30), expire="end_of_next_year", **POSTING)
    assert rows == [
        {"entry_id": "earn:o1", "user_id": "a", "date": D(2024, 1, 5), "kind": "earn", "points": 100,
         "qualifying": 100, "source_id": "o1", "reason": "purchase", "expires_on": D(2026, 1, 1)},
        {"entry_id": "earn:o2", "user_id": "a", "date": D(2024, 2, 1), "kind": "earn", "points": 225,
         "qualifying": 150, "source_id": "o2", "reason": "purchase", "expires_on": D(2026, 1, 1)},
        {"entry_id": "earn:o3", "user_id": "a", "date": D(2024, 3, 1), "kind": "earn", "points": 15,
         "qualifying": 10, "source_id": "o3", "reason": "purchase", "expires_on": D(2026, 1, 1)},
        {"entry_id": "earn:o6", "user_id": "b", "date": D(2024, 3, 1), "kind": "earn", "points": 40,
         "qualifying": 40, "source_id": "o6", "reason": "purchase", "expires_on": D(2026, 1, 1)},
        {"entry_id": "earn:o4", "user_id": "a", "date": D(2024, 4, 1), "kind": "earn", "points": 80,
         "qualifying": 80, "source_id": "o4", "reason": "purchase", "expires_on": D(2026, 1, 1)},
    ]


def test_points_postings_post_the_difference_to_the_ledger_with_numbered_ids(conn):
    c = conn
    c.execute("INSERT INTO memberships (user_id, joined_at) VALUES ('a', '2024-01-01')")
    c.executemany("INSERT INTO orders (order_id, user_id, paid_at, amount, refund_amount) VALUES (?, ?, ?, ?, ?)", [
        ("o1", "a", T(2024, 1, 10), 100, 30),       # net 70, ledger 100 → refund −30
        ("o2", "a", T(2024, 1, 11), 50, 50),        # fully refunded, ledger 50 → refund −50
        ("o3", "a", T(2024, 1, 12), 80, 0),         # ledger 80 / 80: nothing
        ("o4", "a", T(2024, 1, 13), 90, 0),         # ledger earn 90, refund −90 (then refunded back): +90
        ("o5", "a", T(2024, 1, 14), 0.29, 0),       # 0.29 × 100 is 28.999… in binary: the epsilon makes it 29
        ("o6", "a", T(2024, 8, 1), 10, 0),          # paid after $as_of: its later-run entry is left alone
    ])
    _ledger(c, [
        ("earn:o1", "a", D(2024, 1, 10), "earn", 10000, 10000, "o1", "purchase", D(2024, 2, 9)),
        ("earn:o2", "a", D(2024, 1, 11), "earn", 5000, 5000, "o2", "purchase", D(2024, 2, 10)),
        ("earn:o3", "a", D(2024, 1, 12), "earn", 8000, 8000, "o3", "purchase", D(2024, 2, 11)),
        ("expire:o3", "a", D(2024, 2, 11), "expire", -8000, 0, "o3", "expired", None),   # not an order entry
        ("earn:o4", "a", D(2024, 1, 13), "earn", 9000, 9000, "o4", "purchase", D(2024, 2, 12)),
        ("refund:o4:1", "a", D(2024, 1, 13), "refund", -9000, -9000, "o4", "fully_refunded", D(2024, 2, 12)),
        ("earn:o6", "a", D(2024, 8, 1), "earn", 7, 7, "o6", "purchase", D(2024, 8, 31)),
        ("earn:gone", "a", D(2024, 1, 2), "earn", 40, 40, "gone", "purchase", D(2024, 2, 1)),  # no such order
        ("adj:o1", "a", D(2024, 1, 3), "adjust", 5, 0, "o1", "goodwill", D(2024, 2, 2)),       # not an order entry
    ])
    rows = run_model(c, "points_postings", as_of=D(2024, 6, 30), points_per_yuan=100.0, tiers=["金卡"],
                     multipliers=[2.0], expire="30")
    assert [(r["entry_id"], r["date"], r["kind"], r["points"], r["qualifying"], r["reason"], r["expires_on"])
            for r in rows] == [
        ("refund:gone:1", D(2024, 1, 2), "refund", -40, -40, "order_removed", D(2024, 2, 1)),
        ("refund:o1:1", D(2024, 1, 10), "refund", -3000, -3000, "net_changed", D(2024, 2, 9)),
        ("refund:o2:1", D(2024, 1, 11), "refund", -5000, -5000, "fully_refunded", D(2024, 2, 10)),
        ("correction:o4:2", D(2024, 1, 13), "correction", 9000, 9000, "purchase", D(2024, 2, 12)),  # earns again
        ("earn:o5", D(2024, 1, 14), "earn", 29, 29, "purchase", D(2024, 2, 13)),
    ]
    never = run_model(c, "points_postings", as_of=D(2024, 6, 30), points_per_yuan=100.0, tiers=["金卡"],
                      multipliers=[2.0], expire="never")
    assert {r["expires_on"] for r in never} == {None}


def test_points_expiry_settles_lots_of_users_without_negative_movements(conn):
    c = conn
    _ledger(c, [
        # a: two order lots (one partly refunded), one positive adjustment; nothing spent
        ("earn:o1", "a", D(2023, 3, 1), "earn", 100, 100, "o1", "purchase", D(2025, 1, 1)),
        ("refund:o1:1", "a", D(2023, 3, 1), "refund", -30, -30, "o1", "net_changed", D(2025, 1, 1)),
        ("earn:o2", "a", D(2024, 3, 1), "earn", 50, 50, "o2", "purchase", D(2026, 1, 1)),   # expires after $as_of
        ("adj:g1", "a", D(2023, 5, 1), "adjust", 20, 0, "g1", "goodwill", D(2025, 1, 1)),
        # b: a fully refunded lot (nothing to expire), and a lot already settled, one settled too much
        ("earn:o3", "b", D(2023, 3, 1), "earn", 40, 40, "o3", "purchase", D(2025, 1, 1)),
        ("refund:o3:1", "b", D(2023, 3, 1), "refund", -40, -40, "o3", "fully_refunded", D(2025, 1, 1)),
        ("earn:o4", "b", D(2023, 4, 1), "earn", 60, 60, "o4", "purchase", D(2025, 1, 1)),
        ("expire:o4", "b", D(2025, 1, 1), "expire", -60, 0, "o4", "expired", None),
        ("earn:o5", "b", D(2023, 4, 2), "earn", 70, 70, "o5", "purchase", D(2025, 1, 1)),
        ("expire:o5", "b", D(2025, 1, 1), "expire", -70, 0, "o5", "expired", None),
        ("refund:o5:1", "b", D(2023, 4, 2), "refund", -25, -25, "o5", "net_changed", D(2025, 1, 1)),  # came late
        # c: has a redemption: left to the FIFO pass
        ("earn:o6", "c", D(2023, 3, 1), "earn", 90, 90, "o6", "purchase", D(2025, 1, 1)),
        ("adj:r1", "c", D(2023, 6, 1), "redeem", -10, 0, "r1", "coupon", None),
        # d: a negative adjustment dated after $as_of does not make it a FIFO user
        ("earn:o7", "d", D(2023, 3, 1), "earn", 15, 15, "o7", "purchase", D(2025, 1, 1)),
        ("adj:m1", "d", D(2025, 7, 1), "adjust", -5, 0, "m1", "clawback", None),
    ])
    rows = run_model(c, "points_expiry", as_of=D(2025, 6, 30))
    assert [(r["entry_id"], r["user_id"], r["date"], r["points"], r["source_id"], r["reason"]) for r in rows] == [
        ("expire:adj:g1", "a", D(2025, 1, 1), -20, "adj:g1", "expired"),
        ("expire:o1", "a", D(2025, 1, 1), -70, "o1", "expired"),
        ("expire:o5:1", "b", D(2025, 1, 1), 25, "o5", "expiry_resettled"),   # held 45, settled −70: give 25 back
        ("expire:o7", "d", D(2025, 1, 1), -15, "o7", "expired"),
    ]
    assert {(r["kind"], r["qualifying"], r["expires_on"]) for r in rows} == {("expire", 0, None)}
    assert run_model(c, "points_expiry", as_of=D(2024, 12, 31)) == []   # nothing has expired yet


def test_points_fifo_lists_lots_and_movements_of_users_with_negative_movements(conn):
    c = conn
    _ledger(c, [
        ("earn:o1", "a", D(2024, 1, 1), "earn", 100, 100, "o1", "purchase", D(2024, 1, 31)),
        ("refund:o1:1", "a", D(2024, 1, 1), "refund", -10, -10, "o1", "net_changed", D(2024, 1, 31)),
        ("expire:o1", "a", D(2024, 1, 31), "expire", -90, 0, "o1", "expired", None),
        ("adj:g1", "a", D(2024, 1, 5), "adjust", 30, 0, "g1", "goodwill", None),
        ("adj:r1", "a", D(2024, 1, 10), "redeem", -40, 0, "r1", "coupon", None),
        ("adj:m1", "a", D(2024, 1, 12), "adjust", -5, 0, "m1", "clawback", None),
        ("adj:r2", "a", D(2024, 9, 1), "redeem", -1, 0, "r2", "coupon", None),       # after $as_of
        ("earn:o2", "b", D(2024, 1, 1), "earn", 50, 50, "o2", "purchase", None),      # b: no movement
    ])
    rows = run_model(c, "points_fifo", as_of=D(2024, 6, 30), users=None)
    assert [tuple(r.values()) for r in rows] == [
        ("a", "lot", "o1", D(2024, 1, 1), D(2024, 1, 31), 90, -90, 1),
        ("a", "lot", "adj:g1", D(2024, 1, 5), None, 30, 0, 0),
        ("a", "redeem", "adj:r1", D(2024, 1, 10), None, 40, 0, 0),
        ("a", "adjust", "adj:m1", D(2024, 1, 12), None, 5, 0, 0),
    ]
    listed = run_model(c, "points_fifo", as_of=D(9999, 12, 31), users=["b"])
    assert [(r["user_id"], r["role"], r["key"], r["points"]) for r in listed] == [("b", "lot", "o2", 50)]
    assert run_model(c, "points_fifo", as_of=D(9999, 12, 31), users=[]) == []


def test_points_entries_in_ledger_order_with_the_running_balance(conn):
    c = conn
    _ledger(c, [
        ("earn:o2", "a", D(2024, 2, 1), "earn", 50, 50, "o2", "purchase", D(2026, 1, 1), T(2024, 2, 2)),
        ("earn:o1", "a", D(2024, 1, 1), "earn", 100, 100, "o1", "purchase", D(2026, 1, 1), T(2024, 3, 1)),
        ("refund:o1:1", "a", D(2024, 1, 1), "refund", -20, -20, "o1", "net_changed", D(2026, 1, 1), T(2024, 1, 2)),
        ("adj:r1", "a", D(2024, 3, 1), "redeem", -60, 0, "r1", "coupon", None, T(2024, 3, 1)),
        ("earn:o3", "b", D(2024, 1, 1), "earn", 7, 7, "o3", "purchase", D(2026, 1, 1), T(2024, 1, 1)),
    ])
    rows = run_model(c, "points_entries", user_id="a", as_of=D(2024, 2, 29))
    # same date: the earlier recording first (the refund was recorded before the earn in this made-up ledger)
    assert [(r["entry_id"], r["points"], r["balance"]) for r in rows] == [
        ("refund:o1:1", -20, -20), ("earn:o1", 100, 80), ("earn:o2", 50, 130)]
    assert rows[1]["recorded_at"] == T(2024, 3, 1) and rows[1]["expires_on"] == D(2026, 1, 1)
    assert [r["balance"] for r in run_model(c, "points_entries", user_id="a", as_of=D(2024, 3, 1))][-1] == 70


def test_points_liability_sums_positive_balances_and_what_expires_soon(conn):
    c = conn
    _ledger(c, [
        ("earn:o1", "a", D(2024, 1, 1), "earn", 100, 100, "o1", "purchase", D(2024, 7, 15)),  # soon
        ("earn:o2", "a", D(2024, 2, 1), "earn", 40, 40, "o2", "purchase", D(2024, 12, 1)),    # after 90 days
        ("earn:o3", "b", D(2024, 1, 1), "earn", 30, 30, "o3", "purchase", D(2024, 6, 1)),     # expired: pending
        ("adj:g1", "b", D(2024, 3, 1), "adjust", 5, 0, "g1", "goodwill", D(2024, 9, 28)),     # 09-28 = 06-30 + 90
        ("earn:o4", "c", D(2024, 1, 1), "earn", 20, 20, "o4", "purchase", D(2024, 7, 1)),     # c spends: FIFO
        ("adj:r1", "c", D(2024, 2, 1), "redeem", -15, 0, "r1", "coupon", None),
        ("earn:o5", "d", D(2024, 1, 1), "earn", 10, 10, "o5", "purchase", None),
        ("adj:m1", "d", D(2024, 2, 1), "adjust", -25, 0, "m1", "clawback", None),              # d owes 15
        ("earn:o6", "e", D(2024, 8, 1), "earn", 99, 99, "o6", "purchase", D(2024, 9, 1)),     # after $as_of
    ])
    c.execute("CREATE TEMP TABLE _points_pending AS SELECT * FROM (VALUES ('b', -30::BIGINT)) t(user_id, points)")
    c.execute("CREATE TEMP TABLE _points_soon AS SELECT * FROM (VALUES ('c', 5::BIGINT)) t(user_id, points)")
    rows = run_model(c, "points_liability", as_of=D(2024, 6, 30), days=90)
    # balances: a 140, b 35 − 30 = 5, c 5, d −15 (not counted), e 0 (its entry is later)
    # expiring in (06-30, 09-28]: a's o1 100, b's g1 5, c's 5 from the FIFO pass (temp table)
    assert rows == [{"points": 150, "users": 3, "expiring": 110, "users_expiring": 3}]
