"""Golden data tests of the offers SQL models: the quote's lookups (products, tier history, follow spells, first
purchases, coupon uses) and the use totals of ``siyu offers show``. Each expected row follows from docs/offers.md."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest
from golden import run_model

from siyu.contract.loader import create_schema
from siyu.loyalty.store import DDL as LOYALTY_DDL
from siyu.offers.store import DDL

D, T = dt.date, dt.datetime


@pytest.fixture
def conn():
    c = duckdb.connect()
    create_schema(c)
    for ddl in (*LOYALTY_DDL, *DDL):
        c.execute(ddl)
    yield c
    c.close()


def test_quote_products_has_every_sku_with_price_and_both_category_levels(conn):
    conn.executemany("INSERT INTO products (sku, category_leaf, category_l1, list_price) VALUES (?, ?, ?, ?)", [
        ("b", "面霜", "护肤", 100.25), ("a", "T恤", None, None)])
    assert run_model(conn, "quote_products") == [
        {"sku": "a", "list_price": None, "category_leaf": "T恤", "category_l1": None},
        {"sku": "b", "list_price": Decimal("100.25"), "category_leaf": "面霜", "category_l1": "护肤"}]


def test_quote_tiers_orders_a_users_changes_by_date_then_left_review_upgrade(conn):
    conn.executemany("INSERT INTO tier_changes VALUES (?, ?, ?, ?, ?)", [
        ("a", D(2024, 3, 1), "金卡", "银卡", "review"),
        ("a", D(2024, 3, 1), "银卡", "金卡", "upgrade"),     # same day: the upgrade counts last
        ("a", D(2024, 1, 1), None, "银卡", "upgrade"),
        ("b", D(2024, 2, 1), None, "金卡", "upgrade"),
        ("b", D(2024, 2, 1), "金卡", None, "left"),          # left, then upgraded again the same day (re-joined)
        ("a", D(2024, 6, 1), "金卡", None, "left"),
    ])
    assert run_model(conn, "quote_tiers") == [
        {"user_id": "a", "date": D(2024, 1, 1), "to_tier": "银卡"},
        {"user_id": "a", "date": D(2024, 3, 1), "to_tier": "银卡"},
        {"user_id": "a", "date": D(2024, 3, 1), "to_tier": "金卡"},
        {"user_id": "a", "date": D(2024, 6, 1), "to_tier": None},
        {"user_id": "b", "date": D(2024, 2, 1), "to_tier": None},
        {"user_id": "b", "date": D(2024, 2, 1), "to_tier": "金卡"},
    ]


def test_quote_fans_keeps_every_spell_but_the_empty_ones(conn):
    conn.executemany("INSERT INTO follows VALUES (?, ?, ?)", [
        ("b", T(2024, 3, 1), None),
        ("a", T(2024, 5, 1), T(2024, 6, 1)),
        ("a", T(2024, 1, 1), T(2024, 2, 1)),
        ("c", T(2024, 4, 1, 10), T(2024, 4, 1, 10)),       # unfollowed the moment it followed: never a fan
    ])
    assert run_model(conn, "quote_fans") == [
        {"user_id": "a", "followed_at": T(2024, 1, 1), "unfollowed_at": T(2024, 2, 1)},
        {"user_id": "a", "followed_at": T(2024, 5, 1), "unfollowed_at": T(2024, 6, 1)},
        {"user_id": "b", "followed_at": T(2024, 3, 1), "unfollowed_at": None},
    ]


def test_quote_first_purchase_is_the_first_order_not_fully_refunded(conn):
    conn.executemany("INSERT INTO orders (order_id, user_id, paid_at, amount, refund_amount) VALUES (?, ?, ?, ?, ?)", [
        ("o1", "a", T(2024, 1, 5), 80, 80),                # fully refunded: not a purchase
        ("o2", "a", T(2024, 2, 5), 80, 79.99),             # partly refunded: a purchase
        ("o3", "a", T(2024, 3, 5), 80, 0),
        ("o4", "b", T(2024, 4, 5, 12), 10, 0),
        ("o5", "c", T(2024, 1, 1), 10, 10),                # c never bought
    ])
    assert run_model(conn, "quote_first_purchase") == [
        {"user_id": "a", "first_paid_at": T(2024, 2, 5)}, {"user_id": "b", "first_paid_at": T(2024, 4, 5, 12)}]


def _uses(conn):
    conn.executemany("INSERT INTO coupon_uses VALUES (?, ?, ?, ?, ?)", [
        ("x", "b", "o1", T(2024, 5, 3), T(2024, 6, 1)),
        ("x", "a", "o2", T(2024, 5, 2), T(2024, 6, 1)),
        ("y", "a", "o3", T(2024, 5, 2), T(2024, 6, 1)),
        ("x", "a", "o4", T(2024, 5, 1), T(2024, 6, 1)),
    ])


def test_quote_uses_lists_every_use_by_user_and_time(conn):
    _uses(conn)
    assert run_model(conn, "quote_uses") == [
        {"user_id": "a", "coupon_id": "x", "used_at": T(2024, 5, 1)},
        {"user_id": "a", "coupon_id": "x", "used_at": T(2024, 5, 2)},
        {"user_id": "a", "coupon_id": "y", "used_at": T(2024, 5, 2)},
        {"user_id": "b", "coupon_id": "x", "used_at": T(2024, 5, 3)},
    ]


def test_coupon_use_totals_counts_uses_and_users_per_coupon(conn):
    _uses(conn)
    assert run_model(conn, "coupon_use_totals") == [
        {"coupon_id": "x", "uses": 3, "users": 2, "last_used_at": T(2024, 5, 3)},
        {"coupon_id": "y", "uses": 1, "users": 1, "last_used_at": T(2024, 5, 2)},
    ]
