"""Customer assets: AIPL, FAST, relationship pools, UCMV, RFM and GROW, as tested SQL models.

Every function takes a :class:`~siyu.workspace.Workspace` and a snapshot date and returns Arrow
tables (per user) or plain dicts (summaries); the same functions are methods of the workspace.
Exact rules: ``docs/customer-assets.md``.
"""

from siyu.assets.aipl import (
    STAGE_LABELS,
    STAGES,
    aipl,
    aipl_channel_flow,
    aipl_summary,
    aipl_transitions,
)
from siyu.assets.fast import FAST_LABELS, fast, fast_at
from siyu.assets.grow import GROW_LABELS, grow, lmdi
from siyu.assets.pools import (
    POOL_LABELS,
    POOL_TYPES,
    pool_summary,
    pool_transitions,
    pools,
)
from siyu.assets.rfm import RFM_GROUPS, rfm, rfm_summary
from siyu.assets.ucmv import UCMV_LABELS, UCMV_STAGES, ucmv, ucmv_summary

__all__ = [
    "FAST_LABELS", "GROW_LABELS", "POOL_LABELS", "POOL_TYPES", "RFM_GROUPS", "STAGES", "STAGE_LABELS", "UCMV_LABELS", "UCMV_STAGES",
    "aipl", "aipl_channel_flow", "aipl_summary", "aipl_transitions", "fast", "fast_at", "grow", "lmdi", "pool_summary",
    "pool_transitions", "pools", "rfm", "rfm_summary", "ucmv", "ucmv_summary",
]


def customer_assets(ws, as_of=None):
    """AIPL, pools, UCMV and RFM per user at one snapshot, from one materialisation of the features.

    Returns
    -------
    dict
        ``{"as_of": date, "aipl": Table, "pools": Table, "ucmv": Table, "rfm": Table}``.
    """
    from siyu.assets._run import default_as_of, model_arrow, snapshot

    t = default_as_of(ws, as_of)
    with snapshot(ws, t) as conn:
        return {"as_of": t, "aipl": model_arrow(ws, conn, "aipl"), "pools": model_arrow(ws, conn, "pools", as_of=t),
                "ucmv": model_arrow(ws, conn, "ucmv"), "rfm": model_arrow(ws, conn, "rfm", as_of=t)}


__all__ = sorted([*__all__, "customer_assets"])
