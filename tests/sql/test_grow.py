"""Golden data tests of GROW (sql/grow_*.sql and siyu.assets.grow): hand-made rows → hand-computed B, F, V, G, R, O.

Edge cases: entry / exit (no buyers in one period), equal GMV (L = GMV1), the new-buyer lookback boundary, a fully
refunded order in the lookback, partial refunds scaling item GMV, unknown SKUs, category expansion, two orders on one
day (grow_frequency = purchase_days), the new_product_days boundary, launches at the edge of the burst list.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math

import duckdb
import numpy as np
import pytest
from golden import run_model

from siyu._exceptions import ConfigError
from siyu.engine.sql import load_model
from siyu.assets.grow import GROW_LABELS, grow, lmdi
from siyu.config import ModelConfig, SiyuConfig
from siyu.contract.loader import create_schema, create_session_tables

T = dt.date(2024, 12, 31)
F = T - dt.timedelta(days=365)  # the default base: P0 ends 2024-01-01
DAYS = 30                       # grow_days in the hand-made tests: P1 = T-29 .. T, P0 = F-29 .. F


def d(date: dt.date, days_before: int = 0, hour: int = 12) -> dt.datetime:
    """A local timestamp ``days_before`` days before ``date`` at ``hour``."""
    return dt.datetime.combine(date - dt.timedelta(days=days_before), dt.time(hour))


class MemWorkspace:
    """The two things grow() needs of a workspace (configuration and a session) over an in-memory DuckDB."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, **model):
        self.conn = conn
        self.config = SiyuConfig(model=ModelConfig(**{"grow_days": DAYS, **model}))

    @contextlib.contextmanager
    def session(self):
        yield self.conn

    def last_date(self):
        return self.conn.execute("SELECT max(paid_at)::DATE FROM orders").fetchone()[0]


@pytest.fixture
def conn():
    c = duckdb.connect()
    create_schema(c)
    create_session_tables(c)
    yield c
    c.close()


def load(conn, orders=(), items=(), products=()):
    """orders: (order_id, user_id, paid_at, amount, refund); items: (order_id, sku, amount);
    products: (sku, category_leaf, category_l1, launch_date)."""
    if orders:
        conn.executemany("INSERT INTO orders (order_id, user_id, paid_at, amount, refund_amount) VALUES (?, ?, ?, ?, ?)",
                         list(orders))
    if items:
        conn.executemany("INSERT INTO order_items (order_id, sku, qty, amount) VALUES (?, ?, 1, ?)", list(items))
    if products:
        conn.executemany("INSERT INTO products (sku, category_leaf, category_l1, launch_date) VALUES (?, ?, ?, ?)",
                         list(products))


def assert_identity(block):
    """G + R + O = ΔGMV to 1e-6 relative (of the larger GMV)."""
    scale = max(abs(block["gmv0"]), abs(block["gmv1"]), 1.0)
    assert block["G"] + block["R"] + block["O"] == pytest.approx(block["delta"], rel=1e-6, abs=1e-6 * scale)
    assert block["delta"] == pytest.approx(block["gmv1"] - block["gmv0"])


def assert_all_identities(res):
    for key in ("total", "new", "existing"):
        assert_identity(res[key])
    for c in res["categories"]:
        assert_identity(c)
        assert c["expansion"] == (c["B0"] == 0)
    assert res["new"]["delta"] + res["existing"]["delta"] == pytest.approx(res["total"]["delta"])
    for k in ("B0", "B1"):
        assert res["new"][k] + res["existing"][k] == res["total"][k]
    split = res["g_split"]
    assert split["penetration_existing_categories"] + split["category_expansion"] == pytest.approx(
        sum(c["G"] for c in res["categories"]))
    assert res["w"]["extension"] == pytest.approx(split["category_expansion"])


def bfv(block):
    return block["B0"], block["B1"], block["F0"], block["F1"], block["V0"], block["V1"]


# --------------------------------------------------------------------------------------------------------------------
# the pure LMDI


def test_labels():
    assert set(GROW_LABELS) == {"G", "R", "O", "W"} and GROW_LABELS["W"][0] == "新品力"


