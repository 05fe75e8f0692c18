"""Golden data tests of the CLV SQL models (``siyu/clv/sql``): input rows -> expected rows, on in-memory DuckDB.

The models over ``_clv_tx`` read a temp table standing in for the view :func:`siyu.clv.summary.transactions` sets up
(``customer_id, paid_at, amount, refund_amount``). Edge cases: several orders on one day, full and partial refunds,
a source without refund information (NULL refund: every ``amount >= 0`` row is a purchase), no customer id,
purchases after the calibration or holdout end, incomplete periods.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest
from golden import run_model

from siyu.clv.summary import PERIODS, PURCHASE
from siyu.contract.loader import create_schema
from siyu.engine.sql import list_models, load_model


def ts(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour))


def D(day: str) -> dt.date:
    return dt.date.fromisoformat(day)


@pytest.fixture
def conn():
    c = duckdb.connect()
    yield c
    c.close()


def tx(conn, rows):
    """``_clv_tx`` with ``rows`` of (customer_id, paid_at, amount, refund_amount)."""
    conn.execute("CREATE TEMP TABLE _clv_tx (customer_id VARCHAR, paid_at TIMESTAMP, amount DOUBLE, "
                 "refund_amount DOUBLE)")
    conn.executemany("INSERT INTO _clv_tx VALUES (?, ?, ?, ?)", rows)


# --- clv_summary / clv_summary_holdout ------------------------------------------------------------------------------
SUMMARY_TX = [
    ("a", ts("2024-01-01", 10), 100, 0), ("a", ts("2024-01-01", 18), 20, 0),  # one purchase day, spend 120
    ("a", ts("2024-01-08"), 50, 10),                                            # partial refund: spend 40
    ("a", ts("2024-01-15"), 30, 0),
    ("a", ts("2024-02-05"), 999, 999),                                          # fully refunded: not a purchase
    ("a", ts("2024-02-12"), 70, 0), ("a", ts("2024-02-12", 20), 10, 0),        # holdout day, spend 80
    ("a", ts("2024-02-20"), 40, 0),                                             # holdout day, spend 40
    ("a", ts("2024-03-01"), 500, 0),                                            # after the holdout end
    ("b", ts("2024-01-22"), 60, 0),
    ("c", ts("2024-01-10"), 80, 80), ("c", ts("2024-02-01"), 25, 0),            # first purchase after calibration
    (None, ts("2024-01-03"), 10, 0),                                            # no customer id
]
CAL, HOLD = D("2024-01-29"), D("2024-02-26")


def test_clv_summary_golden(conn):
    tx(conn, SUMMARY_TX)
    rows = {r["customer_id"]: r for r in run_model(conn, "clv_summary", calibration_end=CAL, unit_days=7.0)}
    # a: days 01-01 (120), 01-08 (40), 01-15 (30) -> x = 2, t_x = 14 / 7, T = 28 / 7, monetary = (40 + 30) / 2
    assert rows["a"] == {"customer_id": "a", "frequency": 2, "recency": 2.0, "T": 4.0, "monetary": 35.0,
                         "first_purchase": D("2024-01-01")}
    # b: one day 01-22 -> x = 0, T = 7 / 7, monetary 0
    assert rows["b"] == {"customer_id": "b", "frequency": 0, "recency": 0.0, "T": 1.0, "monetary": 0.0,
                         "first_purchase": D("2024-01-22")}
    assert set(rows) == {"a", "b"}  # c first bought after calibration_end; the row without id is left out


def test_clv_summary_holdout_golden(conn):
    tx(conn, SUMMARY_TX)
    rows = {r["customer_id"]: r for r in run_model(conn, "clv_summary_holdout", calibration_end=CAL,
                                                    holdout_end=HOLD, unit_days=7.0)}
    # a: calibration as in clv_summary; holdout (01-29, 02-26]: 02-12 (80) and 02-20 (40); 02-05 refunded, 03-01 after
    assert rows["a"] == {"customer_id": "a", "frequency": 2, "recency": 2.0, "T": 4.0, "monetary": 35.0,
                         "first_purchase": D("2024-01-01"), "frequency_holdout": 2, "monetary_holdout": 60.0,
                         "duration_holdout": 4.0}
    assert rows["b"] == {"customer_id": "b", "frequency": 0, "recency": 0.0, "T": 1.0, "monetary": 0.0,
                         "first_purchase": D("2024-01-22"), "frequency_holdout": 0, "monetary_holdout": 0.0,
                         "duration_holdout": 4.0}
    assert set(rows) == {"a", "b"}  # c's first purchase (02-01) is in the holdout: not in the calibration cohort


def test_a_source_without_refunds_counts_every_non_negative_amount(conn):
    tx(conn, [("a", ts("2024-01-01"), 10, None), ("a", ts("2024-01-02"), 0, None), ("a", ts("2024-01-03"), -5, None)])
    (row,) = run_model(conn, "clv_summary", calibration_end=D("2024-01-03"), unit_days=1.0)
    # 01-01 and 01-02 (amount 0 still a transaction); -5 is not
    assert (row["frequency"], row["recency"], row["T"], row["monetary"]) == (1, 1.0, 2.0, 0.0)


def test_clv_day_span_and_clv_summary_days_golden(conn):
    tx(conn, SUMMARY_TX)
    # purchases up to 01-29: a on 01-01, 01-08, 01-15; b on 01-22 (c's 01-10 order is refunded, the id-less one is out)
    (span,) = run_model(conn, "clv_day_span", calibration_end=CAL)
    epoch = D("1970-01-01")
    assert span == {"day_lo": (D("2024-01-01") - epoch).days, "day_hi": (D("2024-01-22") - epoch).days}
    rows = {r["customer_id"]: r for r in run_model(conn, "clv_summary_days", calibration_end=CAL, unit_days=7.0,
                                                    **span)}
    # the same frequency, recency and T as clv_summary, without monetary; two orders on 01-01 are one purchase day
    assert rows["a"] == {"customer_id": "a", "frequency": 2, "recency": 2.0, "T": 4.0, "first_purchase": D("2024-01-01")}
    assert rows["b"] == {"customer_id": "b", "frequency": 0, "recency": 0.0, "T": 1.0, "first_purchase": D("2024-01-22")}
    assert set(rows) == {"a", "b"}


def test_clv_day_span_without_purchases(conn):
    tx(conn, [("c1", ts("2024-01-05"), 100, 100)])
    assert run_model(conn, "clv_day_span", calibration_end=D("2024-02-01")) == [{"day_lo": None, "day_hi": None}]


def test_the_summary_without_monetary_equals_the_full_one(tmp_path):
    """rfm_summary(monetary=False) takes the one-aggregation path: same frequency, recency, T for every customer."""
    import numpy as np
    import pyarrow.parquet as pq

    from siyu.clv.summary import rfm_summary

    rng = np.random.default_rng(5)
    n = 20_000
    day = rng.integers(0, 400, n)
    t0 = np.datetime64("2023-01-01T00:00:00", "us").astype(np.int64)
    pq.write_table(pa.table({"user_id": pa.array([f"u{i}" for i in rng.integers(0, 3000, n)]),
                             "paid_at": pa.array(t0 + day * 86_400_000_000 + rng.integers(0, 86_400_000_000, n),
                                                 pa.timestamp("us")),
                             "amount": rng.gamma(2.0, 50.0, n)}), tmp_path / "tx.parquet")
    full = rfm_summary(tmp_path / "tx.parquet", calibration_end="2024-01-15", time_unit="W").sort_by("customer_id")
    days = rfm_summary(tmp_path / "tx.parquet", calibration_end="2024-01-15", time_unit="W",
                       monetary=False).sort_by("customer_id")
    assert "monetary" not in days.column_names and full.num_rows == days.num_rows > 2500
    for col in ("customer_id", "frequency", "recency", "T", "first_purchase"):
        assert days.column(col).equals(full.column(col)), col


# --- clv_purchase_span ---------------------------------------------------------------------------------------------
def test_clv_purchase_span_golden(conn):
    tx(conn, [("c1", ts("2024-01-05"), 100, 0), ("c1", ts("2024-03-01", 23), 50, 50),  # the refunded one is no purchase
              ("c2", ts("2023-12-31", 8), 20, 5), (None, ts("2023-06-01"), 10, 0),      # no id: left out
              ("c3", ts("2024-06-30"), 30, None), ("c4", ts("2024-07-01"), -5, None)])  # NULL refund: amount >= 0
    assert run_model(conn, "clv_purchase_span") == [
        {"first_day": D("2023-12-31"), "last_day": D("2024-06-30"), "purchases": 3}]


def test_clv_purchase_span_without_purchases(conn):
    tx(conn, [("c1", ts("2024-01-05"), 100, 100)])
    assert run_model(conn, "clv_purchase_span") == [{"first_day": None, "last_day": None, "purchases": 0}]


# --- clv_discrete_summary ------------------------------------------------------------------------------------------
YEARLY_TX = [
    ("c1", ts("2021-03-01"), 10, 0), ("c1", ts("2021-07-01"), 10, 0), ("c1", ts("2022-05-05"), 10, 0),
    ("c1", ts("2024-02-02"), 10, 0),
    ("c2", ts("2024-06-01"), 10, 0),
    ("c3", ts("2023-01-01"), 10, 0), ("c3", ts("2025-01-01"), 10, 0),   # 2025 is after calibration_end
    ("c4", ts("2022-01-01"), 10, 10),                                    # only a refunded order
    ("c5", ts("2020-05-05"), 10, 0), ("c5", ts("2021-01-01"), 10, 10), ("c5", ts("2023-03-03"), 10, 0),
]


def _xtn(rows):
    return {r["customer_id"]: (r["frequency"], r["recency"], r["T"]) for r in rows}


def test_clv_discrete_summary_years_golden(conn):
    tx(conn, YEARLY_TX)
    rows = run_model(conn, "clv_discrete_summary", calibration_end=D("2024-12-31"), period="Y", n_periods=2**62)
    assert [r["customer_id"] for r in rows] == ["c1", "c2", "c3", "c5"]  # ordered; c4 never purchased
    # complete years after the first: up to 2024. c1: first 2021, n = 3, bought in 2022 (1) and 2024 (3);
    # c2: first 2024, n = 0; c3: first 2023, n = 1, no purchase in 2024; c5: first 2020, n = 4, bought in 2023 (3)
    assert _xtn(rows) == {"c1": (2, 3, 3), "c2": (0, 0, 0), "c3": (0, 0, 1), "c5": (1, 3, 4)}


def test_clv_discrete_summary_caps_the_opportunities(conn):
    tx(conn, YEARLY_TX)
    rows = run_model(conn, "clv_discrete_summary", calibration_end=D("2024-12-31"), period="Y", n_periods=2)
    # n = min(n, 2): c1 keeps 2022 (1) only; c5's 2023 purchase (3) is beyond its 2 opportunities
    assert _xtn(rows) == {"c1": (1, 1, 2), "c2": (0, 0, 0), "c3": (0, 0, 1), "c5": (0, 0, 2)}


def test_clv_discrete_summary_months_leave_out_the_incomplete_month(conn):
    tx(conn, [("m1", ts("2023-12-20"), 10, 0), ("m1", ts("2024-01-10"), 10, 0), ("m1", ts("2024-02-29"), 10, 0),
              ("m1", ts("2024-03-01"), 10, 0), ("m2", ts("2024-03-02"), 10, 0)])
    rows = run_model(conn, "clv_discrete_summary", calibration_end=D("2024-03-15"), period="M", n_periods=2**62)
    # March 2024 is not complete on 03-15: m1 (first Dec 2023) has Jan and Feb (n = 2), both with a purchase;
    # m2's first month is March: n = 0
    assert _xtn(rows) == {"m1": (2, 2, 2), "m2": (0, 0, 0)}


def test_clv_discrete_summary_weeks_start_on_monday(conn):
    # 2023-12-25 and 2024-01-01 are Mondays; calibration_end 2024-01-07 is a Sunday (its week is complete)
    tx(conn, [("w1", ts("2023-12-25"), 10, 0), ("w1", ts("2023-12-31"), 10, 0), ("w1", ts("2024-01-01"), 10, 0),
              ("w1", ts("2024-01-07"), 10, 0),
              ("w2", ts("2023-12-24"), 10, 0), ("w2", ts("2024-01-02"), 10, 0)])
    rows = run_model(conn, "clv_discrete_summary", calibration_end=D("2024-01-07"), period="W", n_periods=2**62)
    # w1: first week 12-25..12-31, then week 01-01..01-07 (n = 1, bought); w2: first week 12-18..12-24, n = 2,
    # bought in the second week after it
    assert _xtn(rows) == {"w1": (1, 1, 1), "w2": (1, 2, 2)}


def test_clv_discrete_summary_spells_out_the_periods_of_the_python_api():
    sql = load_model("clv_discrete_summary").sql
    for key, expr in PERIODS.items():
        assert f"WHEN '{key}' THEN {expr.format(d='CAST(paid_at AS DATE)')}" in sql, key
        assert f"WHEN '{key}' THEN {expr.format(d='CAST($calibration_end AS DATE) + 1')}" in sql, key


# --- clv_holdout_tracking ------------------------------------------------------------------------------------------
def test_clv_holdout_tracking_golden(conn):
    tx(conn, [
        ("a", ts("2024-01-02", 9), 10, 0), ("a", ts("2024-01-02", 15), 10, 0),  # one first-purchase day
        ("a", ts("2024-01-05"), 10, 0), ("a", ts("2024-01-15"), 10, 0), ("a", ts("2024-01-25"), 10, 0),  # 01-25 late
        ("b", ts("2024-01-05"), 10, 0), ("b", ts("2024-01-15"), 10, 0),
        ("c", ts("2024-01-12"), 10, 0), ("c", ts("2024-01-15"), 10, 0),         # first purchase after calibration
        ("d", ts("2024-01-08"), 10, 10), ("d", ts("2024-01-09"), 10, 0),        # refunded 01-08: first is 01-09
    ])
    rows = run_model(conn, "clv_holdout_tracking", calibration_end=D("2024-01-10"), holdout_end=D("2024-01-20"))
    assert [(r["day"], r["first_purchases"], r["repeat_purchases"]) for r in rows] == [
        (D("2024-01-02"), 1, 0),   # a
        (D("2024-01-05"), 1, 1),   # b first, a repeat
        (D("2024-01-09"), 1, 0),   # d
        (D("2024-01-15"), 0, 2),   # a and b repeat; c is not in the cohort
    ]


def test_every_model_over_clv_tx_uses_the_one_purchase_rule():
    names = [n for n in list_models() if "_clv_tx" in load_model(n).header.get("inputs", "")]
    assert set(names) >= {"clv_summary", "clv_summary_holdout", "clv_purchase_span", "clv_discrete_summary",
                          "clv_holdout_tracking"}
    for name in names:
        assert PURCHASE in load_model(name).sql, name


# --- clv_source_columns --------------------------------------------------------------------------------------------
def test_clv_source_columns_golden(conn):
    conn.execute("CREATE TABLE orders (user_id VARCHAR, paid_at TIMESTAMP, amount DECIMAL(18,2))")
    conn.register("_clv_src", pa.table({"cid": pa.array([1], pa.int64()),
                                        "ts": pa.array([0], pa.timestamp("us", tz="UTC")), "amt": ["1.5"]}))
    conn.execute("ATTACH ':memory:' AS other")
    conn.execute("CREATE TABLE other.main.orders (x INTEGER)")   # another database's table of the same name
    cols = lambda rel: [(r["column_name"], r["data_type"]) for r in run_model(conn, "clv_source_columns",
                                                                               relation=rel)]
    assert cols("orders") == [("user_id", "VARCHAR"), ("paid_at", "TIMESTAMP"), ("amount", "DECIMAL(18,2)")]
    assert cols("_clv_src") == [("cid", "BIGINT"), ("ts", "TIMESTAMP WITH TIME ZONE"), ("amt", "VARCHAR")]
    assert cols("nothing") == []


def test_clv_source_columns_of_a_temp_view(conn):
    conn.execute("CREATE TEMP VIEW _clv_src AS SELECT 'x' AS customer, DATE '2024-01-01' AS day, 2.5 AS amount")
    rows = run_model(conn, "clv_source_columns", relation="_clv_src")
    assert [(r["column_name"], r["data_type"]) for r in rows] == [
        ("customer", "VARCHAR"), ("day", "DATE"), ("amount", "DECIMAL(2,1)")]


# --- clv_memory_limit ----------------------------------------------------------------------------------------------
def test_clv_memory_limit_golden(conn):
    conn.execute("SET memory_limit = '512MiB'")
    assert run_model(conn, "clv_memory_limit") == [{"memory_limit": "512.0 MiB"}]


# --- the workspace-side CLV models: clv_historic_spend, clv_tables, clv_stored_predictions --------------------------------
@pytest.fixture
def ws_conn(conn):
    create_schema(conn)
    conn.executemany("INSERT INTO orders (order_id, user_id, paid_at, amount, refund_amount) VALUES (?, ?, ?, ?, ?)", [
        ("o1", "a", ts("2024-01-01", 23), 100, 0),
        ("o2", "a", ts("2024-01-02"), 50, 20),       # partial refund: 30
        ("o3", "a", ts("2024-01-03"), 40, 40),       # fully refunded: not a purchase
        ("o4", "a", ts("2024-01-04"), 70, 0),        # after t
        ("o5", "b", ts("2024-01-03"), 15, None),     # no refund recorded: 15
    ])
    return conn


def test_clv_historic_spend_golden(ws_conn):
    ws_conn.register("_clv_ids", pa.table({"customer_id": ["a", "b", "z"]}))
    rows = {r["customer_id"]: r["spend"] for r in run_model(ws_conn, "clv_historic_spend", t=D("2024-01-03"))}
    # a: 100 + (50 - 20) up to 01-03 (o3 refunded, o4 later); b: 15; z never bought: 0
    assert rows == {"a": 130.0, "b": 15.0, "z": 0.0}


def test_clv_tables_and_stored_predictions_golden(ws_conn):
    assert run_model(ws_conn, "clv_tables") == []   # nothing predicted yet
    ws_conn.execute("CREATE TABLE clv_predictions (customer_id VARCHAR, predicted_clv DOUBLE, p_alive DOUBLE)")
    ws_conn.execute("INSERT INTO clv_predictions VALUES ('a', 12.5, 0.9), ('b', 0.0, 0.25)")
    assert run_model(ws_conn, "clv_tables") == [{"table_name": "clv_predictions"}]
    assert sorted(run_model(ws_conn, "clv_stored_predictions"), key=lambda r: r["p_alive"]) == [
        {"predicted_clv": 0.0, "p_alive": 0.25}, {"predicted_clv": 12.5, "p_alive": 0.9}]
