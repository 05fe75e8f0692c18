"""CLV on a workspace: fit a model on the workspace's orders (or any transaction file), measure it on a holdout,
predict per-customer CLV and store the predictions (table ``clv_predictions``) for audiences and GAIN.

Models are a registry (:data:`MODELS`): ``bgnbd``, ``pnbd``, ``mbgnbd`` (continuous time), ``bgbb`` (discrete
time, per period) and ``gg`` (Gamma-Gamma spend).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from siyu._exceptions import ConfigError
from siyu.engine.duckdb import registered, run, transaction
from siyu.engine.sql import model_arrow

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["FILE_DECIMALS", "HOLDOUT_DAYS", "MODELS", "fit_model", "holdout_check", "make_model", "predict",
           "prediction_file_table", "prediction_summary", "snapshot_part", "stored_predictions"]


#: model name -> "module:estimator class", imported on first use (only the model asked for)
_REGISTRY = {"bgnbd": "siyu.clv.bgnbd:BetaGeo", "pnbd": "siyu.clv.pnbd:ParetoNBD",
             "mbgnbd": "siyu.clv.mbgnbd:ModifiedBetaGeo", "bgbb": "siyu.clv.bgbb:BetaGeoBetaBinom",
             "gg": "siyu.clv.gamma_gamma:GammaGamma"}
MODELS = tuple(_REGISTRY)


def make_model(name: str) -> Any:
    """A new, unfitted estimator of model ``name``."""
    import importlib

    if name not in _REGISTRY:
        raise ConfigError(f"unknown CLV model {name!r}; choose from {', '.join(MODELS)}")
    module, _, cls = _REGISTRY[name].partition(":")
    return getattr(importlib.import_module(module), cls)()


def _check_sufficient(summary: Any, m: Any, time_unit: str) -> None:
    """Refuse a fit on too little data: ``[model] clv_min_repeat_buyers`` and ``clv_min_history_days``."""
    from siyu.clv.value import UNIT_DAYS, check_sufficiency

    check_sufficiency(summary, min_repeat_buyers=m.clv_min_repeat_buyers, min_history_days=m.clv_min_history_days,
                      unit_days=UNIT_DAYS[time_unit])


def _source(ws: "Workspace | None", input_file: str | Path | None) -> Any:
    if input_file is not None:
        return Path(input_file)
    if ws is None:
        raise ConfigError("give a workspace or an --input file")
    return ws


def fit_model(ws: "Workspace | None", model: str, *, calibration_end: dt.date, holdout_end: dt.date | None = None,
              time_unit: str = "W", input_file: str | Path | None = None, customer_col: str = "user_id",
              time_col: str = "paid_at", amount_col: str = "amount") -> dict[str, Any]:
    """Fit ``model`` on the summary at ``calibration_end``; with ``holdout_end`` also report holdout metrics.

    Returns
    -------
    dict
        ``model, params, standard_errors, log_likelihood, n_customers, n_distinct, calibration_end, time_unit``
        and, with a holdout, ``holdout`` (``error_metrics`` and ``conditional_expectations``).
    """
    from siyu.clv.summary import discrete_summary, rfm_summary
    from siyu.clv.validation import conditional_expectations, error_metrics

    cols = {"customer_col": customer_col, "time_col": time_col, "amount_col": amount_col}
    src = _source(ws, input_file)
    est = make_model(model)
    if model == "bgbb":
        summary = discrete_summary(src, calibration_end=calibration_end, period=time_unit, **cols)
    else:
        summary = rfm_summary(src, calibration_end=calibration_end, holdout_end=holdout_end, time_unit=time_unit,
                              monetary=model == "gg", **cols)
    cfg = ws.config.model if ws is not None else None
    if model != "gg" and cfg is not None:
        _check_sufficient(summary, cfg, time_unit)
    est.fit(summary)
    out: dict[str, Any] = {"model": model, "params": est.params_, "standard_errors": est.standard_errors_,
                           "log_likelihood": est.log_likelihood_, "n_customers": est.n_customers_,
                           "n_distinct": est.n_distinct_, "calibration_end": calibration_end, "time_unit": time_unit}
    if holdout_end is not None and model not in ("gg", "bgbb"):
        out["holdout"] = {"holdout_end": holdout_end, "metrics": error_metrics(est, summary),
                          "conditional_expectations": conditional_expectations(est, summary)}
    return out


def predict(ws: "Workspace", *, horizon_days: float, model: str = "bgnbd", calibration_end: dt.date | None = None,
            time_unit: str = "W", out: str | Path | None = None, store: bool | None = None) -> dict[str, Any]:
    """Fit ``model`` and Gamma-Gamma on all orders up to ``calibration_end`` and predict every customer's CLV.

    The predictions replace the workspace table ``clv_predictions`` (unrounded; ``store`` defaults to whether
    the engine writes: the Spark engine only predicts) and, with ``out``, are written
    to a file (.csv, .parquet, .jsonl) as :func:`prediction_file_table` presents them (rounded, missing values
    empty, next-order dates within the horizon only).
    """
    import pyarrow as pa

    from siyu.clv.summary import rfm_summary
    from siyu.clv.value import clv
    from siyu.engine.io import format_of, write_table

    if model in ("gg", "bgbb"):
        raise ConfigError("predict needs a continuous-time purchase model: bgnbd, pnbd or mbgnbd")
    if out is not None:
        format_of(out)  # an unknown extension is refused before the fit
    t = calibration_end or ws.last_date()
    summary = rfm_summary(ws, calibration_end=t, time_unit=time_unit).sort_by("customer_id")  # stable output order
    m = ws.config.model
    _check_sufficient(summary, m, time_unit)
    purchase = make_model(model).fit(summary)
    gg = make_model("gg").fit(summary)
    with ws.session() as conn, registered(conn, _clv_ids=summary.select(["customer_id"])):
        historic = model_arrow(ws, conn, "clv_historic_spend", t=t)
    spend = dict(zip(historic.column("customer_id").to_pylist(), historic.column("spend").to_pylist()))
    hist = np.array([spend.get(c, 0.0) for c in summary.column("customer_id").to_pylist()])
    values = clv(summary, horizon_days, m.clv_margin, m.clv_discount_rate, model=purchase, gamma_gamma=gg,
                 time_unit=time_unit, historic=hist, calibration_end=t)
    table = pa.table({
        "customer_id": summary.column("customer_id"), "model": pa.array([model] * summary.num_rows),
        "calibration_end": pa.array([t] * summary.num_rows, pa.date32()),
        "horizon_days": pa.array([horizon_days] * summary.num_rows, pa.float64()),
        "frequency": summary.column("frequency"), "recency": summary.column("recency"), "T": summary.column("T"),
        **{k: pa.array(v) for k, v in values.items() if k != "expected_next_order"},
        "expected_next_order": pa.array(values["expected_next_order"]),
    })
    stored = bool(store or (store is None and "write" in ws.engine.capabilities))
    if stored:
        def write(conn: Any) -> None:
            with transaction(conn), registered(conn, _clv=table):
                run(conn, "CREATE OR REPLACE TABLE clv_predictions AS SELECT * FROM _clv")

        ws.write(write)
    if out is not None:
        write_table(prediction_file_table(table, calibration_end=t, horizon_days=horizon_days), Path(out))
    return {"calibration_end": t, "model": model, "params": purchase.params_, "gamma_gamma": gg.params_,
            "n_customers": summary.num_rows, "table": table, "stored": stored}


#: decimals of the float columns in the prediction file: money to the fen, probabilities and purchase counts to
#: 6 decimals, times in the fit's unit to 6, day counts to 1
FILE_DECIMALS = {"historic_clv": 2, "predicted_clv": 2, "total_clv": 2, "expected_spend": 2,
                 "p_alive": 6, "p_churn": 6, "expected_purchases": 6, "frequency": 6, "recency": 6, "T": 6,
                 "days_to_next_order": 1, "avg_days_between_orders": 1}


def prediction_file_table(table: Any, *, calibration_end: dt.date, horizon_days: float) -> Any:
    """The predictions as ``siyu clv predict --out`` writes them (the stored table is left as it is).

    Float columns are rounded (:data:`FILE_DECIMALS`); a missing or infinite value (no repeat purchase yet, no
    purchase expected) is null, written empty in CSV; ``expected_next_order`` and ``days_to_next_order`` are null
    when the next order falls after ``calibration_end + horizon_days``: the model expects no purchase within
    the horizon.
    """
    import pyarrow as pa

    last = np.datetime64(calibration_end, "D") + np.timedelta64(int(np.floor(horizon_days)), "D")
    nxt = np.asarray(table.column("expected_next_order").to_numpy(zero_copy_only=False), dtype="datetime64[D]")
    beyond = ~np.isnat(nxt) & (nxt > last)
    cols = {}
    for name in table.column_names:
        col = table.column(name)
        if name == "expected_next_order":
            col = pa.array(nxt, pa.date32(), mask=np.isnat(nxt) | beyond)
        elif pa.types.is_floating(col.type):
            v = np.asarray(col.to_numpy(zero_copy_only=False), dtype=float)
            if name in FILE_DECIMALS:
                v = np.round(v, FILE_DECIMALS[name]) + 0.0  # + 0.0: no "-0"
            missing = ~np.isfinite(v) | (beyond if name == "days_to_next_order" else False)
            col = pa.array(v, pa.float64(), mask=missing)
        cols[name] = col
    return pa.table(cols)


def prediction_summary(table: Any) -> dict[str, Any]:
    """Totals of a predictions table: ``customers``, ``predicted_clv_total``, ``predicted_clv_mean``,
    ``p_alive_mean`` (the figures the CLI, the demo and the console print)."""
    pc = table.column("predicted_clv").to_numpy()
    pa_ = table.column("p_alive").to_numpy()
    return {"customers": table.num_rows, "predicted_clv_total": float(pc.sum()),
            "predicted_clv_mean": float(pc.mean()) if len(pc) else None,
            "p_alive_mean": float(pa_.mean()) if len(pa_) else None}


def stored_predictions(ws: Workspace) -> Any:
    """The stored ``predicted_clv`` and ``p_alive`` of every customer, or None before ``siyu clv predict`` (and on
    an engine that stores nothing)."""
    if "write" not in ws.engine.capabilities or ws.model("clv_tables").num_rows == 0:
        return None
    return ws.model("clv_stored_predictions")


#: days of holdout before the snapshot in the report's model check (13 weeks)
HOLDOUT_DAYS = 91


def holdout_check(ws: Workspace, as_of: dt.date, model: str = "bgnbd") -> dict[str, Any]:
    """Fit on orders up to ``as_of − 13 weeks`` and check the fit on the 13-week holdout that follows.

    Returns
    -------
    dict
        ``params``, ``metrics`` (see :func:`siyu.clv.validation.error_metrics`), ``calibration_end``,
        ``conditional`` (holdout purchases by calibration frequency) and ``tracking`` (cumulative repeat
        purchases, actual vs expected, per week).
    """
    from siyu.clv.summary import rfm_summary
    from siyu.clv.validation import (
        conditional_expectations,
        error_metrics,
        holdout_tracking,
    )

    cal_end = as_of - dt.timedelta(days=HOLDOUT_DAYS)
    summary = rfm_summary(ws, calibration_end=cal_end, holdout_end=as_of, time_unit="W")
    _check_sufficient(summary, ws.config.model, "W")
    est = make_model(model).fit(summary)
    return {"params": est.params_, "metrics": error_metrics(est, summary), "calibration_end": cal_end,
            "conditional": conditional_expectations(est, summary),
            "tracking": holdout_tracking(ws, est, calibration_end=cal_end, holdout_end=as_of, time_unit="W")}


def snapshot_part(ws: Workspace, as_of: dt.date, snap: dict[str, Any]) -> dict[str, Any]:
    """Stored predictions and the holdout check at ``as_of`` for the pipeline snapshot.

    ``clv_validation`` is ``{"error": message}`` when the store has too little history for a fit.
    """
    from siyu._exceptions import InsufficientDataError

    try:
        check: dict[str, Any] = holdout_check(ws, as_of)
    except InsufficientDataError as exc:
        check = {"error": str(exc)}
    return {"clv_predictions": stored_predictions(ws), "clv_validation": check}
