"""Tests of siyu.clv.validation with a closed-form stand-in purchase model (not a mock of the real ones).

The stand-in is a Poisson purchase process with rate λ per unit and no dropout: a customer of age t has
E[X(t)] = λt, and whatever its history the expected purchases in (T, T + t] are λt. So every expected value below
is known exactly and the validation arithmetic (cohort sums, grouping, errors) can be checked by hand.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from siyu import ConfigError, InsufficientDataError
from siyu.clv.validation import calibration_holdout, conditional_expectations, error_metrics, holdout_tracking

from .test_summary import write_cdnow_csv


class PoissonForever:
    """Purchases at rate ``lam`` per unit for ever (fit: the MLE Σx / ΣT over the summary's repeat purchases)."""

    def __init__(self, lam: float | None = None) -> None:
        self.lam = lam

    def fit(self, summary):
        self.lam_ = float(np.sum(summary.column("frequency").to_numpy()) / np.sum(summary.column("T").to_numpy()))
        return self

    @property
    def rate(self) -> float:
        return self.lam if self.lam is not None else self.lam_

    def expected_purchases(self, t, summary):
        return np.full(len(summary), self.rate * float(t))

    def expected_purchases_unconditional(self, t):
        return self.rate * np.asarray(t, dtype=float)

    def p_alive(self, summary):
        return np.ones(len(summary))


class FixedSpend:
    """Gamma-Gamma stand-in: every customer is expected to spend ``spend`` per purchase."""

    def __init__(self, spend: float) -> None:
        self.spend = spend

    def expected_spend(self, summary):
        return np.full(len(summary), self.spend)


CAL, HOLD = dt.date(2024, 1, 31), dt.date(2024, 2, 29)
ORDERS = [  # user_id, paid_at, amount, refund_amount
    ("a", "2024-01-01 10:00", 10.0, 0.0),   # a: first day (t0 = Jan 1)
    ("a", "2024-01-05 10:00", 10.0, 0.0),   # repeat
    ("a", "2024-01-20 10:00", 10.0, 0.0),   # repeat
    ("a", "2024-02-10 10:00", 30.0, 0.0),   # repeat in the holdout
    ("b", "2024-01-10 09:00", 10.0, 0.0),   # b: first day (t0 = Jan 10)
    ("b", "2024-01-10 19:00", 10.0, 0.0),   # same day: not a repeat
    ("b", "2024-01-31 23:00", 20.0, 0.0),   # repeat on calibration_end
    ("b", "2024-02-29 12:00", 40.0, 10.0),  # repeat on holdout_end (partial refund: spend 30)
    ("b", "2024-03-01 12:00", 40.0, 0.0),   # after holdout_end: ignored
    ("c", "2024-02-05 12:00", 10.0, 0.0),   # c: first purchase after calibration_end: not in the cohort
    ("c", "2024-02-12 12:00", 10.0, 0.0),
    ("d", "2024-01-03 12:00", 10.0, 10.0),  # d: only a fully refunded order: no customer
]
T0 = {"a": dt.date(2024, 1, 1), "b": dt.date(2024, 1, 10)}
REPEATS = [dt.date(2024, 1, 5), dt.date(2024, 1, 20), dt.date(2024, 2, 10), dt.date(2024, 1, 31), dt.date(2024, 2, 29)]


def orders() -> pd.DataFrame:
    df = pd.DataFrame(ORDERS, columns=["user_id", "paid_at", "amount", "refund_amount"])
    return df.assign(paid_at=pd.to_datetime(df.paid_at))


def by_loops(period_end: dt.date, lam: float, unit: float) -> tuple[int, float]:
    """Actual cumulative repeat purchase days and λ·Σ(P − t0_i)/unit over the cohort, with plain loops."""
    actual = sum(1 for d in REPEATS if d <= period_end)
    expected = sum(lam * (period_end - t0).days / unit for t0 in T0.values() if t0 < period_end)
    return actual, expected


# -- holdout_tracking ----------------------------------------------------------------------------------------------
def test_weekly_tracking_golden():
    rows = holdout_tracking(orders(), PoissonForever(0.5), calibration_end=CAL, holdout_end=HOLD, time_unit="W")
    ends = [r["period_end"] for r in rows]
    # weeks from the cohort's first purchase (Jan 1): week 1 = Jan 1-7, ...; the last step ends on holdout_end
    assert ends == [dt.date(2024, 1, 7), dt.date(2024, 1, 14), dt.date(2024, 1, 21), dt.date(2024, 1, 28),
                    dt.date(2024, 2, 4), dt.date(2024, 2, 11), dt.date(2024, 2, 18), dt.date(2024, 2, 25), HOLD]
    assert [r["period"] for r in rows] == list(range(1, 10))
    assert [r["actual"] for r in rows] == [1, 1, 2, 2, 3, 4, 4, 4, 5]
    # week 1: only a has started, aged 6 days; week 2: a 13 days, b 4 days
    assert rows[0]["expected"] == pytest.approx(0.5 * 6 / 7, rel=1e-12)
    assert rows[1]["expected"] == pytest.approx(0.5 * (13 + 4) / 7, rel=1e-12)
    for r in rows:
        actual, expected = by_loops(r["period_end"], 0.5, 7.0)
        assert r["actual"] == actual and r["expected"] == pytest.approx(expected, rel=1e-12)
    # increments add up to the cumulative values
    assert sum(r["incremental_actual"] for r in rows) == rows[-1]["actual"] == 5
    assert sum(r["incremental_expected"] for r in rows) == pytest.approx(rows[-1]["expected"], rel=1e-12)
    assert rows[4]["incremental_actual"] == 1 and rows[4]["incremental_expected"] == pytest.approx(0.5 * 2, rel=1e-12)


def test_daily_tracking_and_a_later_start():
    rows = holdout_tracking(orders(), PoissonForever(0.1), calibration_end=CAL, holdout_end=HOLD, time_unit="D")
    assert len(rows) == 60 and rows[0]["period_end"] == dt.date(2024, 1, 1) and rows[-1]["period_end"] == HOLD
    for r in rows:
        actual, expected = by_loops(r["period_end"], 0.1, 1.0)
        assert r["actual"] == actual and r["expected"] == pytest.approx(expected, rel=1e-12, abs=1e-12)
    later = holdout_tracking(orders(), PoissonForever(0.1), calibration_end=CAL, holdout_end=HOLD, time_unit="W",
                             start="2024-01-15")
    assert later[0]["period_end"] == dt.date(2024, 1, 21)
    # cumulative counts run from the cohort's beginning; the first increment is from the day before start
    assert later[0]["actual"] == 2 and later[0]["incremental_actual"] == 1
    before, _ = by_loops(dt.date(2024, 1, 14), 0.1, 7.0)
    assert later[0]["incremental_actual"] == later[0]["actual"] - before


def test_monthly_steps_are_whole_days_of_30_4375():
    rows = holdout_tracking(orders(), PoissonForever(1.0), calibration_end=CAL, holdout_end=HOLD, time_unit="M")
    # step k ends on the last day before Jan 1 + k · 30.4375 days: Jan 31 (day 30), then holdout_end
    assert [r["period_end"] for r in rows] == [dt.date(2024, 1, 31), HOLD]
    assert rows[0]["expected"] == pytest.approx((30 + 21) / 30.4375, rel=1e-12)


def test_tracking_refuses_bad_arguments():
    with pytest.raises(ConfigError, match="after calibration_end"):
        holdout_tracking(orders(), PoissonForever(1.0), calibration_end=CAL, holdout_end=CAL)
    with pytest.raises(ConfigError, match="start"):
        holdout_tracking(orders(), PoissonForever(1.0), calibration_end=CAL, holdout_end=HOLD, start="2024-03-01")
    with pytest.raises(ConfigError, match="customer_column"):
        holdout_tracking(orders(), PoissonForever(1.0), calibration_end=CAL, holdout_end=HOLD, customer_column="x")
    with pytest.raises(InsufficientDataError, match="no cohort"):
        holdout_tracking(orders(), PoissonForever(1.0), calibration_end="2023-12-31", holdout_end=HOLD)


# -- calibration_holdout + metrics end to end ------------------------------------------------------------------------
def test_calibration_holdout_then_metrics_with_a_fitted_stand_in():
    summary = calibration_holdout(orders(), calibration_end=CAL, holdout_end=HOLD, time_unit="D").sort_by("customer_id")
    assert summary.column("customer_id").to_pylist() == ["a", "b"]
    assert summary.column("frequency").to_pylist() == [2, 1]
    assert summary.column("frequency_holdout").to_pylist() == [1, 1]
    model = PoissonForever().fit(summary)
    assert model.lam_ == pytest.approx(3 / (30 + 21))  # Σx / ΣT in days
    m = error_metrics(model, summary, gamma_gamma=FixedSpend(20.0))
    pred = model.lam_ * 29  # duration_holdout = 29 days
    assert m["customers"] == 2 and m["duration"] == 29.0
    assert m["purchases"]["bias"] == pytest.approx(pred - 1) and m["purchases"]["mae"] == pytest.approx(abs(pred - 1))
    # actual holdout spend: a 30, b 30 (40 - 10)
    assert m["spend"]["actual_total"] == pytest.approx(60.0)
    assert m["spend"]["bias"] == pytest.approx(pred * 20 - 30)


# -- conditional_expectations and error_metrics on a hand-made summary -----------------------------------------------
def hand_summary() -> pa.Table:
    return pa.table({
        "customer_id": ["p", "q", "r", "s", "t"],
        "frequency": pa.array([0, 0, 1, 2, 9], pa.int64()),
        "recency": [0.0, 0.0, 3.0, 5.0, 20.0],
        "T": [10.0, 12.0, 8.0, 30.0, 25.0],
        "monetary": [0.0, 0.0, 5.0, 6.0, 7.0],
        "frequency_holdout": pa.array([0, 1, 1, 3, 5], pa.int64()),
        "monetary_holdout": [0.0, 10.0, 4.0, 6.0, 2.0],
        "duration_holdout": [4.0] * 5,
    })


def test_conditional_expectations_by_calibration_frequency():
    rows = conditional_expectations(PoissonForever(0.25), hand_summary(), max_frequency=2)
    assert [(r["frequency"], r["label"], r["customers"]) for r in rows] == [(0, "0", 2), (1, "1", 1), (2, "2+", 2)]
    assert [r["actual"] for r in rows] == [0.5, 1.0, 4.0]
    assert all(r["predicted"] == pytest.approx(0.25 * 4.0) for r in rows)  # λ · duration_holdout
    default = conditional_expectations(PoissonForever(0.25), hand_summary())
    assert [r["label"] for r in default] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert default[3]["customers"] == 0 and default[3]["actual"] is None and default[7]["actual"] == 5.0


def test_error_metrics_hand_case():
    summary = pd.DataFrame({"frequency": [0, 1, 3], "frequency_holdout": [0, 2, 1],
                            "monetary_holdout": [0.0, 15.0, 8.0], "duration_holdout": [2.0, 2.0, 2.0]})
    m = error_metrics(PoissonForever(0.5), summary, gamma_gamma=FixedSpend(10.0))
    # predicted purchases 1 each: errors +1, -1, 0
    assert m["purchases"]["mae"] == pytest.approx(2 / 3) and m["purchases"]["rmse"] == pytest.approx(math.sqrt(2 / 3))
    assert m["purchases"]["bias"] == pytest.approx(0.0) and m["purchases"]["actual_total"] == 3.0
    assert m["purchases"]["predicted_total"] == pytest.approx(3.0)
    # predicted spend 1 × 10; actual 0, 2 × 15, 1 × 8: errors +10, -20, +2
    assert m["spend"]["mae"] == pytest.approx(32 / 3) and m["spend"]["rmse"] == pytest.approx(math.sqrt(168))
    assert m["spend"]["bias"] == pytest.approx(-8 / 3)
    assert "spend" not in error_metrics(PoissonForever(0.5), summary)


def test_metrics_need_holdout_columns():
    summary = hand_summary().drop_columns(["frequency_holdout"])
    with pytest.raises(ConfigError, match="frequency_holdout.*calibration_holdout"):
        error_metrics(PoissonForever(1.0), summary)
    with pytest.raises(ConfigError, match="max_frequency"):
        conditional_expectations(PoissonForever(1.0), hand_summary(), max_frequency=0)


# -- CDNOW: the paper's 78 weekly steps ----------------------------------------------------------------------------
@pytest.fixture
def cdnow_csv(tmp_path):
    return write_cdnow_csv(tmp_path)


def test_cdnow_tracking_has_78_weeks_and_counts_every_repeat_purchase(cdnow_csv):
    cal, hold = dt.date(1997, 9, 30), dt.date(1998, 6, 30)
    rows = holdout_tracking(cdnow_csv, PoissonForever(0.05), calibration_end=cal, holdout_end=hold, time_unit="W",
                            customer_col="customer")
    assert len(rows) == 78 and rows[38]["period_end"] == cal and rows[-1]["period_end"] == hold
    days: dict[str, set] = {}
    for line in cdnow_csv.read_text().split("\n")[1:]:
        if line:
            cid, d, _ = line.split(",")
            days.setdefault(cid, set()).add(dt.date.fromisoformat(d))
    assert rows[38]["actual"] == sum(sum(1 for d in s if d <= cal) - 1 for s in days.values())  # calibration x
    assert rows[-1]["actual"] == sum(len(s) - 1 for s in days.values())
    expected = sum(0.05 * (hold - min(s)).days / 7 for s in days.values())
    assert rows[-1]["expected"] == pytest.approx(expected, rel=1e-12)
