"""RFM: recency, frequency (purchase days) and monetary value with 1–5 scores and the named RFM groups.

Scoring and the segment map are siyu's choices, written down in ``docs/customer-assets.md`` (the common
RFM segment map on R and F scores, as used by Shopify- and Klaviyo-style tools). SQL: ``sql/rfm.sql``,
``sql/rfm_group_summary.sql``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from siyu.engine.dates import default_as_of
from siyu.engine.sql import model_arrow, per_user, snapshot

if TYPE_CHECKING:
    import pyarrow as pa

    from siyu.workspace import Workspace

__all__ = ["RFM_GROUPS", "rfm", "rfm_summary"]

RFM_GROUPS = {
    "champions": ("重要价值客户", "Champions"), "loyal_customers": ("忠诚客户", "Loyal customers"),
    "potential_loyalists": ("潜在忠诚客户", "Potential loyalists"), "new_customers": ("新客户", "New customers"),
    "promising": ("有潜力客户", "Promising"), "need_attention": ("需关注客户", "Need attention"),
    "about_to_sleep": ("即将沉睡客户", "About to sleep"), "at_risk": ("流失风险客户", "At risk"),
    "cant_lose_them": ("不能流失的客户", "Can't lose them"), "hibernating": ("沉睡客户", "Hibernating"),
}


def rfm(ws: Workspace, as_of: dt.date | str | None = None) -> pa.Table:
    """Per-buyer RFM at ``as_of``: ``user_id, recency, frequency, monetary, r, f, m, group``."""
    return per_user(ws, "rfm", as_of)


def rfm_summary(ws: Workspace, as_of: dt.date | str | None = None) -> dict[str, Any]:
    """Buyers, spend and mean recency / frequency per RFM group."""
    from siyu.engine.duckdb import registered

    t = default_as_of(ws, as_of)
    with snapshot(ws, t) as conn, registered(conn, _rfm=model_arrow(ws, conn, "rfm", as_of=t)):
        rows = model_arrow(ws, conn, "rfm_group_summary").to_pylist()
    groups = {g: {"users": 0, "monetary": 0.0, "mean_recency": None, "mean_frequency": None} for g in RFM_GROUPS}
    for r in rows:
        groups[r.pop("group")] = r
    return {"as_of": t, "buyers": sum(g["users"] for g in groups.values()),
            "counts": {k: v["users"] for k, v in groups.items()}, "groups": groups}