def test_lmdi_doubling_buyers_is_all_penetration():
    # B 10 → 20 with F = 2, V = 50 in both: GMV 1000 → 2000, L = 1000 / ln 2, G = L·ln 2 = 1000, R = O = 0
    r = lmdi(10, 20, 1000.0, 20, 40, 2000.0)
    assert r["G"] == pytest.approx(1000) and r["R"] == pytest.approx(0, abs=1e-9) and r["O"] == pytest.approx(0, abs=1e-9)


def test_lmdi_zero_cases_and_equal_gmv():
    assert lmdi(0, 0, 0.0, 3, 4, 90.0) == {"gmv0": 0.0, "gmv1": 90.0, "delta": 90.0, "B0": 0, "B1": 3,
                                                "F0": None, "F1": 4 / 3, "V0": None, "V1": 22.5,
                                                "G": 90.0, "R": 0.0, "O": 0.0}   # entry
    exit_ = lmdi(2, 2, 40.0, 0, 0, 0.0)
    assert (exit_["G"], exit_["R"], exit_["O"]) == (-40.0, 0.0, 0.0)            # exit
    # equal GMV: L = GMV1 = 100; F 1 → 2 and V 100 → 50: R = 100 ln 2, O = −100 ln 2
    eq = lmdi(1, 1, 100.0, 1, 2, 100.0)
    assert eq["G"] == 0 and eq["R"] == pytest.approx(100 * math.log(2)) and eq["O"] == pytest.approx(-100 * math.log(2))


def test_lmdi_identity_on_random_inputs():
    rng = np.random.default_rng(20240607)
    for _ in range(500):
        b0, b1 = rng.integers(1, 10_000, 2)
        n0, n1 = b0 * rng.uniform(1, 5), b1 * rng.uniform(1, 5)
        g0, g1 = n0 * rng.lognormal(4, 1), n1 * rng.lognormal(4, 1)
        assert_identity(lmdi(int(b0), float(n0), float(g0), int(b1), float(n1), float(g1)))


# --------------------------------------------------------------------------------------------------------------------
# decomposition golden tests


def test_doubling_buyers_same_f_and_v_is_all_g(conn):
    # P0: a buys 100 once; P1: b and c buy 100 once each (all new). B 1 → 2, F 1 → 1, V 100 → 100.
    load(conn, [("o1", "a", d(F, 3), 100, 0), ("o2", "b", d(T, 3), 100, 0), ("o3", "c", d(T, 10), 100, 0)])
    res = grow(MemWorkspace(conn), as_of=T)
    tot = res["total"]
    assert (tot["gmv0"], tot["gmv1"], tot["delta"]) == (100, 200, 100)
    assert bfv(tot) == (1, 2, 1, 1, 100, 100)
    assert tot["G"] == pytest.approx(100) and tot["R"] == pytest.approx(0) and tot["O"] == pytest.approx(0)
    assert res["new"]["G"] == pytest.approx(100) and res["existing"]["delta"] == 0
    assert res["from"] == F and res["period_days"] == DAYS and res["frequency"] == "orders"
    assert res["periods"] == {"P0": (F - dt.timedelta(days=29), F), "P1": (T - dt.timedelta(days=29), T)}
    assert_all_identities(res)


def test_frequency_and_price_with_new_existing_split(conn):
    load(conn, [
        ("old", "a", d(F, 100), 60, 0),   # a's purchase 100 days before P0: a is existing in P0
        ("p0a", "a", d(F, 0), 100, 0),    # P0, last day
        ("p0b", "b", d(F, 5), 100, 0),    # P0: b is new (no history)
        ("p1a", "a", d(T, 5), 150, 0),    # P1: a's first day T-5 is 360 days after F: existing
        ("p1a2", "a", d(T, 2), 150, 0),
        ("p1c", "c", d(T, 7), 150, 0),    # P1: c is new
        ("late", "c", d(T, -1), 999, 0),  # after T: never used
    ])
    res = grow(MemWorkspace(conn), as_of=T)
    # total: B 2 → 2, N 2 → 3, GMV 200 → 450: F 1 → 1.5, V 100 → 150; L = 250 / ln 2.25;
    # G = 0, R = L·ln 1.5 = 125, O = L·ln 1.5 = 125 (ln 2.25 = 2 ln 1.5)
    tot = res["total"]
    assert bfv(tot) == (2, 2, 1, 1.5, 100, 150)
    assert tot["G"] == pytest.approx(0, abs=1e-9) and tot["R"] == pytest.approx(125) and tot["O"] == pytest.approx(125)
    # new: b (100) → c (150): B 1 → 1, F 1 → 1, V 100 → 150: O = 50
    new = res["new"]
    assert bfv(new) == (1, 1, 1, 1, 100, 150) and new["O"] == pytest.approx(50) and new["G"] == pytest.approx(0)
    # existing: a 100 (1 order) → 300 (2 orders): F 1 → 2, V 100 → 150; L = 200 / ln 3;
    # R = 200·ln 2 / ln 3 = 126.186, O = 200·ln 1.5 / ln 3 = 73.814
    ex = res["existing"]
    assert bfv(ex) == (1, 1, 1, 2, 100, 150)
    assert ex["R"] == pytest.approx(200 * math.log(2) / math.log(3)) and ex["O"] == pytest.approx(
        200 * math.log(1.5) / math.log(3))
    assert new["delta"] + ex["delta"] == tot["delta"] == 250
    assert_all_identities(res)


