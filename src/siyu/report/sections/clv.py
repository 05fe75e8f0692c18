"""Report section of the CLV models: predicted CLV and P(alive) distributions, holdout tracking."""

from __future__ import annotations

import html
from typing import Any

from siyu.report import charts
from siyu.report.page import Section, figure_html, register_section


@register_section("clv", 60)
def clv_section(snap: dict[str, Any]) -> Section | None:
    """Distributions of predicted CLV and P(alive) (table ``clv_predictions``) and the holdout tracking plot."""
    parts = []
    pred = snap.get("clv_predictions")
    if pred is not None:
        parts += [figure_html(charts.clv_distribution(pred), "chart-clv-distribution"),
                  figure_html(charts.clv_palive(pred), "chart-clv-palive")]
    val = snap.get("clv_validation")
    if val and "error" in val:
        parts.append(f"<p>留出期检验 Holdout check: {html.escape(val['error'])}</p>")
        val = None
    if val:
        m = val["metrics"]["purchases"]
        params = ", ".join(f"{k} = {v:.3g}" for k, v in val["params"].items())
        note = (f"<p>BG/NBD fitted on orders up to {val['calibration_end']} ({params}); per-customer holdout "
                f"purchases to {snap['as_of']}: MAE {m['mae']:.3f}, RMSE {m['rmse']:.3f}, bias {m['bias']:+.3f}; "
                f"total actual {m['actual_total']:,.0f} vs predicted {m['predicted_total']:,.0f}.</p>")
        parts += [figure_html(charts.clv_tracking(val), "chart-clv-tracking"),
                  figure_html(charts.clv_conditional(val), "chart-clv-conditional"), note]
    if not parts:
        return None
    return Section(id="clv", title_zh="客户终身价值 CLV", title_en="Customer lifetime value", html="".join(parts))
