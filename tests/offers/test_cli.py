"""The offers commands as a merchant runs them (``siyu offers load|show|uses``, ``siyu quote``) on a real workspace,
through the root app."""

from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from siyu._exceptions import SiyuError
from siyu.cli import app

from .conftest import AT, IS_MEMBER, coupon, offers_toml, write_csv

OFFERS = offers_toml(price_lists=[("金卡", "S100", 80), ("钻石", "S100", 50)], follow=5,
                     coupons=[coupon("vip", audience=IS_MEMBER, amount_off=15),
                              coupon("all10", amount_off=10, per_user_limit=1),
                              coupon("st", amount_off=None, discount=0.95, stackable=True)])


def cli(ws, *args):
    return CliRunner().invoke(app, ["--workspace", str(ws.path), *args], env={"COLUMNS": "400"})


def failed(res) -> tuple[int, str]:
    """The exit code and message of a failed command (``siyu.cli.main`` maps a SiyuError to its exit code)."""
    assert isinstance(res.exception, SiyuError), res.output
    return res.exception.exit_code, str(res.exception)


def test_load_show_uses_and_quote(ws, tmp_path):
    path = tmp_path / "offers.toml"
    path.write_text(OFFERS, encoding="utf-8")
    ws.close()
    res = cli(ws, "offers", "load", str(path))
    assert res.exit_code == 0, res.output
    assert "优惠 Offers loaded" in res.output and "优惠券 coupons" in res.output
    assert "'钻石' is not a tier of the stored program" in res.output          # the warning, under the table
    res = cli(ws, "offers", "load", str(path), "--format", "json")
    out = json.loads(res.stdout)
    assert (out["coupons"], out["price_lists"], out["follow_discount"], out["replaced"]) == (3, 2, 5, True)

    res = cli(ws, "offers", "show", "--format", "json")
    assert res.exit_code == 0, res.output
    shown = json.loads(res.stdout)
    assert [c["id"] for c in shown["coupons"]] == ["vip", "all10", "st"]
    assert shown["price_lists"][0] == {"tier": "金卡", "sku": "S100", "price": 80}   # money as JSON numbers
    assert shown["coupons"][0]["audience"] == IS_MEMBER and shown["follow_discount"] == {"amount": 5}
    res = cli(ws, "offers", "show", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [(r["id"], r["audience"], r["off"], r["stackable"]) for r in rows] == [
        ("vip", "tree", "15", "False"), ("all10", "", "10", "False"), ("st", "", "×0.95", "True")]
    res = cli(ws, "offers", "show")
    assert res.exit_code == 0 and "会员价 Price lists" in res.output and "优惠券 Coupons" in res.output

    uses = write_csv(tmp_path / "uses.csv", ["coupon_id", "user_id", "order_id", "used_at"],
                     [("all10", "guest", "o1", "2024-05-02 10:00")])
    res = cli(ws, "offers", "uses", str(uses), "--format", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {"rows": 1, "added": 1, "skipped": 0}
    res = cli(ws, "offers", "uses", str(uses))
    assert res.exit_code == 0 and "已记录 already recorded" in res.output

    res = cli(ws, "quote", "--user", "gold", "--sku", "S100", "--qty", "2", "--at", AT, "--format", "json")
    assert res.exit_code == 0, res.output
    # gold × 2: 160 (price list 80); vip 15 beats all10 10; st 160 × 0.05 = 8; not a fan: 160 − 15 − 8 = 137
    assert json.loads(res.stdout) == {
        "list_price": 100, "unit_price": 68.5, "price": 137,
        "applied": [{"rule": "member_price", "id": "金卡", "amount": 40}, {"rule": "coupon", "id": "vip", "amount": 15},
                    {"rule": "coupon", "id": "st", "amount": 8}],
        "rejected": [{"rule": "member_price", "id": "钻石", "reason": "unknown_tier"},
                     {"rule": "tier_discount", "id": "金卡", "reason": "not_best"},
                     {"rule": "coupon", "id": "all10", "reason": "not_best"},
                     {"rule": "follow_discount", "id": "follow", "reason": "not_a_fan"}]}
    res = cli(ws, "quote", "--user", "guest", "--sku", "S100", "--at", AT)
    # guest: vip not in audience, all10 used up; st 5 off 100 → 95
    assert res.exit_code == 0, res.output
    for text in ("报价 Quote: guest × S100", "limit_reached: 已达使用上限 limit reached", "¥95.00", "95.00 / unit",
                 "not_a_fan: 未关注店铺 not a fan"):
        assert text in res.output, text
    res = cli(ws, "quote", "--user", "guest", "--sku", "S100", "--at", AT, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert rows[0]["step"] == "标价 list price" and rows[-1]["amount"] == "95.0"


def test_errors_exit_with_their_codes(ws, tmp_path):
    ws.close()
    bad = tmp_path / "bad.toml"
    bad.write_text(offers_toml(coupons=[coupon("c", discount=0.9)]), encoding="utf-8")
    code, msg = failed(cli(ws, "offers", "load", str(bad)))
    assert code == 78 and "bad.toml: coupons[0]: coupon 'c': give exactly one of amount_off" in msg
    code, msg = failed(cli(ws, "quote", "--user", "gold", "--sku", "NOPE"))
    assert code == 78 and "unknown sku 'NOPE'" in msg
    code, msg = failed(cli(ws, "quote", "--user", "gold", "--sku", "S100", "--qty", "0"))
    assert code == 78 and "--qty" in msg
    uses = write_csv(tmp_path / "uses.csv", ["coupon_id", "user_id", "order_id", "used_at"],
                     [("nope", "gold", "o1", "2024-05-02 10:00")])
    code, msg = failed(cli(ws, "offers", "uses", str(uses)))
    assert code == 65 and "row 1, column 'coupon_id'" in msg
    res = cli(ws, "offers", "show")
    assert res.exit_code == 0 and "no offers loaded yet" in res.output