def test_entry_and_exit_of_a_group(conn):
    # a buys 100 in P0 (new) and 100 in P1 (existing: 360 days later). Total unchanged: G = R = O = 0.
    # new: B 1 → 0 (exit) G = −100; existing: B 0 → 1 (entry) G = +100; R = O = 0 for both.
    load(conn, [("o1", "a", d(F), 100, 0), ("o2", "a", d(T, 5), 100, 0)])
    res = grow(MemWorkspace(conn), as_of=T)
    assert (res["total"]["G"], res["total"]["R"], res["total"]["O"]) == (0, 0, 0)
    assert (res["new"]["G"], res["new"]["R"], res["new"]["O"]) == (-100, 0, 0)
    assert (res["existing"]["G"], res["existing"]["R"], res["existing"]["O"]) == (100, 0, 0)
    assert res["existing"]["F0"] is None and res["existing"]["V0"] is None and res["new"]["F1"] is None
    assert_all_identities(res)


def test_new_buyer_lookback_boundary(conn):
    t1 = T - dt.timedelta(days=1)  # each buyer's first P1 day is T-1
    load(conn, [
        ("e1", "edge", d(t1, 365), 10, 0), ("e2", "edge", d(t1), 10, 0),  # prev at d0-365: inside lookback, existing
        ("f1", "far", d(t1, 366), 10, 0), ("f2", "far", d(t1), 10, 0),    # prev at d0-366: outside, new
        ("r1", "ref", d(t1, 10), 10, 10), ("r2", "ref", d(t1), 10, 0),    # only a fully refunded order before: new
        ("s1", "same", d(t1, 0, 9), 10, 0), ("s2", "same", d(t1, 0, 20), 10, 0),  # two orders on d0: new
    ])
    rows = run_model(conn, "grow_orders", as_of=T, from_date=F, grow_days=DAYS, new_cust_lookback_days=365)
    p1 = {r["user_id"]: r["is_new"] for r in rows if r["period"] == 1}
    assert p1 == {"edge": False, "far": True, "ref": True, "same": True}
    assert [r["order_id"] for r in rows if r["period"] == 1] == ["s1", "e2", "f2", "r2", "s2"]  # by pay time
    assert not any(r["order_id"] == "r1" for r in rows)
    # e1 (T-366) and f1 (T-367) fall in P0 = T-394 .. T-365; both new there
    assert {(r["order_id"], r["is_new"]) for r in rows if r["period"] == 0} == {("e1", True), ("f1", True)}


