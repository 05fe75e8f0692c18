"""Report section of the CLV models: predicted CLV and P(alive) distributions, holdout tracking."""

from __future__ import annotations

import html
from typing import Any

from siyu.report.page import Section, figure_html, register_section


@register_section("clv", 60)
def clv_section(snap: dict[str, Any]) -> Section | None:
    """Distributions of predicted CLV and P(alive) (table ``clv_predictions``) and the holdout tracking plot."""
    import plotly.graph_objects as go

    parts = []
    pred = snap.get("clv_predictions")
    if pred is not None:
        clv_v = pred.column("predicted_clv").to_numpy()
        fig = go.Figure(go.Histogram(x=clv_v, nbinsx=60, marker_color="#ff5000"))
        fig.update_layout(title=f"预测 CLV 分布 Predicted CLV per customer ({len(clv_v):,} customers)",
                          xaxis_title="CLV (¥, margin-weighted, discounted)", yaxis_title="customers")
        fig2 = go.Figure(go.Histogram(x=pred.column("p_alive").to_numpy(), nbinsx=40, marker_color="#ff9000"))
        fig2.update_layout(title="存活概率分布 P(alive) per customer", xaxis_title="P(alive)", yaxis_title="customers")
        parts += [figure_html(fig, "chart-clv-distribution"), figure_html(fig2, "chart-clv-palive")]
    val = snap.get("clv_validation")
    if val and "error" in val:
        parts.append(f"<p>留出期检验 Holdout check: {html.escape(val['error'])}</p>")
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
                f"purchases to {snap['as_of']}: MAE {m['mae']:.3f}, RMSE {m['rmse']:.3f}, bias {m['bias']:+.3f}; "
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
