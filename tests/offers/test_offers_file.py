"""The offers file (docs/offers.md §The offers file): what loads, what is refused with the file and the key named,
and that a refused file replaces nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from siyu import audiences, offers
from siyu._exceptions import ConfigError

from .conftest import IS_MEMBER, coupon, load_offers, offers_toml

GOOD = offers_toml(floor_ratio=0.4, price_lists=[("金卡", "S100", 80)], follow=5,
                   coupons=[coupon("c1", audience=IS_MEMBER, categories=["护肤"], threshold=50, per_user_limit=2),
                            coupon("c2", amount_off=None, discount=0.9, stackable=True, first_purchase=True,
                                   skus=["S100"])])


def test_a_good_file_loads_shows_and_replaces_the_whole_set(ws, tmp_path):
    path = tmp_path / "offers.toml"
    path.write_text(GOOD, encoding="utf-8")
    res = offers.load(ws, path)
    assert {k: res[k] for k in ("floor_ratio", "price_lists", "coupons", "follow_discount", "replaced", "warnings")} \
        == {"floor_ratio": 0.4, "price_lists": 1, "coupons": 2, "follow_discount": Decimal(5), "replaced": False,
            "warnings": []}
    shown = offers.show(ws)
    assert shown["source"] == str(path) and shown["digest"] == res["digest"] and shown["loaded_at"] is not None
    assert shown["floor_ratio"] == 0.4 and shown["follow_discount"] == {"amount": Decimal(5)}
    assert shown["price_lists"] == [{"tier": "金卡", "sku": "S100", "price": Decimal(80)}]
    c1, c2 = shown["coupons"]
    assert c1 == {"id": "c1", "audience": IS_MEMBER, "skus": None, "categories": ("护肤",), "threshold": Decimal(50),
                  "amount_off": Decimal(10), "discount": None, "valid_from": dt.datetime(2024, 5, 1),
                  "valid_to": dt.datetime(2024, 6, 1), "per_user_limit": 2, "stackable": False,
                  "first_purchase": False, "uses": 0, "users": 0}
    assert (c2["discount"], c2["amount_off"], c2["stackable"], c2["first_purchase"], c2["skus"]) == (
        0.9, None, True, True, ("S100",))
    # loading again replaces everything: c1, c2, the price list and the follower discount are gone
    res = load_offers(ws, tmp_path, coupons=[coupon("only")])
    assert res["replaced"] is True
    shown = offers.show(ws)
    assert [c["id"] for c in shown["coupons"]] == ["only"]
    assert (shown["price_lists"], shown["follow_discount"], shown["floor_ratio"]) == ([], None, 0.3)


def test_show_before_any_load_is_the_empty_set(ws):
    assert offers.show(ws) == {"digest": None, "source": None, "loaded_at": None, "floor_ratio": 0.3,
                               "price_lists": [], "coupons": [], "follow_discount": None}


def test_toml_dates_and_a_saved_audience_load(ws, tmp_path):
    audiences.save(ws, "会员们", IS_MEMBER, "2024-05-10")
    path = tmp_path / "o.toml"
    path.write_text('[[coupons]]\nid = "d"\namount_off = 1\naudience = "会员们"\nvalid_from = 2024-05-01T08:00:00\n'
                    'valid_to = 2024-05-02\n', encoding="utf-8")
    offers.load(ws, path)
    c = offers.show(ws)["coupons"][0]
    assert (c["audience"], c["valid_from"], c["valid_to"]) == ("会员们", dt.datetime(2024, 5, 1, 8),
                                                               dt.datetime(2024, 5, 2))


def test_unknown_skus_and_categories_load_with_warnings(ws, tmp_path):
    res = load_offers(ws, tmp_path, price_lists=[("金卡", "NOPE", 1)],
                      coupons=[coupon("a", skus=["S100", "GHOST"]), coupon("b", categories=["家电"])])
    assert res["warnings"] == ["price_lists[0].sku: 'NOPE' is not in products",
                               "coupons[0].skus: not in products: 'GHOST'",
                               "coupons[1].categories: not in products: '家电'"]


C = '[[coupons]]\nid = "c"\nvalid_from = "2024-05-01 00:00"\nvalid_to = "2024-06-01 00:00"\n'

BAD = [
    ("floor_ration = 0.3\n", "floor_ration: Extra inputs are not permitted"),
    (C + "amount_off = 5\namount_of = 5\n", "coupons[0].amount_of: Extra inputs are not permitted"),
    ("[follow_discount]\namount = 5\nfans_only = true\n", "follow_discount.fans_only: Extra inputs are not permitted"),
    (C + "amount_off = 5\n" + C + "amount_off = 6\n", "coupons[1].id: 'c' is used twice (also coupons[0])"),
    (C.replace('"2024-06-01 00:00"', '"2024-05-01 00:00"') + "amount_off = 5\n",
     "coupons[0]: coupon 'c': valid_to must be after valid_from"),
    (C.replace('"2024-06-01 00:00"', '"2024-04-30 00:00"') + "amount_off = 5\n",
     "coupons[0]: coupon 'c': valid_to must be after valid_from"),
    ('[[price_lists]]\ntier = "金卡"\nsku = "S100"\nprice = -1\n',
     "price_lists[0].price: Input should be greater than or equal to 0"),
    ('[[price_lists]]\ntier = "金卡"\nsku = "S100"\nprice = 9.999\n',
     "price_lists[0].price: Decimal input should have no more than 2 decimal places"),
    ('[[price_lists]]\ntier = "金卡"\nsku = "S100"\nprice = 1\n' * 2,
     "price_lists[1]: tier '金卡' already has a price for sku 'S100' (price_lists[0])"),
    (C + "amount_off = 5\ndiscount = 0.9\n", "coupons[0]: coupon 'c': give exactly one of amount_off (满减) and discount"),
    (C, "coupons[0]: coupon 'c': give exactly one of amount_off (满减) and discount"),
    (C + "discount = 1.0\n", "coupons[0].discount: a share of the price paid between 0 and 1 exclusive"),
    (C + "discount = 0\n", "coupons[0].discount: a share of the price paid between 0 and 1 exclusive"),
    (C + "discount = 1.5\n", "coupons[0].discount: a share of the price paid between 0 and 1 exclusive"),
    (C + "amount_off = 0\n", "coupons[0].amount_off: must be above 0"),
    (C + "amount_off = 5\nthreshold = -1\n", "coupons[0].threshold: Input should be greater than or equal to 0"),
    (C + 'amount_off = 5\nskus = ["S100"]\ncategories = ["护肤"]\n',
     "coupons[0]: coupon 'c': give skus or categories, not both"),
    (C + "amount_off = 5\nskus = []\n", "coupons[0].skus: Tuple should have at least 1 item"),
    (C + "amount_off = 5\nper_user_limit = 0\n", "coupons[0].per_user_limit: Input should be greater than or equal to 1"),
    (C.replace('id = "c"', 'id = "bad id!"') + "amount_off = 5\n", "coupons[0].id: 1–64 letters, digits"),
    (C.replace('"2024-05-01 00:00"', '"May 1st"') + "amount_off = 5\n",
     "coupons[0].valid_from: not a local timestamp (YYYY-MM-DD HH:MM): 'May 1st'"),
    (C.replace('"2024-05-01 00:00"', '"2024-05-01 00:00+08:00"') + "amount_off = 5\n",
     "coupons[0].valid_from: give local wall-clock time of the workspace without a zone"),
    (C + 'amount_off = 5\naudience = { field = "no_such_field", op = "=", value = 1 }\n',
     'coupons[0].audience: audience tree at field: unknown field "no_such_field"'),
    (C + "amount_off = 5\naudience = '{\"field\": '\n", "coupons[0].audience: not valid JSON"),
    (C + 'amount_off = 5\naudience = "没有这个人群"\n', "coupons[0].audience: no saved audience named '没有这个人群'"),
    ("[follow_discount]\namount = 0\n", "follow_discount.amount: must be above 0"),
    ("floor_ratio = 1.5\n", "floor_ratio: Input should be less than or equal to 1"),
    ("floor_ratio = \n", "not valid TOML"),
]


@pytest.mark.parametrize("text, message", BAD, ids=[m.split(":")[0] + f"-{i}" for i, (_, m) in enumerate(BAD)])
def test_a_bad_file_names_the_file_and_the_key_and_replaces_nothing(ws, tmp_path, text, message):
    good = tmp_path / "good.toml"
    good.write_text(GOOD, encoding="utf-8")
    before = offers.load(ws, good)["digest"]
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        offers.load(ws, bad)
    assert str(exc.value).startswith(f"{bad}: ") and message in str(exc.value), str(exc.value)
    assert exc.value.exit_code == 78
    shown = offers.show(ws)
    assert (shown["digest"], shown["source"], [c["id"] for c in shown["coupons"]]) == (before, str(good), ["c1", "c2"])


def test_a_missing_file_is_a_config_error(ws, tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.toml: cannot read the offers file"):
        offers.load(ws, tmp_path / "nope.toml")
