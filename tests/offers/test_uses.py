"""Coupon uses (docs/offers.md §Coupon uses): idempotent by (coupon_id, order_id), every bad row refused with the
file, rule, row, column and value, and nothing written on error."""

from __future__ import annotations

import pytest

from siyu import offers
from siyu._exceptions import ValidationError

from .conftest import coupon, load_offers, load_uses, write_csv

HEADER = ["coupon_id", "user_id", "order_id", "used_at"]


def stored(ws):
    return sorted(tuple(r.values()) for r in ws.query(
        "SELECT coupon_id, user_id, order_id, strftime(used_at, '%Y-%m-%d %H:%M') AS t FROM coupon_uses").to_pylist())


@pytest.fixture
def ready(ws, tmp_path):
    load_offers(ws, tmp_path, coupons=[coupon("a", per_user_limit=1), coupon("b")])
    return ws


def test_uses_load_once_and_again_add_nothing(ready, tmp_path):
    rows = [("a", "gold", "o1", "2024-05-03 12:00"), ("b", "gold", "o1", "2024-05-03 12:00"),
            ("a", "silver", "o2", "2024-05-04T08:30:00"), ("a", "silver", "o2", "2024-05-04 08:30")]
    # the last row repeats the third (same key, user and time): stored once
    assert load_uses(ready, tmp_path, rows) == {"rows": 4, "added": 3, "skipped": 1}
    assert stored(ready) == [("a", "gold", "o1", "2024-05-03 12:00"), ("a", "silver", "o2", "2024-05-04 08:30"),
                             ("b", "gold", "o1", "2024-05-03 12:00")]
    assert load_uses(ready, tmp_path, rows) == {"rows": 4, "added": 0, "skipped": 4}
    # a new file with one known and one new use
    more = [("a", "gold", "o1", "2024-05-03 12:00"), ("b", "silver", "o3", "2024-05-05 09:00")]
    assert load_uses(ready, tmp_path, more, "more.csv") == {"rows": 2, "added": 1, "skipped": 1}
    assert len(stored(ready)) == 4
    shown = {c["id"]: (c["uses"], c["users"]) for c in offers.show(ready)["coupons"]}
    assert shown == {"a": (2, 2), "b": (2, 2)}


def test_columns_in_any_order_and_a_bom(ready, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_text("\ufeffused_at,order_id,user_id,coupon_id\n2024-05-03 12:00,o1,gold,a\n", encoding="utf-8")
    assert offers.load_uses(ready, path) == {"rows": 1, "added": 1, "skipped": 0}
    assert stored(ready) == [("a", "gold", "o1", "2024-05-03 12:00")]


BAD = [
    # (header, rows, rule fragment, row, column, value)
    (["coupon_id", "user_id", "order_id"], [("a", "gold", "o1")], "missing column", None, "used_at", None),
    (HEADER + ["note"], [("a", "gold", "o1", "2024-05-03 12:00", "x")], "unknown column", None, "note", None),
    (HEADER, [("a", "gold", "o1", "2024-05-03 12:00"), ("a", "", "o2", "2024-05-03 12:00")],
     "required value missing", 2, "user_id", None),
    (HEADER, [("a", "gold", "o1", "2024-05-03 12:00"), ("a", "gold", "o2", "3 May")],
     "not a local timestamp", 2, "used_at", "3 May"),
    (HEADER, [("a", "gold", "o1", "2024-05-03 12:00+08:00")], "without a zone", 1, "used_at", "2024-05-03 12:00+08:00"),
    (HEADER, [("a", "gold", "o1", "2024-05-03 12:00"), ("zz", "gold", "o2", "2024-05-03 12:00")],
     "not a coupon of the loaded offers", 2, "coupon_id", "zz"),
    (HEADER, [("a", "gold", "o1", "2024-05-03 12:00"), ("a", "silver", "o1", "2024-05-03 12:00")],
     "order 'o1' already used coupon 'a' in row 1 with another user or time", 2, "order_id", "o1"),
    (HEADER, [("a", "gold", "o1", "2024-05-03 12:00"), ("a", "gold", "o2")], "3 fields, the header has 4", 2, None,
     None),
]


@pytest.mark.parametrize("header, rows, rule, row, column, value", BAD,
                         ids=["missing-column", "unknown-column", "empty", "timestamp", "zone", "unknown-coupon",
                              "conflict-in-file", "short-row"])
def test_a_bad_row_names_the_file_row_column_and_value_and_writes_nothing(ready, tmp_path, header, rows, rule, row,
                                                                          column, value):
    load_uses(ready, tmp_path, [("b", "gold", "o0", "2024-05-01 10:00")], "first.csv")
    path = write_csv(tmp_path / "bad.csv", header, rows)
    with pytest.raises(ValidationError) as exc:
        offers.load_uses(ready, path)
    e = exc.value
    assert (e.file, e.row, e.column, e.value) == (str(path), row, column, value)
    assert rule in e.rule and e.exit_code == 65
    assert stored(ready) == [("b", "gold", "o0", "2024-05-01 10:00")]


def test_a_use_stored_with_another_user_is_refused_and_nothing_is_written(ready, tmp_path):
    load_uses(ready, tmp_path, [("a", "gold", "o1", "2024-05-03 12:00")], "first.csv")
    path = write_csv(tmp_path / "clash.csv", HEADER, [("b", "gold", "o7", "2024-05-03 12:00"),
                                                      ("a", "silver", "o1", "2024-05-03 12:00")])
    with pytest.raises(ValidationError) as exc:
        offers.load_uses(ready, path)
    assert (exc.value.row, exc.value.column, exc.value.value) == (2, "order_id", "o1")
    assert "stored as a use of coupon 'a' with another user or time" in exc.value.rule
    assert stored(ready) == [("a", "gold", "o1", "2024-05-03 12:00")]          # o7 was not written either


def test_uses_before_any_offers_are_refused_and_an_empty_file_too(ws, tmp_path):
    path = write_csv(tmp_path / "u.csv", HEADER, [("a", "gold", "o1", "2024-05-03 12:00")])
    with pytest.raises(ValidationError, match="not a coupon of the loaded offers"):
        offers.load_uses(ws, path)
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ValidationError, match="empty file"):
        offers.load_uses(ws, empty)


def test_forget_anonymises_coupon_uses(ready, tmp_path):
    load_uses(ready, tmp_path, [("a", "gold", "o1", "2024-05-03 12:00"), ("b", "silver", "o2", "2024-05-03 12:00")])
    ready.forget("gold")
    users = [r[1] for r in stored(ready)]
    assert "gold" not in users and "silver" in users and any(u.startswith("anon:") for u in users)
