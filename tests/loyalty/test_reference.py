"""siyu's tier engine against the independent implementation in ``reference.py`` on stores the tests generate:
random memberships (leaving, rejoining, overlapping rows), orders (several a day, partial and full refunds) and
programs (basis, window, review calendar, thresholds and keeps), plus a simulated store."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siyu.contract.loader import create_schema
from siyu.engine.duckdb import arrow
from siyu.engine.sql import load_model
from siyu.loyalty import compute, load_program

from .reference import reference_tiers

START = dt.datetime(2023, 11, 1)


def _ts(day: int, minute: int) -> dt.datetime:
    return START + dt.timedelta(days=day, minutes=minute)


@st.composite
def stores(draw):
    n_users = draw(st.integers(1, 5))
    users = [f"u{i}" for i in range(n_users)]
    memberships = []
    for u in users:
        for _ in range(draw(st.integers(0, 3))):
            j = draw(st.integers(0, 400))
            left = draw(st.one_of(st.none(), st.integers(0, 200)))
            memberships.append((u, _ts(j, draw(st.integers(0, 1439))),
                                None if left is None else _ts(j + left, draw(st.integers(0, 1439)))))
    orders = []
    for i in range(draw(st.integers(0, 25))):
        amount = Decimal(draw(st.integers(1, 150000))) / 100
        refund = draw(st.sampled_from([Decimal(0), Decimal(0), amount, (amount / 2).quantize(Decimal("0.01"))]))
        orders.append((f"o{i}", draw(st.sampled_from(users + ["stranger"])),
                       _ts(draw(st.integers(-60, 450)), draw(st.integers(0, 1439))), amount, refund))
    basis = draw(st.sampled_from(["spend", "points"]))
    k = draw(st.integers(1, 3))
    thresholds = sorted(draw(st.lists(st.integers(1, 3000), min_size=k, max_size=k, unique=True)))
    tiers, prev_keep = [], 0
    for i, t in enumerate(thresholds):
        keep = draw(st.integers(prev_keep, t))
        prev_keep = keep
        tiers.append({"name": f"T{i}", "threshold": t, "keep": keep})
    program = {"program": {"name": "p", "basis": basis, "window_days": draw(st.sampled_from([1, 7, 30, 90, 365])),
                           "review": draw(st.sampled_from(["monthly", "quarterly", "yearly"]))},
               "points": {"points_per_yuan": draw(st.sampled_from([0.5, 1, 3]))}, "tiers": tiers}
    as_of = (START + dt.timedelta(days=draw(st.integers(0, 480)))).date()
    return program, orders, memberships, as_of


def siyu_tiers(program, orders, memberships, as_of):
    prog = load_program(program)
    c = duckdb.connect()
    try:
        create_schema(c)
        if memberships:
            c.executemany("INSERT INTO memberships (user_id, joined_at, left_at) VALUES (?, ?, ?)", memberships)
        if orders:
            c.executemany("INSERT INTO orders (order_id, user_id, paid_at, amount, refund_amount) "
                          "VALUES (?, ?, ?, ?, ?)", orders)
        spells = arrow(c, load_model("loyalty_spells").sql, {"as_of": as_of})
        purchases = arrow(c, load_model("loyalty_purchases").sql, {
            "lo": dt.date(2000, 1, 1), "as_of": as_of, "basis": prog.program.basis,
            "points_per_yuan": prog.points.points_per_yuan})
    finally:
        c.close()
    h = compute(prog, spells, purchases, as_of)
    changes = [(r["user_id"], r["date"], r["from_tier"], r["to_tier"], r["reason"]) for r in h.changes.to_pylist()]
    state = {r["user_id"]: (r["tier"], Decimal(str(r["qualifying"]))) for r in h.members().to_pylist()}
    return changes, state


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stores())
def test_tier_history_equals_the_reference_on_random_stores(store):
    program, orders, memberships, as_of = store
    want_changes, want_state = reference_tiers(program, orders, memberships, as_of)
    got_changes, got_state = siyu_tiers(program, orders, memberships, as_of)
    assert got_changes == want_changes
    assert got_state == want_state


@pytest.mark.parametrize("review", ["monthly", "quarterly"])
def test_tier_history_equals_the_reference_on_a_simulated_store(tmp_path, review):
    from siyu.simulate import SimulationConfig, simulate_store

    tables, _ = simulate_store(SimulationConfig(users=400, days=540, seed=11 if review == "monthly" else 12))
    orders = [(r["order_id"], r["user_id"], r["paid_at"], Decimal(str(r["amount"])),
               Decimal(str(r["refund_amount"] or 0))) for r in tables["orders"].to_pylist()]
    memberships = [(r["user_id"], r["joined_at"], r["left_at"]) for r in tables["memberships"].to_pylist()]
    assert len(memberships) > 20 and len(orders) > 200
    as_of = max(o[2] for o in orders).date()
    program = {"program": {"name": "p", "window_days": 365, "review": review},
               "tiers": [{"name": "银卡", "threshold": 100}, {"name": "金卡", "threshold": 400, "keep": 250},
                         {"name": "钻石", "threshold": 1200, "keep": 900}]}
    want_changes, want_state = reference_tiers(program, orders, memberships, as_of)
    got_changes, got_state = siyu_tiers(program, orders, memberships, as_of)
    assert {c[4] for c in want_changes} >= {"upgrade", "review"}   # the store exercises both rules
    assert got_changes == want_changes
    assert got_state == want_state