def test_purchase_days_frequency_counts_two_orders_on_one_day_once(conn):
    # P0: a one order of 100. P1: a two orders of 50 on the same day. GMV equal (L = GMV1 = 100).
    load(conn, [("o1", "a", d(F, 2), 100, 0), ("o2", "a", d(T, 2, 9), 50, 0), ("o3", "a", d(T, 2, 18), 50, 0)])
    by_orders = grow(MemWorkspace(conn), as_of=T)["total"]
    # orders: F 1 → 2, V 100 → 50: R = 100 ln 2, O = −100 ln 2, G = 0
    assert bfv(by_orders) == (1, 1, 1, 2, 100, 50)
    assert by_orders["R"] == pytest.approx(100 * math.log(2)) and by_orders["O"] == pytest.approx(-100 * math.log(2))
    res = grow(MemWorkspace(conn, grow_frequency="purchase_days"), as_of=T)
    # purchase days: F 1 → 1, V 100 → 100: nothing changes
    assert res["frequency"] == "purchase_days"
    assert bfv(res["total"]) == (1, 1, 1, 1, 100, 100)
    assert (res["total"]["G"], res["total"]["R"], res["total"]["O"]) == (0, 0, 0)
    rows = run_model(conn, "grow_orders", as_of=T, from_date=F, grow_days=DAYS, new_cust_lookback_days=365)
    conn.execute("CREATE TEMP TABLE _grow_orders AS SELECT * FROM (" + load_model("grow_orders").sql + ")",
                 {"as_of": T, "from_date": F, "grow_days": DAYS, "new_cust_lookback_days": 365})
    assert len(rows) == 3
    dec = run_model(conn, "grow_decomposition", grow_frequency="purchase_days")
    assert [(r["grp"], r["buyers0"], r["n0"], r["buyers1"], r["n1"]) for r in dec] == [
        ("new", 1, 1, 0, 0), ("existing", 0, 0, 1, 1)]


# --------------------------------------------------------------------------------------------------------------------
# categories


CATEGORY_ORDERS = [
    ("o1", "a", d(F, 1), 100, 0),    # P0
    ("o2", "a", d(T, 4), 200, 50),   # P1, partial refund: lines scaled by 150 / 200 = 0.75
    ("o3", "b", d(T, 6), 50, 0),     # P1, an unknown SKU
]
CATEGORY_ITEMS = [("o1", "s1", 100), ("o2", "s1", 120), ("o2", "s2", 80), ("o3", "zz", 50)]
CATEGORY_PRODUCTS = [("s1", "A", "X", dt.date(2020, 1, 1)), ("s2", "B", "X", dt.date(2020, 1, 1))]


def test_categories_partial_refund_unknown_sku_and_expansion(conn):
    load(conn, CATEGORY_ORDERS, CATEGORY_ITEMS, CATEGORY_PRODUCTS)
    res = grow(MemWorkspace(conn), as_of=T)
    cats = {c["category"]: c for c in res["categories"]}
    # A: 100 → 120·0.75 = 90, one buyer and one order each: O = −10
    assert (cats["A"]["gmv0"], cats["A"]["gmv1"]) == (100, 90) and not cats["A"]["expansion"]
    assert cats["A"]["O"] == pytest.approx(-10) and cats["A"]["G"] == pytest.approx(0)
    # B: 0 → 80·0.75 = 60, no base buyers: expansion, G = 60
    assert cats["B"]["gmv1"] == 60 and cats["B"]["expansion"] and (cats["B"]["G"], cats["B"]["R"]) == (60, 0)
    # unknown SKU zz: 0 → 50, expansion
    assert cats["unknown"]["gmv1"] == 50 and cats["unknown"]["expansion"] and cats["unknown"]["G"] == 50
    assert [c["category"] for c in res["categories"]] == ["A", "B", "unknown"]  # by P1 item GMV, largest first
    assert res["g_split"] == {"penetration_existing_categories": pytest.approx(0), "category_expansion": 110}
    assert res["w"]["extension"] == 110
    # total (order level): 100 → 150 + 50 = 200, B 1 → 2, F 1 → 1, V 100 → 100: G = 100
    assert bfv(res["total"]) == (1, 2, 1, 1, 100, 100) and res["total"]["G"] == pytest.approx(100)
    assert_all_identities(res)


def test_categories_at_l1(conn):
    load(conn, CATEGORY_ORDERS, CATEGORY_ITEMS, CATEGORY_PRODUCTS)
    res = grow(MemWorkspace(conn, category_level="l1"), as_of=T)
    cats = {c["category"]: c for c in res["categories"]}
    # X: o1 100 → o2 (90 + 60) = 150 in one order of one buyer: O = 50; unknown: expansion 50
    assert set(cats) == {"X", "unknown"}
    assert (cats["X"]["gmv0"], cats["X"]["gmv1"], cats["X"]["B0"], cats["X"]["B1"]) == (100, 150, 1, 1)
    assert cats["X"]["O"] == pytest.approx(50) and res["g_split"]["category_expansion"] == 50
    assert_all_identities(res)


