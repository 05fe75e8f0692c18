"""CLV in money with a closed-form stand-in purchase model: discounting, horizon, next-order date, gating."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from siyu._exceptions import ConfigError, InsufficientDataError
from siyu.clv.value import check_sufficiency, clv, parse_horizon


class Poisson:
    """A customer buys at rate lam per unit and never drops out: E[X(t) | history] = lam t, P(alive) = 1."""

    def __init__(self, lam):
        self.lam = lam

    def expected_purchases(self, t, summary):
        return np.full(len(summary["frequency"]), self.lam * t)

    def p_alive(self, summary):
        return np.ones(len(summary["frequency"]))


class Spend:
    def expected_spend(self, summary):
        return np.asarray(summary["monetary"], dtype=float)


SUMMARY = {"frequency": np.array([0, 2]), "recency": np.array([0.0, 10.0]), "T": np.array([5.0, 20.0]),
           "monetary": np.array([100.0, 50.0])}


def test_predicted_clv_is_the_discounted_sum_of_slices():
    out = clv(SUMMARY, 365.25, 0.5, 0.10, model=Poisson(0.5), gamma_gamma=Spend(), time_unit="W", steps=4,
              historic=np.array([80.0, 300.0]), calibration_end=dt.date(2024, 1, 1))
    h = 365.25 / 7
    slices = np.full(4, 0.5 * h / 4)                       # each quarter of the horizon holds λ·H/4 purchases
    disc = 1.10 ** -(np.arange(1, 5) / 4)                  # discounted to the end of each quarter (years)
    expected = 0.5 * np.array([100.0, 50.0]) * (slices * disc).sum()
    assert out["predicted_clv"] == pytest.approx(expected)
    assert out["expected_purchases"] == pytest.approx([0.5 * h, 0.5 * h])
    assert out["total_clv"] == pytest.approx(expected + [80.0, 300.0])
    assert out["p_churn"] == pytest.approx([0.0, 0.0])
    assert out["days_to_next_order"] == pytest.approx([14.0, 14.0])   # one purchase per 2 weeks
    assert list(out["expected_next_order"]) == [np.datetime64("2024-01-15")] * 2
    assert np.isnan(out["avg_days_between_orders"][0]) and out["avg_days_between_orders"][1] == pytest.approx(35.0)


def test_no_discount_and_zero_rate():
    out = clv(SUMMARY, 70, 1.0, 0.0, model=Poisson(0.0), gamma_gamma=Spend(), time_unit="D")
    assert (out["predicted_clv"] == 0).all() and np.isinf(out["days_to_next_order"]).all()


@pytest.mark.parametrize("text, days", [("365D", 365), ("52W", 364), ("12M", 365.25), ("1Y", 365.25), (90, 90)])
def test_parse_horizon(text, days):
    assert parse_horizon(text) == pytest.approx(days)


def test_parse_horizon_rejects_nonsense():
    with pytest.raises(ConfigError, match="horizon"):
        parse_horizon("a year")


def test_sufficiency_names_what_is_missing():
    with pytest.raises(InsufficientDataError, match="only 1 repeat buyers"):
        check_sufficiency(SUMMARY, min_repeat_buyers=5, min_history_days=1, unit_days=7)
    with pytest.raises(InsufficientDataError, match="140 days of order history"):
        check_sufficiency(SUMMARY, min_repeat_buyers=1, min_history_days=200, unit_days=7)
    check_sufficiency(SUMMARY, min_repeat_buyers=1, min_history_days=100, unit_days=7)
