"""CLV in money: a purchase model and Gamma-Gamma combined into Klaviyo-style per-customer values.

Predicted CLV over a horizon H (Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves"): the expected
purchases of each customer in ``(T, T + H]`` split into ``steps`` equal slices, each slice's expected purchases
× the customer's expected spend per purchase (Gamma-Gamma) × ``margin``, discounted at the annual
``discount_rate`` to the end of its slice: ``Σ_k ΔE_k · spend · margin / (1 + r)^(t_k / 365.25 days)``.

Per customer (Klaviyo's predictive-analytics fields): historic CLV (net spend to date), predicted CLV, total CLV,
P(churn) = 1 − P(alive), expected number of purchases in the horizon, expected spend per purchase, the expected
date of the next order (calibration end + one purchase at the customer's expected rate *if alive*, i.e.
``unit / (E[X(1 unit)] / P(alive))``), and the average days between orders (``recency / frequency``).

Data sufficiency: fitting is refused, with a message saying what is missing, when there are fewer repeat buyers
than ``[model].clv_min_repeat_buyers`` or less history than ``[model].clv_min_history_days``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np

from siyu._exceptions import ConfigError, InsufficientDataError
from siyu.clv.summary import UNIT_DAYS

__all__ = ["UNIT_DAYS", "check_sufficiency", "clv", "parse_horizon"]



def parse_horizon(text: str | int | float) -> float:
    """A horizon like ``365D``, ``52W``, ``12M`` or ``1Y`` (a bare number is days), in days."""
    if isinstance(text, (int, float)):
        return float(text)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([DWMY]?)\s*", str(text).upper())
    if not m:
        raise ConfigError(f"horizon {text!r}: write a number of days or e.g. 365D, 52W, 12M, 1Y")
    return float(m.group(1)) * UNIT_DAYS[m.group(2) or "D"]


def _col(summary: Any, name: str) -> np.ndarray:
    if hasattr(summary, "column") and hasattr(summary, "schema"):  # pyarrow
        return summary.column(name).to_numpy(zero_copy_only=False)
    return np.asarray(summary[name])


def check_sufficiency(summary: Any, *, min_repeat_buyers: int, min_history_days: float, unit_days: float) -> None:
    """Refuse data too thin for a BTYD model, saying what is missing."""
    freq = _col(summary, "frequency")
    T = _col(summary, "T")
    if len(freq) == 0:
        raise InsufficientDataError("no customers with a purchase before the calibration end")
    repeat = int((freq > 0).sum())
    if repeat < min_repeat_buyers:
        raise InsufficientDataError(
            f"only {repeat} repeat buyers (customers with a purchase after their first) before the calibration end; "
            f"CLV models need at least {min_repeat_buyers} ([model].clv_min_repeat_buyers): use a later calibration "
            "end or more history")
    history = float(T.max()) * unit_days
    if history < min_history_days:
        raise InsufficientDataError(
            f"only {history:.0f} days of order history before the calibration end; CLV models need at least "
            f"{min_history_days:.0f} ([model].clv_min_history_days)")


def clv(summary: Any, horizon_days: float, margin: float, discount_rate: float, *, model: Any, gamma_gamma: Any,
        time_unit: str = "D", historic: np.ndarray | None = None, calibration_end: dt.date | None = None,
        steps: int = 12) -> dict[str, np.ndarray]:
    """Per-customer CLV (see the module docstring) from a fitted purchase model and a fitted Gamma-Gamma.

    Parameters
    ----------
    summary
        The customers' ``frequency, recency, T`` (and ``monetary``) in ``time_unit``, as given to the models.
    horizon_days : float
        Prediction horizon in days.
    margin : float
        Gross margin applied to spend.
    discount_rate : float
        Annual discount rate.
    historic : numpy.ndarray, optional
        Net spend to date per customer (historic CLV).
    calibration_end : datetime.date, optional
        Needed for the expected date of the next order.

    Returns
    -------
    dict of numpy.ndarray
        ``p_alive, p_churn, expected_purchases, expected_spend, historic_clv, predicted_clv, total_clv,
        expected_next_order, avg_days_between_orders``.
    """
    unit = UNIT_DAYS[time_unit]
    h = horizon_days / unit
    grid = np.linspace(0.0, h, steps + 1)[1:]
    cum = np.stack([np.asarray(model.expected_purchases(t, summary), dtype=float) for t in grid])
    inc = np.diff(np.vstack([np.zeros(cum.shape[1]), cum]), axis=0)
    disc = (1.0 + discount_rate) ** (-(grid * unit) / 365.25)
    spend = np.asarray(gamma_gamma.expected_spend(summary), dtype=float)
    predicted = margin * spend * (inc * disc[:, None]).sum(axis=0)
    p_alive = np.clip(np.asarray(model.p_alive(summary), dtype=float), 0.0, 1.0)
    rate_alive = np.asarray(model.expected_purchases(1.0, summary), dtype=float) / np.maximum(p_alive, 1e-12)
    days_to_next = np.where(rate_alive > 0, unit / np.maximum(rate_alive, 1e-12), np.inf)
    freq, rec = _col(summary, "frequency").astype(float), _col(summary, "recency").astype(float)
    avg_gap = np.where(freq > 0, rec * unit / np.maximum(freq, 1), np.nan)
    hist = np.asarray(historic, dtype=float) if historic is not None else np.full(len(freq), np.nan)
    out = {"p_alive": p_alive, "p_churn": 1.0 - p_alive, "expected_purchases": cum[-1], "expected_spend": spend,
           "historic_clv": hist, "predicted_clv": predicted, "total_clv": np.nan_to_num(hist) + predicted,
           "days_to_next_order": days_to_next, "avg_days_between_orders": avg_gap}
    if calibration_end is not None:
        base = np.datetime64(calibration_end, "D")
        finite = np.isfinite(days_to_next) & (days_to_next < 36500)
        nxt = np.full(len(freq), np.datetime64("NaT"), dtype="datetime64[D]")
        nxt[finite] = base + np.round(days_to_next[finite]).astype("timedelta64[D]")
        out["expected_next_order"] = nxt
    return out