def test_category_purchase_days_counts_days_with_the_category(conn):
    # P1: a buys category A in two orders on one day and again another day; P0: a once.
    load(conn, [("o1", "a", d(F, 1), 10, 0), ("o2", "a", d(T, 3, 9), 10, 0), ("o3", "a", d(T, 3, 19), 10, 0),
                ("o4", "a", d(T, 1), 10, 0)],
         [("o1", "s1", 10), ("o2", "s1", 10), ("o3", "s1", 10), ("o4", "s1", 10)], CATEGORY_PRODUCTS)
    conn.execute("CREATE TEMP TABLE _grow_orders AS SELECT * FROM (" + load_model("grow_orders").sql + ")",
                 {"as_of": T, "from_date": F, "grow_days": DAYS, "new_cust_lookback_days": 365})
    (by_orders,) = run_model(conn, "grow_categories", grow_frequency="orders", category_level="leaf")
    (by_days,) = run_model(conn, "grow_categories", grow_frequency="purchase_days", category_level="leaf")
    assert (by_orders["n0"], by_orders["n1"]) == (1, 3) and (by_days["n0"], by_days["n1"]) == (1, 2)
    assert by_days["gmv1"] == 30 and by_days["buyers1"] == 1


# --------------------------------------------------------------------------------------------------------------------
# W 新品力


def test_new_product_metrics_golden(conn):
    def ago(n):
        return T - dt.timedelta(days=n)

    load(conn, [
        ("o0", "u2", d(T, 100), 30, 0),    # u2's earlier purchase: existing in P1
        ("o1", "u1", d(T, 10), 100, 0),    # u1 new; n1 on its launch day (age 0): new SKU
        ("o2", "u2", d(T, 21), 200, 0),    # edge179 is 179 days old (new), edge180 is 180 days old (not new)
        ("o3", "u3", d(T, 20), 80, 0),     # u3 new, first order has only old1
        ("o4", "u3", d(T, 3), 40, 0),      # u3 later buys n1: not its first order
        ("o5", "u4", d(T, 30), 60, 0),     # the day before P1, inside n2's burst window
        ("o6", "u5", d(T, 29), 100, 50),   # P1 first day; n2 (age 30) at net share 0.5; u5 new
        ("o7", "u6", d(T, 2), 100, 100),   # fully refunded: not a purchase
        ("o8", "u7", d(F, 3), 30, 0),      # P0: category A
    ], [
        ("o0", "old1", 30), ("o1", "n1", 100), ("o2", "edge179", 50), ("o2", "edge180", 150), ("o3", "old1", 80),
        ("o4", "n1", 40), ("o5", "n2", 60), ("o6", "n2", 100), ("o7", "n1", 100), ("o8", "old1", 30),
    ], [
        ("old1", "A", "X", ago(400)), ("n1", "A", "X", ago(10)), ("edge179", "A", "X", ago(200)),
        ("edge180", "A", "X", ago(201)), ("n2", "B", "X", ago(59)), ("n3", "B", "X", ago(5)),
        ("n4", "B", "X", ago(60)), ("future", "B", "X", T + dt.timedelta(days=3)),
    ])
    res = grow(MemWorkspace(conn), as_of=T)
    w = res["w"]
    # P1 item GMV: o1 100 + o2 200 + o3 80 + o4 40 + o6 50 = 470; new SKUs: n1 100 + edge179 50 + n1 40 + n2 50 = 240
    assert w["new_sku_gmv_share"] == pytest.approx(240 / 470)
    # new buyers of P1: u1, u3, u5 (u4 bought before P1, u6's order was refunded); first order with a new SKU: u1, u5
    assert w["new_sku_newcust_share"] == pytest.approx(2 / 3)
    # launches in P1 (T-29 .. T): n1, n3; agility = 2 · 91 / 30
    assert w["launches"] == 2 and w["launch_agility"] == pytest.approx(2 * 91 / 30)
    # burst list: launched T-59 .. T (n4 at T-60 and the future SKU are out), by launch date
    # n2: T-59 .. T-30 (30 days): o5 60 (o6 on T-29 is past the window); n1: T-10 .. T (11 days): 100 + 40;
    # n3: T-5 .. T (6 days), no sales
    assert w["launch_burst"] == [
        {"sku": "n2", "launch_date": ago(59), "gmv_30d": 60.0, "days_observed": 30},
        {"sku": "n1", "launch_date": ago(10), "gmv_30d": 140.0, "days_observed": 11},
        {"sku": "n3", "launch_date": ago(5), "gmv_30d": 0.0, "days_observed": 6},
    ]
    # extension: B (n2) had no sales in P0: its P1 item GMV 50; A had (o8)
    assert w["extension"] == pytest.approx(50) and res["g_split"]["category_expansion"] == pytest.approx(50)
    assert_all_identities(res)


