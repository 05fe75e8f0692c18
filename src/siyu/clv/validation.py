"""Holdout validation of purchase models, as in Fader, Hardie & Lee (2005) §4 ("Counting Your Customers the Easy
Way", *Marketing Science* 24(2)): calibrate on the purchases up to ``calibration_end``, predict the holdout period
``(calibration_end, holdout_end]`` and compare.

* :func:`calibration_holdout` — the summary with holdout columns (:func:`siyu.clv.summary.rfm_summary`);
* :func:`holdout_tracking` — cumulative repeat purchases of the cohort per time unit, actual vs expected (the
  paper's Figure 3 / the weekly-tracking plot of ``lifetimes``' ``expected_cumulative_transactions``);
* :func:`conditional_expectations` — mean holdout purchases by calibration frequency, actual vs predicted
  (the paper's Figure 4);
* :func:`error_metrics` — MAE, RMSE and bias of per-customer holdout purchases (and spend with Gamma-Gamma).

Models are used by duck typing (the interface of ``siyu.clv``'s purchase models):
``model.expected_purchases(t, summary)`` = conditional expected purchases in ``(T, T + t]`` per customer,
``model.expected_purchases_unconditional(t)`` = E[X(t)] of a customer of age ``t`` (vectorised over ``t``), and
``gamma_gamma.expected_spend(summary)``. Times are in the summary's unit.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

from siyu._exceptions import ConfigError, InsufficientDataError
from siyu.clv.summary import _run, rfm_summary, transactions, unit_days
from siyu.engine.dates import as_date
from siyu.engine.sql import load_model

__all__ = ["calibration_holdout", "conditional_expectations", "error_metrics", "holdout_tracking"]

_COLS = ("customer_col", "time_col", "amount_col", "refund_col", "tz")


def _check_cols(cols: dict) -> None:
    unknown = set(cols) - set(_COLS)
    if unknown:
        raise ConfigError(f"unknown argument(s) {', '.join(sorted(unknown))}; column arguments are {', '.join(_COLS)}")


def calibration_holdout(source: Any, *, calibration_end: Any, holdout_end: Any, time_unit: str = "W", **cols: Any):
    """The calibration summary with holdout columns: :func:`~siyu.clv.summary.rfm_summary` with ``holdout_end``.

    ``cols`` are the column arguments of ``rfm_summary`` (``customer_col``, ``time_col``, ``amount_col``,
    ``refund_col``, ``tz``).
    """
    _check_cols(cols)
    if holdout_end is None:
        raise ConfigError("calibration_holdout needs holdout_end")
    return rfm_summary(source, calibration_end=calibration_end, holdout_end=holdout_end, time_unit=time_unit, **cols)


def holdout_tracking(source: Any, model: Any, *, calibration_end: Any, holdout_end: Any, time_unit: str = "W",
                     start: Any = None, **cols: Any) -> list[dict]:
    """Cumulative repeat purchases of the calibration cohort per time unit, actual vs expected (FHL 2005, Fig. 3).

    The cohort is every customer whose first purchase day ``t0_i`` is ≤ ``calibration_end``. Time is cut into
    steps of one unit from ``start`` (default: the cohort's first purchase day): step ``k`` ends on the last day
    before ``start + k·unit`` (for weeks from 1997-01-01, week 1 = Jan 1–7), and the last step ends on
    ``holdout_end``. At the end ``P`` of each step:

    * ``actual`` = the cohort's repeat purchase days (purchase days after each customer's first) dated ≤ ``P``,
      over calibration and holdout alike;
    * ``expected`` = Σ_i E[X((P − t0_i) / unit)] over the customers with ``t0_i < P``, from
      ``model.expected_purchases_unconditional`` (a purchase day sits at its start, as in ``T``).

    ``incremental_*`` are the differences from the previous step (the first from the day before ``start``).
    ``model`` must already be fitted, on a summary of the same ``time_unit``; ``cols`` as in
    :func:`calibration_holdout`.

    Returns
    -------
    list of dict
        One per step: ``period`` (1, 2, …), ``period_end`` (date), ``actual``, ``expected``,
        ``incremental_actual``, ``incremental_expected``.
    """
    _check_cols(cols)
    cal, hold = as_date(calibration_end, name="calibration_end"), as_date(holdout_end, name="holdout_end")
    if hold <= cal:
        raise ConfigError(f"holdout_end {hold} must be after calibration_end {cal}")
    days = unit_days(time_unit)
    with transactions(source, **{k: v for k, v in cols.items() if v is not None}) as conn:
        # per day: the cohort's first purchases and repeat purchase days, up to holdout_end
        daily = _run(conn, load_model("clv_holdout_tracking").sql, {"calibration_end": cal, "holdout_end": hold},
                     source)
    if daily.num_rows == 0 or sum(daily.column("first_purchases").to_pylist()) == 0:
        raise InsufficientDataError(f"no customer has a purchase on or before calibration_end {cal}: "
                                    "there is no cohort to track")
    day = np.array([d.toordinal() for d in daily.column("day").to_pylist()], dtype=np.int64)
    firsts = daily.column("first_purchases").to_numpy().astype(np.int64)
    repeats = daily.column("repeat_purchases").to_numpy().astype(np.int64)
    origin = as_date(start, name="start") if start is not None else dt.date.fromordinal(int(day[firsts > 0][0]))
    if origin >= hold:
        raise ConfigError(f"start {origin} must be before holdout_end {hold}")

    ends = [origin.toordinal() - 1]  # the baseline: the day before start
    k = 1
    while (end := origin.toordinal() + math.ceil(k * days - 1e-9) - 1) < hold.toordinal():
        ends.append(end)
        k += 1
    ends.append(hold.toordinal())
    ends_arr = np.array(ends, dtype=np.int64)

    cum_repeats = np.concatenate([[0], np.cumsum(repeats)])
    actual = cum_repeats[np.searchsorted(day, ends_arr, side="right")]

    # E[X(age)] at every whole-day age 1..L once; expected(P) = Σ_d0<P n_first(d0) · E[X((P − d0) / unit)]
    cohort_days, cohort_n = day[firsts > 0], firsts[firsts > 0]
    max_lag = int(ends_arr.max() - cohort_days.min())
    ex = np.zeros(max(max_lag, 0) + 1)
    if max_lag > 0:
        lags = np.arange(1, max_lag + 1, dtype=float) / days
        ex[1:] = np.asarray(model.expected_purchases_unconditional(lags), dtype=float).reshape(-1)
    expected = np.array([float(np.dot(cohort_n[cohort_days < p], ex[p - cohort_days[cohort_days < p]]))
                         for p in ends_arr])

    return [{"period": i, "period_end": dt.date.fromordinal(int(ends_arr[i])), "actual": int(actual[i]),
             "expected": float(expected[i]), "incremental_actual": int(actual[i] - actual[i - 1]),
             "incremental_expected": float(expected[i] - expected[i - 1])}
            for i in range(1, len(ends_arr))]


def _column(summary: Any, name: str) -> np.ndarray:
    """Column ``name`` of a summary (pyarrow Table, pandas DataFrame or mapping of arrays) as numpy."""
    if hasattr(summary, "column_names"):  # pyarrow
        names = list(summary.column_names)
    else:
        names = list(summary.columns if hasattr(summary, "columns") else summary)
    if name not in names:
        hint = " (build it with calibration_holdout or rfm_summary(..., holdout_end=...))" if "holdout" in name else ""
        raise ConfigError(f"summary has no column {name!r}{hint}; its columns are: {', '.join(map(str, names))}")
    if hasattr(summary, "column_names"):
        return summary.column(name).to_numpy(zero_copy_only=False)
    return np.asarray(summary[name])


def _holdout(model: Any, summary: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """``(frequency, actual holdout purchases, predicted holdout purchases, duration)`` of a summary."""
    freq = _column(summary, "frequency").astype(np.int64)
    actual = _column(summary, "frequency_holdout").astype(float)
    duration = _column(summary, "duration_holdout").astype(float)
    if len(freq) == 0:
        raise InsufficientDataError("the summary has no customers")
    if not np.allclose(duration, duration[0]):
        raise ConfigError("duration_holdout differs between customers: use one summary from calibration_holdout")
    t = float(duration[0])
    predicted = np.asarray(model.expected_purchases(t, summary), dtype=float).reshape(-1)
    if predicted.shape != actual.shape:
        raise ConfigError(f"model.expected_purchases returned {predicted.shape[0]} values for {len(actual)} customers")
    return freq, actual, predicted, t


def conditional_expectations(model: Any, summary: Any, *, max_frequency: int = 7) -> list[dict]:
    """Mean holdout purchases by calibration frequency, actual vs predicted (FHL 2005, Figure 4).

    Customers are grouped by ``frequency`` = 0, 1, …, ``max_frequency`` − 1 and ``max_frequency``+ (pooled).
    ``predicted`` = ``model.expected_purchases(duration_holdout, summary)``.

    Returns
    -------
    list of dict
        ``frequency`` (group's lower bound), ``label`` ("0" … "7+"), ``customers``, ``actual`` and ``predicted``
        (means over the group; None for an empty group).
    """
    if isinstance(max_frequency, bool) or not isinstance(max_frequency, int) or max_frequency < 1:
        raise ConfigError(f"max_frequency {max_frequency!r} must be a whole number ≥ 1")
    freq, actual, predicted, _ = _holdout(model, summary)
    group = np.minimum(freq, max_frequency)
    out = []
    for g in range(max_frequency + 1):
        mask = group == g
        n = int(mask.sum())
        out.append({"frequency": g, "label": f"{g}+" if g == max_frequency else str(g), "customers": n,
                    "actual": _mean(actual[mask]) if n else None,
                    "predicted": _mean(predicted[mask]) if n else None})
    return out


def _mean(x: np.ndarray) -> float:
    """The mean through an exactly rounded sum (``math.fsum``): the same whatever order the customers come in
    (summaries have no row order), so the printed metrics are reproducible to the last digit."""
    return math.fsum(x) / len(x)


def _errors(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    err = predicted - actual
    return {"mae": _mean(np.abs(err)), "rmse": math.sqrt(_mean(err ** 2)), "bias": _mean(err),
            "actual_total": math.fsum(actual), "predicted_total": math.fsum(predicted)}


def error_metrics(model: Any, summary: Any, *, gamma_gamma: Any = None) -> dict:
    """Per-customer holdout errors: MAE, RMSE and bias (mean predicted − actual).

    ``purchases``: predicted = ``model.expected_purchases(duration_holdout, summary)`` vs ``frequency_holdout``.
    ``spend`` (with ``gamma_gamma``): predicted = expected purchases × ``gamma_gamma.expected_spend(summary)`` vs
    ``frequency_holdout × monetary_holdout`` (the holdout spend).

    Returns
    -------
    dict
        ``customers``, ``duration`` (holdout length in units), ``purchases`` and (with ``gamma_gamma``) ``spend``,
        each ``{mae, rmse, bias, actual_total, predicted_total}``.
    """
    _, actual, predicted, t = _holdout(model, summary)
    out: dict[str, Any] = {"customers": len(actual), "duration": t, "purchases": _errors(predicted, actual)}
    if gamma_gamma is not None:
        spend = np.asarray(gamma_gamma.expected_spend(summary), dtype=float).reshape(-1)
        actual_spend = actual * _column(summary, "monetary_holdout").astype(float)
        out["spend"] = _errors(predicted * spend, actual_spend)
    return out
