"""Hand-made stores for the loyalty tests: memberships and orders as given, in a real workspace file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import write_csv

from siyu.workspace import Workspace

#: the issue's growth-type program: 银卡 at ¥500 (95折), 金卡 at ¥2,000 kept at ¥1,500 (9折), monthly reviews
GROWTH = {"program": {"name": "成长型会员", "basis": "spend", "window_days": 365, "review": "monthly"},
          "tiers": [{"name": "银卡", "threshold": 500, "discount": 0.95, "benefits": ["free_trial"]},
                    {"name": "金卡", "threshold": 2000, "keep": 1500, "discount": 0.90, "benefits": ["advisor"],
                     "multiplier": 1.5}]}




def make_store(root: Path, orders: list[tuple], memberships: list[tuple], *, name: str = "ws") -> Workspace:
    """A workspace with ``orders`` (order_id, user_id, paid_at, amount, refund_amount) and ``memberships``
    (user_id, joined_at, left_at or None); timestamps as text or datetimes."""
    ws = Workspace.init(root / name)
    load(ws, root, orders, memberships)
    return ws


def load(ws: Workspace, root: Path, orders: list[tuple] = (), memberships: list[tuple] = ()) -> None:
    """Load (or reload: rows with a known key replace theirs) orders and memberships into ``ws``."""
    if orders:
        ws.ingest("orders", write_csv(root / "orders.csv", ["order_id", "user_id", "paid_at", "amount",
                                                              "refund_amount"], [tuple(map(_txt, r)) for r in orders]))
    if memberships:
        ws.ingest("memberships", write_csv(root / "memberships.csv", ["user_id", "joined_at", "left_at"],
                                           [tuple(map(_txt, r)) for r in memberships]))


def _txt(v):
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    return v