def test_new_product_days_boundary_moves_with_the_setting(conn):
    # edge179 sold at age 179: new with new_product_days = 180, not new with 179
    launch = T - dt.timedelta(days=200)
    load(conn, [("o1", "u", d(T, 21), 100, 0)], [("o1", "edge179", 100)], [("edge179", "A", "X", launch)])
    assert grow(MemWorkspace(conn), as_of=T)["w"]["new_sku_gmv_share"] == 1
    assert grow(MemWorkspace(conn, new_product_days=179), as_of=T)["w"]["new_sku_gmv_share"] == 0


def test_empty_periods_give_none_shares(conn):
    res = grow(MemWorkspace(conn), as_of=T)
    assert res["total"]["delta"] == 0 and res["categories"] == [] and res["w"]["new_sku_gmv_share"] is None
    assert res["w"]["new_sku_newcust_share"] is None and res["w"]["launch_burst"] == []


def test_from_must_be_before_as_of(conn):
    with pytest.raises(ConfigError, match="must be before"):
        grow(MemWorkspace(conn), as_of=T, from_date=T)


@pytest.mark.parametrize("name", ["grow_decomposition", "grow_categories", "grow_new_products", "grow_launch_burst"])
def test_every_grow_model_header_matches_its_columns(conn, name):
    load(conn, CATEGORY_ORDERS, CATEGORY_ITEMS, CATEGORY_PRODUCTS + [("s3", "C", "Y", T - dt.timedelta(days=3))])
    params = {"as_of": T, "from_date": F, "grow_days": DAYS, "new_cust_lookback_days": 365, "grow_frequency": "orders",
              "category_level": "leaf", "new_product_days": 180}
    conn.execute("CREATE TEMP TABLE _grow_orders AS SELECT * FROM (" + load_model("grow_orders").sql + ")",
                 {k: params[k] for k in load_model("grow_orders").params})
    assert run_model(conn, name, **params)
    assert load_model(name).header["source"].startswith("docs/customer-assets.md §GROW")


# --------------------------------------------------------------------------------------------------------------------
# a random store against a plain-Python reference


def random_store(rng: np.random.Generator, n_orders: int = 800):
    skus = [f"s{i}" for i in range(14)]
    products = [(s, f"c{i % 5}", f"l{i % 2}", T - dt.timedelta(days=int(rng.integers(0, 400))))
                for i, s in enumerate(skus[:12])]                      # s12, s13 are not in the catalogue
    orders, items = [], []
    for k in range(n_orders):
        ts = dt.datetime.combine(T - dt.timedelta(days=int(rng.integers(0, 900))), dt.time(int(rng.integers(0, 24))))
        amount = round(float(rng.uniform(1, 500)), 2)
        refund = [0.0, amount, round(amount * float(rng.uniform(0, 0.9)), 2)][int(rng.choice(3, p=[0.8, 0.05, 0.15]))]
        oid = f"o{k}"
        orders.append((oid, f"u{int(rng.integers(0, 120))}", ts, amount, refund))
        for s in rng.choice(skus, size=int(rng.integers(1, 4)), replace=False):
            items.append((oid, str(s), round(float(rng.uniform(1, 300)), 2)))
    return orders, items, products


def reference(orders, as_of, from_date, days, lookback):
    """B, N (orders), GMV and new buyers per period, by plain Python."""
    purchases = [(u, ts.date(), a - r) for _, u, ts, a, r in orders if r < a and ts.date() <= as_of]
    days_by_user: dict[str, set] = {}
    for u, day, _ in purchases:
        days_by_user.setdefault(u, set()).add(day)
    out = {}
    for p, end in ((0, from_date), (1, as_of)):
        start = end - dt.timedelta(days=days - 1)
        inside = [(u, day, g) for u, day, g in purchases if start <= day <= end]
        first = {}
        for u, day, _ in inside:
            first[u] = min(first.get(u, day), day)
        new = {u for u, d0 in first.items()
               if not any(d0 - dt.timedelta(days=lookback) <= x < d0 for x in days_by_user[u])}
        out[p] = {"B": len(first), "N": len(inside), "GMV": sum(g for *_, g in inside), "new": len(new)}
    return out


