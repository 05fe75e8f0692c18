"""Customer assets: AIPL, FAST, relationship pools, UCMV, RFM and GROW, as tested SQL models.

Every function takes a :class:`~siyu.workspace.Workspace` and a snapshot date and returns Arrow
tables (per user) or plain dicts (summaries).
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
    "aipl", "aipl_channel_flow", "customer_assets", "aipl_summary", "aipl_transitions", "fast", "fast_at", "grow", "lmdi", "pool_summary",
    "pool_transitions", "pools", "rfm", "rfm_summary", "snapshot_part", "ucmv", "ucmv_summary",
]


def customer_assets(ws, as_of=None):
    """AIPL, pools, UCMV and RFM per user at one snapshot, from one materialisation of the features.

    Returns
    -------
    dict
        ``{"as_of": date, "aipl": Table, "pools": Table, "ucmv": Table, "rfm": Table}``.
    """
    from siyu.engine.dates import default_as_of
    from siyu.engine.sql import model_arrow, snapshot

    t = default_as_of(ws, as_of)
    with snapshot(ws, t) as conn:
        return {"as_of": t, "aipl": model_arrow(ws, conn, "aipl"), "pools": model_arrow(ws, conn, "pools", as_of=t),
                "ucmv": model_arrow(ws, conn, "ucmv"), "rfm": model_arrow(ws, conn, "rfm", as_of=t)}


__all__ = sorted([*__all__, "customer_assets"])


#: days between the two dates of the AIPL flow and the pool flows of the snapshot
FLOW_DAYS = 30
POOL_FLOW_DAYS = 28


def snapshot_part(ws, as_of, snap):
    """AIPL (mix and the flow over the last 30 days), FAST, pools (with the customer-pool flows of the last four
    weekly evaluations) and GROW at ``as_of``, for the pipeline snapshot."""
    import datetime as dt

    t = as_of
    flows: dict[tuple[str, str], int] = {}
    ev = pool_transitions(ws, t - dt.timedelta(days=POOL_FLOW_DAYS), t, step_days=7, store=False)
    for r in ev.select(["pool_type", "from_pool", "to_pool"]).to_pylist():
        if r["pool_type"] == "customer":
            key = (r["from_pool"] or "∅", r["to_pool"] or "∅")
            flows[key] = flows.get(key, 0) + 1
    return {"aipl": aipl_summary(ws, t), "aipl_flow": aipl_transitions(ws, t - dt.timedelta(days=FLOW_DAYS), t),
            "fast": fast(ws, t), "pools": pool_summary(ws, t),
            "pool_flows": [{"from_pool": a, "to_pool": b, "users": n} for (a, b), n in flows.items()],
            "grow": grow(ws, t, t - dt.timedelta(days=ws.config.model.grow_days))}
