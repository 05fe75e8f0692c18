"""Golden data tests of the asset models over registered tables: transitions, group summaries, pool changes.

Each model reads Arrow tables (``_s0``, ``_s1``, ``_rfm``, ``_u``, ``_p0``, ``_p1``, ``_pt``) or temp tables
(``_features``) that its caller sets up; here they are small hand-made tables on an in-memory DuckDB, and the
expected rows are worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest
from golden import run_model

from siyu.assets.pools import POOL_TYPES
from siyu.engine.sql import load_model

T = dt.date(2024, 12, 31)


@pytest.fixture
def conn():
    c = duckdb.connect()
    yield c
    c.close()


def _rows(rows, *cols):
    return sorted(tuple(r[c] for c in cols) for r in rows)


# --- aipl_transitions ----------------------------------------------------------------------------------------------
def test_aipl_transitions_golden(conn):
    conn.register("_s0", pa.table({"user_id": ["u1", "u2", "u3", "u4", "u5", "u7"],
                                   "stage": ["A", "I", "P", "none", "L", "A"]}))
    conn.register("_s1", pa.table({"user_id": ["u1", "u2", "u3", "u4", "u6", "u7"],
                                   "stage": ["I", "I", "none", "A", "P", "I"]}))
    rows = run_model(conn, "aipl_transitions")
    # u1, u7 A->I; u2 I->I; u3 P->none (churned); u4 none->A (entered); u5 (only at t0) and u6 (only at t1) left out
    assert _rows(rows, "s0", "s1", "n") == [("A", "I", 2), ("I", "I", 1), ("P", "none", 1), ("none", "A", 1)]


# --- rfm_group_summary ---------------------------------------------------------------------------------------------
def test_rfm_group_summary_golden(conn):
    conn.register("_rfm", pa.table({
        "user_id": ["a", "b", "c"],
        "recency": pa.array([2, 4, 300], pa.int32()),
        "frequency": pa.array([5, 3, 1], pa.int64()),
        "monetary": [100.0, 50.5, 20.0],
        "r": pa.array([5, 5, 1], pa.int32()), "f": pa.array([5, 4, 1], pa.int32()),
        "m": pa.array([5, 4, 1], pa.int32()),
        "group": ["champions", "champions", "hibernating"],
    }))
    rows = {r["group"]: r for r in run_model(conn, "rfm_group_summary")}
    # champions: a and b -> 2 buyers, 100 + 50.5 spend, mean recency (2 + 4) / 2, mean frequency (5 + 3) / 2
    assert rows["champions"] == {"group": "champions", "users": 2, "monetary": 150.5, "mean_recency": 3.0,
                                 "mean_frequency": 4.0}
    assert rows["hibernating"] == {"group": "hibernating", "users": 1, "monetary": 20.0, "mean_recency": 300.0,
                                   "mean_frequency": 1.0}
    assert set(rows) == {"champions", "hibernating"}  # groups without buyers have no row


# --- ucmv_summary --------------------------------------------------------------------------------------------------
def _features(conn, users, spends):
    conn.execute("CREATE TEMP TABLE _features (user_id VARCHAR, spend_365 DOUBLE)")
    conn.executemany("INSERT INTO _features VALUES (?, ?)", list(zip(users, spends)))


def test_ucmv_summary_golden(conn):
    _features(conn, ["v1", "v2", "c1", "u1", "x"], [0.1, 0.2, 19.99, 0.0, 500.0])
    conn.register("_u", pa.table({"user_id": ["v1", "v2", "c1", "u1", "x", "ghost"],
                                  "stage": ["V", "V", "C", "U", None, "M"]}))
    rows = {r["stage"]: r for r in run_model(conn, "ucmv_summary")}
    # V: v1 + v2 = 0.10 + 0.20 = 0.30 to the cent (a float sum would give 0.30000000000000004);
    # x has no stage (outside UCMV) and ghost has no features row: neither counts
    assert rows == {"V": {"stage": "V", "n": 2, "gmv": 0.3}, "C": {"stage": "C", "n": 1, "gmv": 19.99},
                    "U": {"stage": "U", "n": 1, "gmv": 0.0}}


def test_ucmv_summary_gmv_is_rounded_to_the_cent(conn):
    # 10,000 users spending 0.10 each: exactly 1000.00 (summing the floats gives 999.9999999999062 or so, and the last
    # digits depend on DuckDB's parallel order of summation)
    n = 10_000
    _features(conn, [f"u{i}" for i in range(n)], [0.1] * n)
    conn.register("_u", pa.table({"user_id": [f"u{i}" for i in range(n)], "stage": ["C"] * n}))
    assert run_model(conn, "ucmv_summary") == [{"stage": "C", "n": n, "gmv": 1000.0}]


# --- pool_changes --------------------------------------------------------------------------------------------------
def _pools(users, fan, member, customer):
    return pa.table({"user_id": users, "fan_pool": pa.array(fan, pa.string()),
                     "member_pool": pa.array(member, pa.string()),
                     "customer_pool": pa.array(customer, pa.string()),
                     "high_intent": [False] * len(users)})


def test_pool_changes_golden(conn):
    conn.register("_p0", _pools(["a", "b", "c", "e"], ["silent", "active", None, "ordinary"],
                                [None, "quality", None, None], ["new", "old", "prospect", "old"]))
    conn.register("_p1", _pools(["a", "b", "c", "d"], ["opportunity", "active", None, None],
                                [None, None, None, "potential"], ["new", "old", "lapsed", None]))
    rows = run_model(conn, "pool_changes", date=T)
    # a: fan silent -> opportunity; b: member quality -> (left); c: customer prospect -> lapsed;
    # d (new in _p1): member (none) -> potential, its empty fan and customer labels are no change;
    # e (only in _p0) is not reported
    assert _rows(rows, "user_id", "pool_type", "from_pool", "to_pool", "date") == [
        ("a", "fan", "silent", "opportunity", T),
        ("b", "member", "quality", None, T),
        ("c", "customer", "prospect", "lapsed", T),
        ("d", "member", None, "potential", T),
    ]


def test_pool_changes_has_one_branch_per_pool_type_in_order():
    sql = load_model("pool_changes").sql
    at = [sql.index(f"'{k}' AS pool_type") for k in POOL_TYPES]
    assert at == sorted(at) and sql.count("UNION ALL") == len(POOL_TYPES) - 1
    assert sql.count("AS pool_type") == len(POOL_TYPES)


# --- pool_transitions_clear / pool_transitions_append -----------------------------------------------------------------
def test_pool_transitions_clear_and_append_golden(conn):
    conn.execute("CREATE TABLE pool_transitions (user_id VARCHAR, pool_type VARCHAR, from_pool VARCHAR, "
                 "to_pool VARCHAR, date DATE)")
    d1, d2, d3, d4 = (dt.date(2024, 12, k) for k in (1, 8, 15, 22))
    conn.executemany("INSERT INTO pool_transitions VALUES (?, ?, ?, ?, ?)", [
        ("a", "fan", None, "silent", d1), ("b", "fan", "silent", "active", d2),
        ("c", "member", None, "potential", d3), ("d", "customer", "old", None, d4)])
    # first .. last inclusive: the rows of 12-08 and 12-15 go, those of 12-01 and 12-22 stay
    assert run_model(conn, "pool_transitions_clear", first=d2, last=d3) == [{"Count": 2}]
    conn.register("_pt", pa.table({"date": pa.array([d2], pa.date32()), "to_pool": ["ordinary"],
                                   "from_pool": ["active"], "pool_type": ["fan"], "user_id": ["b"]}))
    assert run_model(conn, "pool_transitions_append") == [{"Count": 1}]  # columns taken by name from _pt
    assert sorted(conn.execute("SELECT * FROM pool_transitions").fetchall(), key=lambda r: r[4]) == [
        ("a", "fan", None, "silent", d1), ("b", "fan", "active", "ordinary", d2), ("d", "customer", "old", None, d4)]