@pytest.mark.parametrize("frequency", ["orders", "purchase_days"])
def test_random_store_identities_and_reference(conn, frequency):
    rng = np.random.default_rng(7)
    orders, items, products = random_store(rng)
    load(conn, orders, items, products)
    as_of, from_date, days = T, T - dt.timedelta(days=200), 60
    res = grow(MemWorkspace(conn, grow_days=days, grow_frequency=frequency), as_of=as_of, from_date=from_date)
    assert_all_identities(res)
    ref = reference(orders, as_of, from_date, days, 365)
    tot = res["total"]
    assert (tot["B0"], tot["B1"]) == (ref[0]["B"], ref[1]["B"])
    assert tot["gmv0"] == pytest.approx(ref[0]["GMV"]) and tot["gmv1"] == pytest.approx(ref[1]["GMV"])
    assert (res["new"]["B0"], res["new"]["B1"]) == (ref[0]["new"], ref[1]["new"])
    if frequency == "orders":
        assert tot["F0"] * tot["B0"] == pytest.approx(ref[0]["N"]) and tot["F1"] * tot["B1"] == pytest.approx(ref[1]["N"])
    assert tot["B0"] > 10 and tot["B1"] > 10 and res["new"]["B1"] > 0 and res["existing"]["B1"] > 0
    # the category item GMV in P1 is the sum of the scaled lines of P1 purchases
    net = {o: (ts.date(), (a - r) / a) for o, _, ts, a, r in orders if r < a}
    p1 = (as_of - dt.timedelta(days=days - 1), as_of)
    expect = sum(amt * net[o][1] for o, _, amt in items if o in net and p1[0] <= net[o][0] <= p1[1])
    assert sum(c["gmv1"] for c in res["categories"]) == pytest.approx(expect)
    assert "unknown" in {c["category"] for c in res["categories"]}
    assert 0 <= res["w"]["new_sku_gmv_share"] <= 1 and 0 <= res["w"]["new_sku_newcust_share"] <= 1
    assert res["w"]["launches"] == sum(p1[0] <= p[3] <= p1[1] for p in products)


# --------------------------------------------------------------------------------------------------------------------
# a simulated workspace


@pytest.fixture(scope="module")
def sim_ws(tmp_path_factory):
    import siyu
    from siyu.simulate import SimulationConfig, simulate_store, write_store

    root = tmp_path_factory.mktemp("grow")
    tables, truth = simulate_store(SimulationConfig(users=3000))
    files = write_store(root / "data", tables, truth)
    ws = siyu.Workspace.init(root / "ws")
    for t in tables:
        ws.ingest(t, files[t])
    yield ws
    ws.close()


def test_workspace_grow_on_simulated_store(sim_ws):
    as_of = sim_ws.last_date()
    res = grow(sim_ws, as_of=as_of, from_date=as_of - dt.timedelta(days=90))
    assert res["as_of"] == as_of and res["period_days"] == 90
    assert_all_identities(res)
    for key in ("total", "new", "existing"):
        b = res[key]
        assert b["gmv0"] > 0 and b["gmv1"] > 0 and b["B0"] > 0 and b["B1"] > 0
        # L > 0, so each factor has the sign of its log-ratio
        for factor, (x0, x1) in (("G", ("B0", "B1")), ("R", ("F0", "F1")), ("O", ("V0", "V1"))):
            assert b[factor] == 0 or math.copysign(1, b[factor]) == math.copysign(1, math.log(b[x1] / b[x0]))
    assert 1 <= res["total"]["F1"] < 5 and res["total"]["V1"] > 0
    assert res["total"]["B1"] > res["new"]["B1"] > 0
    w = res["w"]
    assert 0 <= w["new_sku_gmv_share"] <= 1 and 0 <= w["new_sku_newcust_share"] <= 1 and w["launch_agility"] >= 0
    assert all(1 <= x["days_observed"] <= 30 and x["gmv_30d"] >= 0 for x in w["launch_burst"])
    assert all(c["category"] for c in res["categories"]) and len(res["categories"]) > 1
    # default base (year over year) also satisfies the identities
    assert_all_identities(grow(sim_ws))
