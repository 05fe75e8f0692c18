"""The charts of siyu: one place draws each chart, for the report and for the console.

Every function takes the part of a snapshot (:func:`siyu.pipeline.compute_snapshot`) it needs and returns a
plotly :class:`~plotly.graph_objects.Figure` with its title, labels, colours, size and margins set, so the report
(:mod:`siyu.report.sections`) and the web console draw the same figure. Titles and labels are in Chinese and
English. :data:`CHARTS` names each chart by the ``id`` of its ``<div>`` in the report and the snapshot key it reads.

Conventions a merchant reads at a glance:

* counts and money are printed in full with thousands separators (``69,675``, ``¥1,234``), never with SI
  prefixes (plotly's default ``69.675k``): every count or money axis has ``tickformat=","``;
* a stage, pool or channel group has one colour wherever it is drawn (:data:`STAGE_COLORS`,
  :data:`POOL_COLORS`, :data:`CHANNEL_GROUP_COLORS`);
* the labels of a flow (Sankey) sit outside its nodes, left of the left column and right of the right column,
  never on the flows.

Like the rest of :mod:`siyu.report`, this package computes nothing from the store: it only draws.
The charts are grouped by capability (``store``, ``health``, ``assets``, ``clv``, ``reach``, ``loyalty``) over a
shared ``_base``; every chart is importable from here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from siyu.contract.schema import CHANNEL_GROUP_LABELS, CHANNEL_LABELS
from siyu.report.charts._base import (
    CHANNEL_GROUP_COLORS,
    COUNT_AXIS,
    HANDBOOK_MULTIPLES,
    INDICATOR_COLORS,
    MONEY_AXIS,
    POOL_COLORS,
    STAGE_COLORS,
    channel_label,
    count,
    money,
)
from siyu.report.charts.assets import (
    aipl_flow,
    aipl_funnel,
    audience_mix,
    fast,
    grow_new_old,
    grow_waterfall,
    pool_flow,
    pools,
)
from siyu.report.charts.clv import (
    clv_conditional,
    clv_distribution,
    clv_palive,
    clv_tracking,
)
from siyu.report.charts.health import (
    gain_indicators,
    gain_radar,
    gain_trend,
    link_funnel,
    link_multiples,
)
from siyu.report.charts.loyalty import (
    CHANGE_REASONS,
    loyalty_changes,
    loyalty_tiers,
    tier_label,
)
from siyu.report.charts.reach import (
    REACH_STEPS,
    SUPPRESSION_STEPS,
    reach_funnel,
    reach_step_label,
)
from siyu.report.charts.store import (
    channel_groups,
    channels,
    daily_gmv,
    monthly_gmv,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = [
    "CHANGE_REASONS", "CHANNEL_GROUP_COLORS", "CHANNEL_GROUP_LABELS", "CHANNEL_LABELS", "CHARTS", "COUNT_AXIS",
    "HANDBOOK_MULTIPLES", "INDICATOR_COLORS", "MONEY_AXIS", "POOL_COLORS", "REACH_STEPS", "STAGE_COLORS", "SUPPRESSION_STEPS",
    "aipl_flow", "aipl_funnel", "audience_mix",
    "channel_groups", "channel_label", "channels", "clv_conditional", "clv_distribution", "clv_palive", "clv_tracking", "count",
    "daily_gmv", "fast", "gain_indicators", "gain_radar", "gain_trend", "grow_new_old", "grow_waterfall",
    "link_funnel", "link_multiples", "loyalty_changes", "loyalty_tiers", "money", "monthly_gmv", "pool_flow", "pools",
    "reach_funnel", "reach_step_label", "tier_label",
]

#: report ``<div>`` id -> (snapshot key, chart function): what the report and the console draw
CHARTS: dict[str, tuple[str, Callable[[Any], go.Figure]]] = {
    "chart-daily-gmv": ("summary", daily_gmv),
    "chart-monthly-gmv": ("summary", monthly_gmv),
    "chart-gain-radar": ("gain", gain_radar),
    "chart-gain-indicators": ("gain", gain_indicators),
    "chart-gain-trend": ("gain", gain_trend),
    "chart-aipl-funnel": ("aipl", aipl_funnel),
    "chart-aipl-flow": ("aipl_flow", aipl_flow),
    "chart-fast": ("fast", fast),
    "chart-link-funnel": ("link", link_funnel),
    "chart-link-multiples": ("link", link_multiples),
    "chart-pools": ("pools", pools),
    "chart-pool-flow": ("pool_flows", pool_flow),
    "chart-audience-mix": ("audiences", audience_mix),
    "chart-grow": ("grow", grow_waterfall),
    "chart-grow-new-old": ("grow", grow_new_old),
    "chart-clv-distribution": ("clv_predictions", clv_distribution),
    "chart-clv-palive": ("clv_predictions", clv_palive),
    "chart-clv-tracking": ("clv_validation", clv_tracking),
    "chart-clv-conditional": ("clv_validation", clv_conditional),
    "chart-channel-groups": ("summary", channel_groups),
    "chart-channels": ("summary", channels),
    "chart-reach-funnel": ("reach", reach_funnel),
    "chart-loyalty-tiers": ("loyalty", loyalty_tiers),
    "chart-loyalty-changes": ("loyalty", loyalty_changes),
}
