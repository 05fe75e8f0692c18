"""CLI commands of the CLV models: ``siyu clv fit`` and ``siyu clv predict`` (thin: parse, call, print)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from siyu.cli._common import Fmt, FormatOpt, console, emit, workspace

clv_app = typer.Typer(help="Customer lifetime value: BG/NBD, Pareto/NBD, MBG/NBD, BG/BB, Gamma-Gamma.",
                      no_args_is_help=True)


#: holdout metric keys (``siyu.clv.validation.error_metrics``) -> bilingual label, for the table
HOLDOUT_LABELS = {
    "customers": "客户数 Customers", "duration": "留出期长度 Holdout length (time units)",
    "purchases": "购买次数 Purchases", "spend": "消费金额 Spend", "mae": "平均绝对误差 MAE",
    "rmse": "均方根误差 RMSE", "bias": "偏差 Bias (predicted − actual)", "actual_total": "实际合计 Actual total",
    "predicted_total": "预测合计 Predicted total",
}


class ModelName(str, Enum):
    bgnbd = "bgnbd"
    pnbd = "pnbd"
    mbgnbd = "mbgnbd"
    bgbb = "bgbb"
    gg = "gg"


class Unit(str, Enum):
    D = "D"
    W = "W"
    M = "M"
    Y = "Y"


def _ws_or_none(ctx: typer.Context, input_file: Optional[Path]):
    root = ctx.find_root().obj
    if input_file is not None and root is None:
        import os

        if not os.environ.get("SIYU_WORKSPACE"):
            return None
    return workspace(ctx)


@clv_app.command("fit")
def fit(ctx: typer.Context,
        model: Annotated[ModelName, typer.Option(help="Model to fit.")] = ModelName.bgnbd,
        calibration_end: Annotated[str, typer.Option(help="Last day of the calibration period YYYY-MM-DD.")] = ...,
        holdout_end: Annotated[Optional[str], typer.Option(help="Last day of the holdout period (adds metrics).")] = None,
        time_unit: Annotated[Unit, typer.Option(help="Time unit (D, W, M; BG/BB: the period).")] = Unit.W,
        input_file: Annotated[Optional[Path], typer.Option("--input", help="Transactions file instead of the workspace's orders.")] = None,
        customer_col: Annotated[str, typer.Option(help="Customer column of --input.")] = "user_id",
        time_col: Annotated[str, typer.Option(help="Time column of --input.")] = "paid_at",
        amount_col: Annotated[str, typer.Option(help="Amount column of --input.")] = "amount",
        fmt: FormatOpt = Fmt.json) -> None:
    """Fit a CLV model by exact maximum likelihood; print params, log-likelihood, customers and holdout metrics."""
    from siyu.clv.runs import fit_model
    from siyu.engine.dates import as_date

    ws = _ws_or_none(ctx, input_file)
    res = fit_model(ws, model.value, calibration_end=as_date(calibration_end, name="calibration-end"),
                    holdout_end=as_date(holdout_end, name="holdout-end"), time_unit=time_unit.value,
                    input_file=input_file, customer_col=customer_col, time_col=time_col, amount_col=amount_col)
    if fmt is Fmt.json:
        return emit(res, fmt)
    from siyu.cli._render import plural

    rows = [{"param": k, "estimate": v, "std_error": res["standard_errors"].get(k)} for k, v in res["params"].items()]
    emit(rows, fmt, title=f"{model.value}: LL {res['log_likelihood']:.1f}, {plural(res['n_customers'], 'customer')} "
                          f"({res['n_distinct']:,} distinct)")
    if "holdout" in res and fmt is Fmt.table:
        metrics = [{"metric": " · ".join(HOLDOUT_LABELS.get(x, x) for x in (group, k) if x), "value": v}
                   for group, values in _groups(res["holdout"]["metrics"]) for k, v in values.items()]
        emit(metrics, fmt, title=f"留出期检验 holdout check to {res['holdout'].get('holdout_end', '')}",
             kinds={"value": "num"})


@clv_app.command("predict")
def predict(ctx: typer.Context,
            horizon: Annotated[str, typer.Option(help="Prediction horizon: 365D, 52W, 12M, 1Y.")] = "365D",
            model: Annotated[ModelName, typer.Option(help="Purchase model (bgnbd, pnbd, mbgnbd).")] = ModelName.bgnbd,
            calibration_end: Annotated[Optional[str], typer.Option(help="Fit on orders up to this day. \\[default: last pay date]")] = None,
            time_unit: Annotated[Unit, typer.Option(help="Time unit of the fit.")] = Unit.W,
            out: Annotated[Optional[Path], typer.Option(help="Write the per-customer predictions (.csv, .parquet, .jsonl).")] = None,
            fmt: FormatOpt = Fmt.table) -> None:
    """Predict every customer's CLV (P(alive), expected purchases and spend, CLV) and store it in the workspace."""
    from siyu.clv.runs import predict as run_predict
    from siyu.clv.runs import prediction_summary
    from siyu.clv.value import parse_horizon
    from siyu.engine.dates import as_date

    res = run_predict(workspace(ctx), horizon_days=parse_horizon(horizon), model=model.value,
                      calibration_end=as_date(calibration_end, name="calibration-end"), time_unit=time_unit.value,
                      out=out)
    table = res.pop("table")
    res["summary"] = prediction_summary(table)
    if fmt is Fmt.json:
        return emit(res, fmt)
    emit([{"param": k, "value": v} for k, v in {**res["params"], **res["gamma_gamma"]}.items()], fmt,
          title=f"{model.value} + Gamma-Gamma fitted on orders up to {res['calibration_end']}")
    sm = res["summary"]
    from rich.markup import escape

    from siyu.cli._render import plural

    console.print(escape(f"{plural(sm['customers'], 'customer')}: predicted CLV total "
                         f"¥{sm['predicted_clv_total']:,.2f}, mean ¥{sm['predicted_clv_mean']:,.2f}; mean P(alive) "
                         f"{sm['p_alive_mean']:.2f}"
                         f"{'; stored in table clv_predictions' if res['stored'] else ''}"
                         + (f"; written to {out}" if out else "")), highlight=False)


def _groups(metrics: dict) -> list[tuple[str, dict]]:
    """Holdout metrics as (group, {name: value}): top-level numbers under group "", nested dicts by their key."""
    top = {k: v for k, v in metrics.items() if not isinstance(v, dict)}
    return [("", top)] + [(k, v) for k, v in metrics.items() if isinstance(v, dict)]


def register(app: typer.Typer) -> None:
    """Add the ``clv`` command group to the root app."""
    app.add_typer(clv_app, name="clv")
