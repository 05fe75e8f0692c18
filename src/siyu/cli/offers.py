"""CLI commands of offers (会员价与优惠券): ``siyu offers load|show|uses`` and ``siyu quote`` (thin: parse, call,
print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from siyu.cli._common import Fmt, FormatOpt, emit, note, workspace

offers_app = typer.Typer(help="Offers 优惠: member price lists 会员价, coupons 优惠券, 关注立减 and the price floor, "
                              "loaded from one TOML file; coupon uses for per-user limits.", no_args_is_help=True)

#: rule -> (Chinese, English)
RULES: dict[str, tuple[str, str]] = {
    "member_price": ("会员价", "member price"), "tier_discount": ("会员折扣", "tier discount"),
    "coupon": ("优惠券", "coupon"), "follow_discount": ("关注立减", "follower discount"),
    "floor": ("最低价保护", "price floor"),
}
#: reason -> (Chinese, English)
REASONS: dict[str, tuple[str, str]] = {
    "no_program": ("未运行会员等级", "no tier program stored"), "unknown_tier": ("等级不在会员计划中", "unknown tier"),
    "not_in_tier": ("非该等级会员", "not in this tier"), "not_best": ("非最优", "not the best"),
    "not_started": ("未开始", "not started"), "expired": ("已过期", "expired"),
    "out_of_scope": ("商品不适用", "out of scope"), "below_threshold": ("未满门槛", "below threshold"),
    "not_in_audience": ("不在人群内", "not in audience"), "not_first_purchase": ("非首购", "not a first purchase"),
    "limit_reached": ("已达使用上限", "limit reached"), "not_a_fan": ("未关注店铺", "not a fan"),
}


def _label(table: dict[str, tuple[str, str]], code: str) -> str:
    zh, en = table.get(code, (code, code))
    return f"{zh} {en}"


@offers_app.command("load")
def load_cmd(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="The offers file (TOML).")],
             fmt: FormatOpt = Fmt.table) -> None:
    """Validate the offers file and replace the loaded offers with it (all or nothing)."""
    from siyu.offers import load

    res = load(workspace(ctx), file)
    if fmt is not Fmt.table:
        return emit(res if fmt is Fmt.json else [{k: v for k, v in res.items() if k != "warnings"}], fmt)
    rows = [{"item": "会员价 price-list rows", "count": res["price_lists"]},
            {"item": "优惠券 coupons", "count": res["coupons"]},
            {"item": "关注立减 follower discount", "count": res["follow_discount"] if res["follow_discount"] else "-"},
            {"item": "最低价比例 floor ratio", "count": res["floor_ratio"]}]
    emit(rows, fmt, title=f"优惠 Offers loaded from {file}" + (" (replaced 已替换)" if res["replaced"] else ""),
         headers={"item": "项目 Item", "count": "值 Value"}, kinds={"count": "num"})
    for w in res["warnings"]:
        note(f"warning 注意: {w}")


@offers_app.command("show")
def show_cmd(ctx: typer.Context, fmt: FormatOpt = Fmt.table) -> None:
    """What is loaded: price lists, coupons (with their recorded uses), 关注立减 and the floor."""
    from siyu.offers import show

    res = show(workspace(ctx))
    if fmt is Fmt.json:
        return emit(res, fmt)
    coupons = [{"id": c["id"], "audience": c["audience"] if isinstance(c["audience"], str) or c["audience"] is None
                else "tree", "scope": ", ".join(c["skus"] or c["categories"] or ["*"]),
                "threshold": c["threshold"], "off": str(c["amount_off"]) if c["amount_off"] else f"×{c['discount']}",
                "valid_from": c["valid_from"], "valid_to": c["valid_to"], "per_user_limit": c["per_user_limit"],
                "stackable": c["stackable"], "first_purchase": c["first_purchase"], "uses": c["uses"]}
               for c in res["coupons"]]
    if fmt is Fmt.csv:
        return emit(coupons, fmt)
    if res["loaded_at"] is None:
        note("no offers loaded yet: siyu offers load FILE")
        return
    emit(res["price_lists"], fmt, title="会员价 Price lists", headers={"tier": "等级 Tier", "sku": "商品 SKU",
                                                                      "price": "会员价 Price"})
    emit(coupons, fmt, title="优惠券 Coupons",
         headers={"id": "券 Coupon", "audience": "人群 Audience", "scope": "范围 Scope", "threshold": "门槛 Threshold",
                  "off": "优惠 Off", "valid_from": "开始 From", "valid_to": "结束 To", "per_user_limit": "每人限用 Limit",
                  "stackable": "可叠加 Stackable", "first_purchase": "新人 First", "uses": "已用 Uses"},
         kinds={"threshold": "money", "off": "num"})
    fd = res["follow_discount"]
    note(f"关注立减 follower discount: {fd['amount'] if fd else '-'}; 最低价 floor: {res['floor_ratio']} × list price; "
         f"loaded {res['loaded_at']} from {res['source'] or '(API)'}")


@offers_app.command("uses")
def uses_cmd(ctx: typer.Context,
             file: Annotated[Path, typer.Argument(help="Coupon uses (CSV): coupon_id, user_id, order_id, used_at.")],
             fmt: FormatOpt = Fmt.table) -> None:
    """Record coupon uses (per-user limits count them); idempotent by (coupon_id, order_id), all rows or none."""
    from siyu.offers import load_uses

    res = load_uses(workspace(ctx), file)
    if fmt is not Fmt.table:
        return emit(res if fmt is Fmt.json else [res], fmt)
    emit([{"item": "读取 rows read", "count": res["rows"]}, {"item": "新增 added", "count": res["added"]},
          {"item": "已记录 already recorded", "count": res["skipped"]}], fmt,
         title=f"用券记录 Coupon uses {file}", headers={"item": "项目 Item", "count": "数量 Count"})


def quote_cmd(ctx: typer.Context,
              user: Annotated[str, typer.Option("--user", help="The user id (an unknown user is quoted as a guest).")],
              sku: Annotated[str, typer.Option("--sku", help="The sku.")],
              qty: Annotated[int, typer.Option("--qty", help="Quantity (the line).")] = 1,
              at: Annotated[str | None, typer.Option(
                  "--at", help="Local moment \"YYYY-MM-DD HH:MM\" (default: now).")] = None,
              fmt: FormatOpt = Fmt.table) -> None:
    """The price a user pays for a sku now or --at, and every rule applied or rejected with its reason."""
    from siyu.offers import quote

    res = quote(workspace(ctx), user, sku, qty, at)
    if fmt is Fmt.json:
        return emit(res, fmt)
    rows: list[dict[str, Any]] = [{"step": "标价 list price", "id": f"{res['list_price']} × {qty}",
                                   "amount": res["list_price"] * qty, "note": ""}]
    rows += [{"step": _label(RULES, a["rule"]), "id": a["id"], "amount": -a["amount"], "note": "applied 已用"}
             for a in res["applied"]]
    rows += [{"step": _label(RULES, r["rule"]), "id": r["id"], "amount": None,
              "note": f"{r['reason']}: {_label(REASONS, r['reason'])}"} for r in res["rejected"]]
    rows.append({"step": "应付 price", "id": f"{res['unit_price']} / unit", "amount": res["price"], "note": ""})
    if fmt is Fmt.csv:
        return emit(rows, fmt)
    emit(rows, fmt, title=f"报价 Quote: {user} × {sku}", kinds={"amount": "money"},
         headers={"step": "规则 Rule", "id": "编号 Id", "amount": "金额 Amount", "note": "说明 Note"})


def register(app: typer.Typer) -> None:
    """Add ``offers`` and ``quote`` to the root app."""
    app.add_typer(offers_app, name="offers")
    app.command("quote")(quote_cmd)


__all__ = ["register"]
