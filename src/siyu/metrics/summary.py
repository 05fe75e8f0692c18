"""The store summary: headline KPIs, monthly and daily GMV, channel mix.

Definitions (``docs/data.md``): a purchase is an order not fully refunded, amounts are net of refunds,
客单价 = GMV ÷ buyers, 笔单价 = GMV ÷ orders, members and fans are counted when active at T; the SQL
lives in ``siyu/metrics/sql/store_summary.sql`` and its siblings.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from siyu.engine.dates import default_as_of
from siyu.metrics.ratio import ratio

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["KPI_LABELS", "ratio", "snapshot_part", "store_summary"]

#: KPI id -> (Chinese label, English label)
KPI_LABELS: dict[str, tuple[str, str]] = {
    "gmv": ("成交额", "GMV"),
    "orders": ("订单数", "Orders"),
    "buyers": ("购买人数", "Buyers"),
    "kedanjia": ("客单价", "Spend per buyer"),
    "bidanjia": ("笔单价", "Spend per order"),
    "repeat_buyer_share": ("复购人数占比", "Repeat-buyer share"),
    "members": ("会员数", "Members"),
    "fans": ("粉丝数", "Fans"),
    "member_buyers": ("购买会员数", "Member buyers"),
    "member_gmv": ("会员成交额", "Member GMV"),
    "member_kedanjia": ("会员客单价", "Member spend per buyer"),
    "member_kedanjia_ratio": ("会员客单价 ÷ 大盘", "Member ÷ overall spend per buyer"),
    "refund_rate": ("退款率", "Refund rate"),
    "vip88_buyer_share": ("88VIP 购买者占比", "88VIP share of buyers"),
}


def store_summary(ws: Workspace, as_of: dt.date | str | None = None, days: int = 365) -> dict[str, Any]:
    """Headline KPIs over ``W(days)`` ending ``as_of`` (default: the last pay date), with series.

    Returns
    -------
    dict
        ``as_of``, ``window_days``, ``kpis`` (id -> value), ``monthly``, ``daily``, ``channels``, ``tables``.
    """
    as_of = default_as_of(ws, as_of)
    params = {"as_of": as_of, "days": days}
    kpis = ws.model("store_summary", **params).to_pylist()[0]
    return {
        "as_of": as_of,
        "window_days": days,
        "kpis": {k: kpis[k] for k in KPI_LABELS},
        "monthly": ws.model("monthly_gmv", **params).to_pylist(),
        "daily": ws.model("daily_gmv", **params).to_pylist(),
        "channels": ws.model("channel_mix", **params).to_pylist(),
        "tables": ws.tables(),
    }


def snapshot_part(ws: Workspace, as_of: dt.date, snap: dict[str, Any]) -> dict[str, Any]:
    """The store summary at ``as_of`` for the pipeline snapshot (key ``summary``)."""
    return {"summary": store_summary(ws, as_of)}
