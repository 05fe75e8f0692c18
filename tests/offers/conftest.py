"""A hand-made store for the offers tests: products, members with stored tiers, fans, first purchases.

Built once per module (``siyu loyalty run`` included) and copied for each test, so every test starts from the same
workspace and may load its own offers and coupon uses.

Users (the quote moment of most tests is ``AT`` = 2024-05-10 10:00):

- ``gold``: member since 2024-01-01, ¥2,500 on 2024-01-05 → 金卡 (9折) from 2024-01-05;
- ``silver``: member since 2024-01-01, ¥600 on 2024-01-05 → 银卡 (95折) from 2024-01-05;
- ``goldfan``: like gold (¥3,000 on 2024-01-06 → 金卡) and a fan since 2024-02-01;
- ``late``: member since 2024-05-20, ¥800 on 2024-05-20 → 银卡 from 2024-05-20 (no tier at AT);
- ``fan``: a fan since 2024-02-01, never a member, no order;
- ``exfan``: followed 2024-02-01, unfollowed 2024-04-01;
- ``edgefan``: followed exactly at AT; ``leftfan``: followed 2024-02-01, unfollowed exactly at AT;
- ``newbie``: first order 2024-05-10 12:00 (two hours after AT);
- ``refunded``: one order on 2024-03-01, fully refunded (not a purchase);
- anyone else (``guest``): unknown to every table.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import write_csv

from siyu import loyalty
from siyu.workspace import Workspace

AT = "2024-05-10 10:00"
PROGRAM = {"program": {"name": "成长型会员", "basis": "spend", "window_days": 365, "review": "monthly"},
           "tiers": [{"name": "银卡", "threshold": 500, "discount": 0.95},
                     {"name": "金卡", "threshold": 2000, "discount": 0.90}]}
#: sku -> (category_leaf, category_l1, list_price)
PRODUCTS = {"S100": ("面霜", "护肤", "100"), "S200": ("精华", "护肤", "200"), "T50": ("T恤", "服装", "50"),
            "P10025": ("袜子", "服装", "100.25"), "NOPRICE": ("样品", "其他", "")}
IS_MEMBER = {"field": "is_member", "op": "=", "value": True}




def build_store(root: Path, *, program: bool = True) -> Path:
    """The store of the module docstring in ``root / "ws"`` (closed); with ``program`` the tier program is run."""
    root.mkdir(parents=True, exist_ok=True)
    ws = Workspace.init(root / "ws")
    ws.ingest("products", write_csv(root / "products.csv", ["sku", "category_leaf", "category_l1", "list_price"],
                                    [(s, leaf, l1, p) for s, (leaf, l1, p) in PRODUCTS.items()]))
    ws.ingest("orders", write_csv(root / "orders.csv", ["order_id", "user_id", "paid_at", "amount", "refund_amount"], [
        ("o1", "gold", "2024-01-05 10:00", 2500, 0), ("o2", "silver", "2024-01-05 10:00", 600, 0),
        ("o3", "goldfan", "2024-01-06 10:00", 3000, 0), ("o4", "late", "2024-05-20 10:00", 800, 0),
        ("o5", "newbie", "2024-05-10 12:00", 50, 0), ("o6", "refunded", "2024-03-01 10:00", 80, 80)]))
    ws.ingest("memberships", write_csv(root / "memberships.csv", ["user_id", "joined_at"], [
        ("gold", "2024-01-01 00:00"), ("silver", "2024-01-01 00:00"), ("goldfan", "2024-01-01 00:00"),
        ("late", "2024-05-20 00:00")]))
    ws.ingest("follows", write_csv(root / "follows.csv", ["user_id", "followed_at", "unfollowed_at"], [
        ("goldfan", "2024-02-01 00:00", None), ("fan", "2024-02-01 00:00", None),
        ("exfan", "2024-02-01 00:00", "2024-04-01 00:00"), ("edgefan", AT, None),
        ("leftfan", "2024-02-01 00:00", AT)]))
    if program:
        loyalty.run(ws, PROGRAM, "2024-06-30")
    ws.close()
    return root / "ws"


@pytest.fixture(scope="module")
def base_store(tmp_path_factory) -> Path:
    return build_store(tmp_path_factory.mktemp("offers-store"))


@pytest.fixture
def ws(base_store, tmp_path):
    """A fresh copy of the store, open."""
    shutil.copytree(base_store, tmp_path / "ws")
    w = Workspace(tmp_path / "ws")
    yield w
    w.close()


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def offers_toml(*, floor_ratio: float | None = None, price_lists: list[tuple] = (), coupons: list[dict] = (),
                follow: float | None = None, extra: str = "") -> str:
    """An offers file: ``price_lists`` as (tier, sku, price), ``coupons`` as mappings (see :func:`coupon`)."""
    out = [] if floor_ratio is None else [f"floor_ratio = {floor_ratio}"]
    out.append(extra)
    for tier, sku, price in price_lists:
        out += ["[[price_lists]]", f"tier = {_toml_value(tier)}", f"sku = {_toml_value(sku)}", f"price = {price}"]
    for c in coupons:
        out.append("[[coupons]]")
        out += [f"{k} = {_toml_value(v)}" for k, v in c.items()]
    if follow is not None:
        out += ["[follow_discount]", f"amount = {follow}"]
    return "\n".join(out) + "\n"


def coupon(id: str, **kw: Any) -> dict[str, Any]:
    """A coupon valid for May 2024, ¥10 off, unless ``kw`` says otherwise (``amount_off=None`` drops the key)."""
    c = {"id": id, "amount_off": 10, "valid_from": "2024-05-01 00:00", "valid_to": "2024-06-01 00:00", **kw}
    return {k: v for k, v in c.items() if v is not None}


def load_offers(ws: Workspace, tmp_path: Path, **kw: Any) -> dict[str, Any]:
    """Write :func:`offers_toml` to ``tmp_path / "offers.toml"`` and load it."""
    from siyu import offers

    path = tmp_path / "offers.toml"
    path.write_text(offers_toml(**kw), encoding="utf-8")
    return offers.load(ws, path)


def load_uses(ws: Workspace, tmp_path: Path, rows: list[tuple], name: str = "uses.csv") -> dict[str, Any]:
    from siyu import offers

    return offers.load_uses(ws, write_csv(tmp_path / name, ["coupon_id", "user_id", "order_id", "used_at"], rows))


def quote(ws: Workspace, user: str, sku: str = "S100", qty: int = 1, at: str = AT) -> dict[str, Any]:
    """The quote with money as strings ("80.00"), for exact comparisons."""
    from siyu import offers

    q = offers.quote(ws, user, sku, qty, at)
    return {"list_price": str(q["list_price"]), "unit_price": str(q["unit_price"]), "price": str(q["price"]),
            "applied": [(a["rule"], a["id"], str(a["amount"])) for a in q["applied"]],
            "rejected": [(r["rule"], r["id"], r["reason"]) for r in q["rejected"]]}
