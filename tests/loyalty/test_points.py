"""The points ledger on real workspaces (docs/loyalty-points.md): earning on the pay date's tier, idempotent
postings, refunds as deltas, expiry first-expiring-first, redemptions and adjustments, balance and liability, and
the ``siyu loyalty adjust`` / ``siyu loyalty points`` commands. Every expected number is worked out by hand in the
comments."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import write_csv
from typer.testing import CliRunner

from siyu import loyalty
from siyu._exceptions import ValidationError
from siyu.cli import app
from siyu.loyalty import adjustments, points
from siyu.workspace import Workspace

D, T = dt.date, dt.datetime
NOW = T(2026, 7, 1, 9, 0)
ADJ = ["adjustment_id", "user_id", "date", "kind", "points", "reason"]

#: 银卡 at ¥500 (×1), 金卡 at ¥2,000 kept at ¥1,500 (×1.5), monthly reviews, 1 point per yuan, end of next year
GROWTH = {"program": {"name": "成长型会员", "basis": "spend", "window_days": 365, "review": "monthly"},
          "tiers": [{"name": "银卡", "threshold": 500},
                    {"name": "金卡", "threshold": 2000, "keep": 1500, "multiplier": 1.5}]}


def flat(expire="end_of_next_year", points_per_yuan=1):
    """A program whose one tier nobody reaches: every purchase earns its base points."""
    return {"program": {"name": "flat"}, "points": {"points_per_yuan": points_per_yuan, "expire": expire},
            "tiers": [{"name": "金卡", "threshold": 1_000_000, "multiplier": 3}]}


# -- helpers (the loyalty conftest is not this file's; these are its own) ------------------------------------



def orders(ws: Workspace, root: Path, rows: list[tuple]) -> None:
    """Load (or reload: a known order id replaces its row) orders (order_id, user_id, paid_at, amount, refund)."""
    ws.ingest("orders", write_csv(root / "orders.csv", ["order_id", "user_id", "paid_at", "amount", "refund_amount"],
                                  rows))


def store(root: Path, order_rows: list[tuple], members: list[tuple], name: str = "ws") -> Workspace:
    """A workspace with orders and memberships (user_id, joined_at, left_at)."""
    ws = Workspace.init(root / name)
    orders(ws, root, order_rows)
    ws.ingest("memberships", write_csv(root / "memberships.csv", ["user_id", "joined_at", "left_at"], members))
    return ws


def adjust(ws: Workspace, root: Path, rows: list[tuple], name: str = "adj.csv", header: list[str] = ADJ) -> dict:
    return adjustments.load_adjustments(ws, write_csv(root / name, header, rows), now=NOW)


def ledger(ws: Workspace) -> dict[str, tuple]:
    """entry_id -> (user_id, date, kind, points, qualifying, source_id, reason, expires_on)."""
    return {r["entry_id"]: (r["user_id"], r["date"], r["kind"], r["points"], r["qualifying"], r["source_id"],
                            r["reason"], r["expires_on"])
            for r in ws.query("SELECT * FROM points_ledger ORDER BY entry_id").to_pylist()}


def full_ledger(ws: Workspace) -> list[tuple]:
    return [tuple(r.values()) for r in ws.query("SELECT * FROM points_ledger ORDER BY entry_id").to_pylist()]


# -- earning ---------------------------------------------------------------------------------------------------

def test_purchases_earn_at_the_tier_held_on_the_pay_date_and_only_while_a_member(tmp_path):
    ws = store(tmp_path, [
        ("o1", "u1", "2024-01-10 10:00", "600", "0"),       # s 600 → 银卡 that day (×1): 600 / 600
        ("o2", "u1", "2024-03-01 10:00", "1500", "0"),      # s 2,100 → 金卡 that day: floor(2,250) / 1,500
        ("o3", "u1", "2024-03-05 10:00", "100.29", "0"),    # 金卡: floor(150.435) = 150 / 100
        ("o4", "u2", "2024-01-20 10:00", "80", "0"),        # before u2 joined: nothing
        ("o5", "u2", "2024-02-01 08:00", "50", "0"),        # joined 09:00 the same local day: a member, 50 / 50
        ("o6", "u3", "2024-02-01 10:00", "70", "0"),        # u3 left on 02-01: not a member that day
        ("o7", "u3", "2024-01-31 10:00", "30", "0"),        # still a member: 30 / 30
        ("o8", "x", "2024-02-01 10:00", "999", "0"),        # never a member
        ("o9", "u9", "2024-01-15 10:00", "2000", "0"),      # straight to 金卡: 3,000 / 2,000
        ("o10", "u9", "2025-01-31 10:00", "100", "0"),      # still 金卡 (01-01 review: W(365) holds o9): 150 / 100
        ("o11", "u9", "2025-02-01 10:00", "100", "0"),      # 02-01 review: W(365) = o10 + o11 = 200 < every keep →
    ], [                                                    # no tier that day: 100 / 100
        ("u1", "2024-01-01 09:00", None), ("u2", "2024-02-01 09:00", None),
        ("u3", "2024-01-01 09:00", "2024-02-01 12:00"), ("u9", "2024-01-01 09:00", None),
    ])
    res = loyalty.run(ws, GROWTH, "2025-03-31", now=NOW)
    # 600 + 2,250 + 150 + 50 + 30 + 3,000 + 150 + 100 = 6,330
    assert res["points"] == {"earned": 8, "refunds": 0, "corrections": 0, "expired": 0, "points": 6330}
    e2024, e2025 = D(2026, 1, 1), D(2027, 1, 1)
    assert ledger(ws) == {
        "earn:o1": ("u1", D(2024, 1, 10), "earn", 600, 600, "o1", "purchase", e2024),
        "earn:o2": ("u1", D(2024, 3, 1), "earn", 2250, 1500, "o2", "purchase", e2024),
        "earn:o3": ("u1", D(2024, 3, 5), "earn", 150, 100, "o3", "purchase", e2024),
        "earn:o5": ("u2", D(2024, 2, 1), "earn", 50, 50, "o5", "purchase", e2024),
        "earn:o7": ("u3", D(2024, 1, 31), "earn", 30, 30, "o7", "purchase", e2024),
        "earn:o9": ("u9", D(2024, 1, 15), "earn", 3000, 2000, "o9", "purchase", e2024),
        "earn:o10": ("u9", D(2025, 1, 31), "earn", 150, 100, "o10", "purchase", e2025),
        "earn:o11": ("u9", D(2025, 2, 1), "earn", 100, 100, "o11", "purchase", e2025),
    }
    assert ws.query("SELECT DISTINCT recorded_at FROM points_ledger").column(0).to_pylist() == [NOW]

    # a partial refund of o2 undoes u1's 金卡: s stays 600 → 1,600 → 1,700.29, never 2,000, so u1 is 银卡 (×1)
    orders(ws, tmp_path, [("o2", "u1", "2024-03-01 10:00", "1500", "500")])
    res = loyalty.run(ws, GROWTH, "2025-03-31", now=NOW)
    # o2: target 1,000 / 1,000, held 2,250 / 1,500 → −1,250 / −500; o3: target 100 / 100, held 150 / 100 → −50 / 0
    assert res["points"] == {"earned": 0, "refunds": 2, "corrections": 0, "expired": 0, "points": -1300}
    led = ledger(ws)
    assert led["refund:o2:1"] == ("u1", D(2024, 3, 1), "refund", -1250, -500, "o2", "net_changed", e2024)
    assert led["refund:o3:1"] == ("u1", D(2024, 3, 5), "refund", -50, 0, "o3", "rerated", e2024)
    bal = points.balance(ws, "u1")
    assert (bal["points"], bal["qualifying"]) == (600 + 1000 + 100, 600 + 1000 + 100)


def test_points_per_yuan_and_the_floor_are_exact(tmp_path):
    ws = store(tmp_path, [("o1", "u1", "2024-05-01 10:00", "0.29", "0"),     # 0.29 × 100 = 29 (not 28.999…)
                          ("o2", "u1", "2024-05-02 10:00", "10.99", "0.01")],  # net 10.98 × 100 = 1,098
               [("u1", "2024-01-01", None)])
    res = loyalty.run(ws, flat(points_per_yuan=100), "2024-05-31", now=NOW)
    assert res["points"]["points"] == 29 + 1098
    assert {k: v[3:5] for k, v in ledger(ws).items()} == {"earn:o1": (29, 29), "earn:o2": (1098, 1098)}


def test_running_again_with_the_same_data_adds_nothing(tmp_path):
    ws = store(tmp_path, [("o1", "u1", "2023-03-01 10:00", "120", "20"), ("o2", "u1", "2024-04-01 10:00", "80", "0"),
                          ("o3", "u2", "2024-04-02 10:00", "2500", "0")],
               [("u1", "2023-01-01", None), ("u2", "2024-01-01", None)])
    first = loyalty.run(ws, GROWTH, "2025-06-30", now=NOW)
    # earned: o1 100, o2 80, o3 floor(2,500 × 1.5) = 3,750; o1's lot (100) expired on 2025-01-01
    assert first["points"] == {"earned": 3, "refunds": 0, "corrections": 0, "expired": 1,
                               "points": 100 + 80 + 3750 - 100}
    before = full_ledger(ws)
    again = loyalty.run(ws, GROWTH, "2025-06-30", now=NOW + dt.timedelta(days=1))
    assert again["points"] == {"earned": 0, "refunds": 0, "corrections": 0, "expired": 0, "points": 0}
    assert full_ledger(ws) == before and len(before) == 4


def test_a_refund_loaded_later_adds_exactly_one_negative_entry(tmp_path):
    ws = store(tmp_path, [("o1", "u1", "2024-05-01 10:00", "200", "0"), ("o2", "u1", "2024-05-02 10:00", "80", "0")],
               [("u1", "2024-01-01", None)])
    loyalty.run(ws, flat(), "2024-06-30", now=NOW)
    assert points.balance(ws, "u1")["points"] == 280
    orders(ws, tmp_path, [("o1", "u1", "2024-05-01 10:00", "200", "50"),    # net 150: −50
                          ("o2", "u1", "2024-05-02 10:00", "80", "80")])    # fully refunded: −80
    res = loyalty.run(ws, flat(), "2024-06-30", now=NOW)
    assert res["points"] == {"earned": 0, "refunds": 2, "corrections": 0, "expired": 0, "points": -130}
    led = ledger(ws)
    assert set(led) == {"earn:o1", "earn:o2", "refund:o1:1", "refund:o2:1"}
    assert led["refund:o1:1"] == ("u1", D(2024, 5, 1), "refund", -50, -50, "o1", "net_changed", D(2026, 1, 1))
    assert led["refund:o2:1"] == ("u1", D(2024, 5, 2), "refund", -80, -80, "o2", "fully_refunded", D(2026, 1, 1))
    bal = points.balance(ws, "u1")
    assert (bal["points"], bal["qualifying"]) == (150, 150)                 # 200 + 80 − 50 − 80
    assert [e["balance"] for e in bal["entries"]] == [200, 150, 230, 150]   # date, then recording, then id
    assert loyalty.run(ws, flat(), "2024-06-30", now=NOW)["points"]["points"] == 0
    # the refund of o1 is cancelled: the order's third entry puts the 50 back
    orders(ws, tmp_path, [("o1", "u1", "2024-05-01 10:00", "200", "0")])
    res = loyalty.run(ws, flat(), "2024-06-30", now=NOW)
    assert res["points"]["corrections"] == 1
    assert ledger(ws)["correction:o1:2"][2:5] == ("correction", 50, 50)
    assert points.balance(ws, "u1")["points"] == 200


# -- expiry ----------------------------------------------------------------------------------------------------

def test_end_of_next_year_expiry_takes_redemptions_from_the_first_expiring_lot(tmp_path):
    ws = store(tmp_path, [("a", "u1", "2023-06-01 10:00", "100", "0"),     # lot a: spendable to 2024-12-31
                          ("b", "u1", "2024-03-01 10:00", "200", "0"),     # lot b: spendable to 2025-12-31
                          ("c", "u2", "2024-12-15 10:00", "40", "0")],     # lot c: spendable to 2025-12-31
               [("u1", "2023-01-01", None), ("u2", "2023-01-01", None)])
    loyalty.run(ws, flat(), "2024-05-31", now=NOW)                         # posts a and b (c is paid later)
    assert adjust(ws, tmp_path, [("r1", "u1", "2024-06-01", "redeem", "-150", "兑换 coupon")])["added"] == 1
    res = loyalty.run(ws, flat(), "2025-12-01", now=NOW)
    # r1 took a's 100 and 50 of b: a held 0 when it expired on 2025-01-01, so nothing expires
    assert res["points"] == {"earned": 1, "refunds": 0, "corrections": 0, "expired": 0, "points": 40}
    assert points.balance(ws, "u1", "2025-12-01")["points"] == 150         # 100 + 200 − 150
    # liability at 2025-12-01: balances 150 (u1) and 40 (u2); in the next 90 days b's 150 and c's 40 expire
    assert points.liability(ws, "2025-12-01") == {"as_of": D(2025, 12, 1), "points": 190, "users": 2,
                                                  "expiring": 190, "users_expiring": 2, "expiring_days": 90}
    # later than the last run: the expiries due by then count as posted although no run posted them yet
    assert points.liability(ws, "2026-01-15") == {"as_of": D(2026, 1, 15), "points": 0, "users": 0,
                                                  "expiring": 0, "users_expiring": 0, "expiring_days": 90}
    res = loyalty.run(ws, flat(), "2026-06-30", now=NOW)
    assert res["points"] == {"earned": 0, "refunds": 0, "corrections": 0, "expired": 2, "points": -190}
    led = ledger(ws)
    assert led["expire:b"] == ("u1", D(2026, 1, 1), "expire", -150, 0, "b", "expired", None)
    assert led["expire:c"] == ("u2", D(2026, 1, 1), "expire", -40, 0, "c", "expired", None)
    assert "expire:a" not in led
    assert points.balance(ws, "u1", "2025-12-31")["points"] == 150
    assert points.balance(ws, "u1", "2026-01-01")["points"] == 0
    assert loyalty.run(ws, flat(), "2026-06-30", now=NOW)["points"]["expired"] == 0


def test_n_day_expiry_fifo_and_a_late_redemption_resettles_the_expiry(tmp_path):
    ws = store(tmp_path, [("A", "u1", "2024-01-01 10:00", "100", "0"),     # spendable to 01-30 (expires_on 01-31)
                          ("B", "u1", "2024-01-20 10:00", "100", "0")],    # spendable to 02-18 (expires_on 02-19)
               [("u1", "2024-01-01", None)])
    res = loyalty.run(ws, flat(expire=30), "2024-02-29", now=NOW)
    assert res["points"] == {"earned": 2, "refunds": 0, "corrections": 0, "expired": 2, "points": 0}
    led = ledger(ws)
    assert led["earn:A"][7] == D(2024, 1, 31) and led["earn:B"][7] == D(2024, 2, 19)
    assert led["expire:A"][1:4] == (D(2024, 1, 31), "expire", -100)
    assert led["expire:B"][1:4] == (D(2024, 2, 19), "expire", -100)

    # a redemption on 01-25 is loaded after the expiries were posted: A 100 + B 100 spendable then, so it is taken
    adjust(ws, tmp_path, [("r1", "u1", "2024-01-25", "redeem", "-120", "coupon")])
    assert points.balance(ws, "u1", "2024-02-29")["points"] == -120        # the old expiries still stand
    res = loyalty.run(ws, flat(expire=30), "2024-02-29", now=NOW)
    # FIFO: r1 took A's 100 (expires first) and 20 of B; A held 0 at expiry (+100 back), B held 80 (+20 back)
    assert res["points"] == {"earned": 0, "refunds": 0, "corrections": 0, "expired": 2, "points": 120}
    led = ledger(ws)
    assert led["expire:A:1"][1:7] == (D(2024, 1, 31), "expire", 100, 0, "A", "expiry_resettled")
    assert led["expire:B:1"][1:7] == (D(2024, 2, 19), "expire", 20, 0, "B", "expiry_resettled")
    assert points.balance(ws, "u1", "2024-02-29")["points"] == 0
    assert points.balance(ws, "u1", "2024-02-18")["points"] == 80          # 200 − 120, A's expiry nets to 0

    # on B's expiry day nothing is spendable any more; the day before, B's 80 are
    with pytest.raises(ValidationError) as exc:
        adjust(ws, tmp_path, [("r2", "u1", "2024-02-19", "redeem", "-1", "coupon")])
    assert (exc.value.row, exc.value.column) == (1, "points") and "(0 points)" in exc.value.rule
    adjust(ws, tmp_path, [("r3", "u1", "2024-02-18", "redeem", "-80", "coupon")])
    res = loyalty.run(ws, flat(expire=30), "2024-02-29", now=NOW)
    assert ledger(ws)["expire:B:2"][3] == 80 and res["points"]["points"] == 80   # B held 0: its −80 comes back
    assert points.balance(ws, "u1", "2024-02-29")["points"] == 0


def test_redemptions_take_the_first_expiring_lot_not_the_first_earned(tmp_path):
    ws = store(tmp_path, [("X", "u1", "2024-01-01 10:00", "100", "0"), ("Y", "u1", "2024-03-01 10:00", "100", "0")],
               [("u1", "2024-01-01", None)])
    loyalty.run(ws, flat(expire=365), "2024-01-31", now=NOW)    # X under the old rule: expires_on 2024-12-31
    loyalty.run(ws, flat(expire=30), "2024-03-10", now=NOW)     # Y under the new rule: expires_on 2024-03-31
    led = ledger(ws)
    assert (led["earn:X"][7], led["earn:Y"][7]) == (D(2024, 12, 31), D(2024, 3, 31))
    adjust(ws, tmp_path, [("r1", "u1", "2024-03-15", "redeem", "-50", "coupon")])
    res = loyalty.run(ws, flat(expire=30), "2024-04-30", now=NOW)
    # r1 took 50 of Y (expires first although earned later): Y's other 50 expire on 03-31, X keeps its 100
    assert res["points"]["expired"] == 1
    assert ledger(ws)["expire:Y"][1:4] == (D(2024, 3, 31), "expire", -50)
    assert points.balance(ws, "u1", "2024-04-30")["points"] == 100


# -- adjustments -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def earned(tmp_path_factory):
    """u1 has 300 points (2024-05-01, never expiring) and a recorded redemption r0 of 200 on 2024-09-01."""
    root = tmp_path_factory.mktemp("earned")
    ws = store(root, [("o1", "u1", "2024-05-01 10:00", "300", "0"), ("o2", "u2", "2024-05-01 10:00", "10", "0")],
               [("u1", "2024-01-01", None), ("u2", "2024-01-01", None)])
    loyalty.run(ws, flat(expire="never"), "2024-12-31", now=NOW)
    adjust(ws, root, [("r0", "u1", "2024-09-01", "redeem", "-200", "兑换 gift")])
    yield ws, root
    ws.close()


OK_ROW = ("g1", "u2", "2024-06-01", "adjust", "5", "客服补偿 goodwill")


@pytest.mark.parametrize(("rows", "row", "column", "words"), [
    ([OK_ROW, ("g2", "u2", "2024-06-01", "adjust", "5", "  ")], 2, "reason", "reason is required"),
    ([OK_ROW, ("g2", "u2", "2024-06-01", "adjust", "5", "")], 2, "reason", "reason is required"),
    ([OK_ROW, ("g2", "", "2024-06-01", "adjust", "5", "x")], 2, "user_id", "required value is missing"),
    ([OK_ROW, ("", "u2", "2024-06-01", "adjust", "5", "x")], 2, "adjustment_id", "required value is missing"),
    ([OK_ROW, ("g2", "u2", "2024/06/01", "adjust", "5", "x")], 2, "date", "YYYY-MM-DD"),
    ([OK_ROW, ("g2", "u2", "2024-02-30", "adjust", "5", "x")], 2, "date", "YYYY-MM-DD"),
    ([OK_ROW, ("g2", "u2", "", "adjust", "5", "x")], 2, "date", "required value is missing"),
    ([OK_ROW, ("g2", "u2", "2024-06-01", "gift", "5", "x")], 2, "kind", "redeem or adjust"),
    ([OK_ROW, ("g2", "u2", "2024-06-01", "adjust", "1.5", "x")], 2, "points", "whole number"),
    ([OK_ROW, ("g2", "u2", "2024-06-01", "adjust", "ten", "x")], 2, "points", "whole number"),
    ([OK_ROW, ("g2", "u2", "2024-06-01", "adjust", "0", "x")], 2, "points", "must not be 0"),
    ([OK_ROW, ("g2", "u2", "2024-06-01", "adjust", "", "x")], 2, "points", "required value is missing"),
    ([OK_ROW, ("g2", "u2", "2024-06-01", "redeem", "5", "x")], 2, "points", "must be negative"),
    ([OK_ROW, ("g1", "u2", "2024-06-01", "adjust", "6", "客服补偿 goodwill")], 2, "adjustment_id",
     "different content (first in row 1)"),
    ([OK_ROW, ("r0", "u1", "2024-09-01", "redeem", "-199", "兑换 gift")], 2, "adjustment_id",
     "already recorded with other content"),
    ([OK_ROW, ("r9", "u1", "2024-05-01", "redeem", "-301", "x")], 2, "points", "(300 points)"),
])
def test_a_bad_row_names_its_row_and_column_and_records_nothing(earned, rows, row, column, words):
    ws, root = earned
    before = full_ledger(ws)
    with pytest.raises(ValidationError) as exc:
        adjust(ws, root, rows)
    err = exc.value
    assert (err.file, err.row, err.column) == (str(root / "adj.csv"), row, column)
    assert words in err.rule
    assert full_ledger(ws) == before                                    # g1 of row 1 is not recorded either


@pytest.mark.parametrize(("header", "column", "words"), [
    (["adjustment_id", "user_id", "date", "kind", "points"], "reason", "required column is missing"),
    ([*ADJ, "note"], "note", "unknown column"),
])
def test_a_bad_header_is_refused(earned, header, column, words):
    ws, root = earned
    before = full_ledger(ws)
    with pytest.raises(ValidationError) as exc:
        adjust(ws, root, [(*OK_ROW[:len(header)], *(["x"] * (len(header) - 6)))], header=header)
    assert (exc.value.row, exc.value.column) == (None, column) and words in exc.value.rule
    assert full_ledger(ws) == before


def test_redemptions_beyond_the_spendable_balance_are_refused(earned):
    ws, root = earned
    before = full_ledger(ws)
    cases = [
        # before any points were earned: nothing spendable
        ([("x1", "u1", "2024-04-30", "redeem", "-1", "x")], 1, "(0 points)"),
        # on 06-01 300 are spendable, but r0 (09-01, 200) would then find only 150
        ([("x2", "u1", "2024-06-01", "redeem", "-150", "x")], 1, "later redemptions"),
        # after r0 100 are left: 60 fit, then 50 more do not (40 left)
        ([("x3", "u1", "2024-10-01", "redeem", "-60", "x"), ("x4", "u1", "2024-10-02", "redeem", "-50", "x")], 2,
         "(40 points)"),
        # a user without points
        ([("x5", "nobody", "2024-10-01", "redeem", "-1", "x")], 1, "(0 points)"),
    ]
    for rows, row, words in cases:
        with pytest.raises(ValidationError) as exc:
            adjust(ws, root, rows)
        assert (exc.value.row, exc.value.column) == (row, "points") and words in exc.value.rule, rows
    assert full_ledger(ws) == before


def test_adjustments_are_recorded_once_and_positive_ones_expire_like_purchases(tmp_path):
    ws = store(tmp_path, [("o1", "u1", "2024-05-01 10:00", "300", "0")], [("u1", "2024-01-01", None)])
    loyalty.run(ws, flat(expire=100), "2024-12-31", now=NOW)                # o1's 300 expired on 2024-08-09
    rows = [("g1", "u1", "2024-09-01", "adjust", "50", "客服补偿 goodwill"),
            ("r1", "u1", "2024-09-02", "redeem", "-30", "兑换 coupon"),
            ("m1", "u1", "2024-09-03", "adjust", "-40", "误发 clawback"),  # not checked: leaves a debt of 20
            ("g1", "u1", "2024-09-01", "adjust", "50", "客服补偿 goodwill")]  # repeated as is: once
    res = adjust(ws, tmp_path, rows)
    assert res == {"file": str(tmp_path / "adj.csv"), "rows": 4, "added": 3, "unchanged": 1, "points": -20}
    led = ledger(ws)
    assert led["adj:g1"] == ("u1", D(2024, 9, 1), "adjust", 50, 0, "g1", "客服补偿 goodwill", D(2024, 12, 10))
    assert led["adj:r1"] == ("u1", D(2024, 9, 2), "redeem", -30, 0, "r1", "兑换 coupon", None)
    assert led["adj:m1"][3] == -40
    before = full_ledger(ws)
    again = adjust(ws, tmp_path, rows)
    assert (again["added"], again["unchanged"], again["points"]) == (0, 4, 0) and full_ledger(ws) == before
    # JSON Lines too
    jl = tmp_path / "adj.jsonl"
    jl.write_text(json.dumps({"adjustment_id": "g2", "user_id": "u1", "date": "2024-09-04", "kind": "adjust",
                              "points": 25, "reason": "活动 event"}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert adjustments.load_adjustments(ws, jl, now=NOW)["added"] == 1
    # balance on 2024-12-31: 300 − 300 (expired) + 50 − 30 − 40 + 25 = 5; the debt of 20 was paid by g2
    assert points.balance(ws, "u1", "2024-12-31")["points"] == 5
    res = loyalty.run(ws, flat(expire=100), "2025-01-31", now=NOW)
    # g1 (expires 12-10) paid r1 30 and 20 of m1; g2 (expires 12-13) paid m1's last 20 → g1 0, g2 5 left to expire
    assert res["points"]["expired"] == 1 and ledger(ws)["expire:adj:g2"][3] == -5
    assert points.balance(ws, "u1", "2025-01-31")["points"] == 0


# -- balance -------------------------------------------------------------------------------------------------

def test_balance_before_any_run_is_zero_and_creates_nothing(tmp_path):
    ws = store(tmp_path, [("o1", "u1", "2024-05-01 10:00", "300", "0")], [("u1", "2024-01-01", None)])
    assert points.balance(ws, "u1") == {"user_id": "u1", "as_of": None, "points": 0, "qualifying": 0, "entries": []}
    assert points.liability(ws, "2024-05-01")["points"] == 0
    assert ws.query("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'points_ledger'"
                    ).to_pylist() == [{"n": 0}]


# -- the commands --------------------------------------------------------------------------------------------

def cli(ws_path: Path, *args: str):
    return CliRunner().invoke(app, ["--workspace", str(ws_path), *args], env={"COLUMNS": "400"})


def test_cli_adjust_and_points(tmp_path):
    ws = store(tmp_path, [("o1", "u1", "2024-05-01 10:00", "300", "0"), ("o2", "u1", "2024-06-01 10:00", "20", "0")],
               [("u1", "2024-01-01", None)])
    loyalty.run(ws, flat(), "2024-12-31", now=NOW)
    ws.close()
    f = write_csv(tmp_path / "redeem.csv", ADJ, [("r1", "u1", "2024-07-01", "redeem", "-120", "兑换 coupon"),
                                                  ("g1", "u1", "2024-07-02", "adjust", "10", "客服补偿 goodwill")])
    res = cli(ws.path, "loyalty", "adjust", str(f), "--format", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {"file": str(f), "rows": 2, "added": 2, "unchanged": 0, "points": -110}
    res = cli(ws.path, "loyalty", "adjust", str(f))                                   # again: a table, nothing added
    assert res.exit_code == 0, res.output
    assert "积分调整 Adjustments" in res.stdout and "已记录 already recorded" in res.stdout

    res = cli(ws.path, "loyalty", "points", "u1", "--format", "json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    # 300 + 20 − 120 + 10 = 210; qualifying 320
    assert (out["user_id"], out["as_of"], out["points"], out["qualifying"]) == ("u1", None, 210, 320)
    assert [(e["entry_id"], e["balance"]) for e in out["entries"]] == [
        ("earn:o1", 300), ("earn:o2", 320), ("adj:r1", 200), ("adj:g1", 210)]

    res = cli(ws.path, "loyalty", "points", "u1", "--as-of", "2024-06-30", "--format", "csv")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(res.stdout.splitlines()))
    assert [(r["user_id"], r["date"], r["kind"], r["points"], r["balance"], r["expires_on"]) for r in rows] == [
        ("u1", "2024-05-01", "earn", "300", "300", "2026-01-01"), ("u1", "2024-06-01", "earn", "20", "320", "2026-01-01")]

    res = cli(ws.path, "loyalty", "points", "u1")
    assert res.exit_code == 0, res.output
    for label in ("积分 Points of u1", "购物积分 earned", "兑换 redeemed", "人工调整 adjustment", "客服补偿 goodwill",
                  "可用积分 Spendable balance: 210"):
        assert label in res.stdout, label

    bad = write_csv(tmp_path / "bad.csv", ADJ, [("r2", "u1", "2024-07-03", "redeem", "-500", "兑换 coupon")])
    res = cli(ws.path, "loyalty", "adjust", str(bad))
    assert res.exit_code != 0 and isinstance(res.exception, ValidationError)
    assert (res.exception.row, res.exception.column) == (1, "points")
