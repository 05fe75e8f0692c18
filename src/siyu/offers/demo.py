"""The demo's offers: member prices for the demo program's tiers, three coupons and 关注立减, written to
``<workspace>/offers.toml`` (a file the merchant can edit and load again with ``siyu offers load``), and one quote
for a 金卡 member that shows every rule at work."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["demo_offers", "run_demo_offers"]


def demo_offers(last: dt.date) -> str:
    """The demo's offers file, its coupons valid from 30 days before ``last`` to 30 days after."""
    lo, hi = last - dt.timedelta(days=30), last + dt.timedelta(days=30)
    return f"""\
# 会员价、优惠券与关注立减 (docs/offers.md). Load again with: siyu offers load offers.toml
floor_ratio = 0.3

[[price_lists]]
tier = "金卡"
sku = "sku0001"
price = 319.00

[[price_lists]]
tier = "黑金卡"
sku = "sku0001"
price = 299.00

[[coupons]]
id = "new-customer-20"          # 新人礼券: first purchase only
first_purchase = true
threshold = 99
amount_off = 20
stackable = true
valid_from = "{lo} 00:00"
valid_to = "{hi} 00:00"

[[coupons]]
id = "skincare-300-30"          # 满300减30 on skincare
categories = ["护肤"]
threshold = 300
amount_off = 30
valid_from = "{lo} 00:00"
valid_to = "{hi} 00:00"

[[coupons]]
id = "repeat-member-88"         # 88折 for the saved audience 复购会员, once per user
audience = "复购会员"
discount = 0.88
per_user_limit = 1
valid_from = "{lo} 00:00"
valid_to = "{hi} 00:00"

[follow_discount]
amount = 5
"""


def run_demo_offers(ws: Workspace, last: dt.date) -> dict[str, Any]:
    """Write and load the demo offers, and quote sku0001 × 2 at ``last`` 20:00 for a 金卡 member (a fan when one
    is)."""
    from siyu.offers import load, quote

    path = ws.path / "offers.toml"
    path.write_text(demo_offers(last), encoding="utf-8")
    load(ws, path)
    tiers = ws.model("loyalty_tier_at", as_of=last)
    gold = sorted(u for u, t in zip(tiers.column("user_id").to_pylist(), tiers.column("tier").to_pylist(), strict=True)
                  if t == "金卡")
    fans = set(ws.query("SELECT user_id FROM follows WHERE followed_at::DATE <= ? AND (unfollowed_at IS NULL OR "
                        "unfollowed_at::DATE > ?)", [last, last]).column("user_id").to_pylist())
    gold = [u for u in gold if u in fans] or gold  # a fan shows 关注立减 too
    if not gold:
        return {"file": str(path), "quote": None}
    at = f"{last} 20:00"
    return {"file": str(path), "user": gold[0], "sku": "sku0001", "qty": 2, "at": at,
            "quote": quote(ws, gold[0], "sku0001", qty=2, at=at)}
