"""Report section of the CLV models: predicted CLV and P(alive) distributions, holdout tracking."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from siyu._exceptions import InsufficientDataError
from siyu.report import Section, cached, figure_html, register_section

HOLDOUT_DAYS = 91  # 13 weeks of holdout before the snapshot


def clv_validation(ws: Any, as_of: dt.date, model: str = "bgnbd") -> dict[str, Any]:
    """Fit on orders up to ``as_of − 13 weeks`` and check the fit on the 13-week holdout that follows."""
    from siyu.clv.runs import make_model
    from siyu.clv.summary import UNIT_DAYS, rfm_summary
    from siyu.clv.validation import conditional_expectations, error_metrics, holdout_tracking
    from siyu.clv.value import check_sufficiency

    cal_end = as_of - dt.timedelta(days=HOLDOUT_DAYS)
    summary = rfm_summary(ws, calibration_end=cal_end, holdout_end=as_of, time_unit="W")
    m = ws.config.model
    check_sufficiency(summary, min_repeat_buyers=m.clv_min_repeat_buyers, min_history_days=m.clv_min_history_days,
                      unit_days=UNIT_DAYS["W"])
    est = make_model(model).fit(summary)
    return {"params": est.params_, "metrics": error_metrics(est, summary), "calibration_end": cal_end,
            "conditional": conditional_expectations(est, summary),
            "tracking": holdout_tracking(ws, est, calibration_end=cal_end, holdout_end=as_of, time_unit="W")}


@register_section("clv", 60)
def clv_section(ws: Any, summary: dict[str, Any]) -> Section | None:
    """Distributions of predicted CLV and P(alive) (table ``clv_predictions``) and the holdout tracking plot."""
    import plotly.graph_objects as go

    parts = []
    has_pred = ws.query("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'clv_predictions'"
                        ).to_pylist()[0]["n"]
    if has_pred:
        pred = ws.query("SELECT predicted_clv, p_alive FROM clv_predictions")
        clv_v = pred.column("predicted_clv").to_numpy()
        fig = go.Figure(go.Histogram(x=clv_v, nbinsx=60, marker_color="#ff5000"))
        fig.update_layout(title=f"预测 CLV 分布 Predicted CLV per customer ({len(clv_v):,} customers)",
                          xaxis_title="CLV (¥, margin-weighted, discounted)", yaxis_title="customers")
        fig2 = go.Figure(go.Histogram(x=pred.column("p_alive").to_numpy(), nbinsx=40, marker_color="#ff9000"))
        fig2.update_layout(title="存活概率分布 P(alive) per customer", xaxis_title="P(alive)", yaxis_title="customers")
        parts += [figure_html(fig, "chart-clv-distribution"), figure_html(fig2, "chart-clv-palive")]
    try:
        val = cached(summary, "clv_validation", lambda: clv_validation(ws, summary["as_of"]))
    except InsufficientDataError as exc:
        parts.append(f"<p>留出期检验 Holdout check: {html.escape(str(exc))}</p>")
        val = None
    if val:
        tr = val["tracking"]
        x = [r["period_end"] for r in tr]
        fig3 = go.Figure([go.Scatter(x=x, y=[r["actual"] for r in tr], name="实际 actual", line={"color": "#333"}),
                          go.Scatter(x=x, y=[r["expected"] for r in tr], name="模型 BG/NBD expected",
                                     line={"color": "#ff5000", "dash": "dash"})])
        fig3.add_vline(x=str(val["calibration_end"]), line_dash="dot")
        fig3.update_layout(title="累计复购追踪 Cumulative repeat purchases: actual vs BG/NBD (calibration | holdout)",
                           yaxis_title="repeat purchases")
        m = val["metrics"]["purchases"]
        params = ", ".join(f"{k} = {v:.3g}" for k, v in val["params"].items())
        note = (f"<p>BG/NBD fitted on orders up to {val['calibration_end']} ({params}); per-customer holdout "
                f"purchases to {summary['as_of']}: MAE {m['mae']:.3f}, RMSE {m['rmse']:.3f}, bias {m['bias']:+.3f}; "
                f"total actual {m['actual_total']:,.0f} vs predicted {m['predicted_total']:,.0f}.</p>")
        ce = val["conditional"]
        fig4 = go.Figure([go.Bar(name="实际 actual", x=[r["label"] for r in ce], y=[r["actual"] for r in ce],
                                 marker_color="#333"),
                          go.Bar(name="模型 BG/NBD predicted", x=[r["label"] for r in ce], y=[r["predicted"] for r in ce],
                                 marker_color="#ff5000")])
        fig4.update_layout(title="留出期人均购买 vs 校准期频次 Holdout purchases per customer by calibration frequency",
                           xaxis_title="calibration frequency", barmode="group")
        parts += [figure_html(fig3, "chart-clv-tracking"), figure_html(fig4, "chart-clv-conditional"), note]
    if not parts:
        return None
    return Section(id="clv", title_zh="客户终身价值 CLV", title_en="Customer lifetime value", html="".join(parts))
