"""Tests of the store simulator (siyu.simulate): contract, determinism, realism bands and BTYD truth."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import siyu.simulate as sim
from siyu.contract.schema import (
    EVENT_TYPES,
    KEYWORD_TYPES,
    REACH_CHANNELS,
    REACH_STATUSES,
    TABLES,
)
from siyu.simulate import SCENARIOS, SimulationConfig, simulate_store, write_store

END = dt.datetime(2024, 12, 31)  # exclusive end of the default window (2024 is a leap year)
T = END - dt.timedelta(microseconds=1)


# --------------------------------------------------------------------------------------------------
# fixtures
@pytest.fixture(scope="module")
def default():
    return simulate_store(SimulationConfig())


@pytest.fixture(scope="module")
def weak():
    return simulate_store(SimulationConfig.from_scenario("weak_membership"))


@pytest.fixture(scope="module")
def btyd():
    cfg = SimulationConfig.from_scenario("exact_btyd", users=50_000, buyer_share=1.0, prehistory_days=0, seed=11)
    return cfg, *simulate_store(cfg)


# --------------------------------------------------------------------------------------------------
# helpers (vectorised, independent of the simulator's internals)
def _np(col) -> np.ndarray:
    return pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False) if pa.types.is_decimal(col.type) else \
        col.to_numpy(zero_copy_only=False)


def _us(col) -> np.ndarray:
    """Timestamps as int64 microseconds (nulls -> min int)."""
    return pc.fill_null(pc.cast(col, pa.int64()), np.iinfo(np.int64).min).to_numpy()


def _days(col) -> np.ndarray:
    return _us(col) // 86_400_000_000


def _users(col) -> np.ndarray:
    return pc.cast(pc.utf8_slice_codeunits(col, 1), pa.int64()).to_numpy()


def _active(table: pa.Table, lo: str, hi: str, users: np.ndarray, ts_us: np.ndarray) -> np.ndarray:
    """Whether each (user, ts) has an active spell [lo, hi) in a follows/memberships table.

    Spells of one user do not overlap, so the last spell starting at or before ts decides.
    """
    su, slo, shi = _users(table["user_id"]), _us(table[lo]), _us(table[hi])
    shi = np.where(shi == np.iinfo(np.int64).min, np.iinfo(np.int64).max, shi)
    o = np.lexsort((slo, su))
    su, slo, shi = su[o], slo[o], shi[o]
    key = np.searchsorted(_key(su, slo), _key(users, ts_us), side="right") - 1
    ok = key >= 0
    key = np.maximum(key, 0)
    return ok & (su[key] == users) & (slo[key] <= ts_us) & (shi[key] > ts_us)


def _key(users: np.ndarray, ts_us: np.ndarray) -> np.ndarray:
    """User-major float key (user * 1e10 + seconds): exact to ~0.03 s for the test sizes."""
    return users * 1e10 + ts_us / 1e6


def _all(mask) -> bool:
    """True when every value is true (an empty column passes)."""
    return pc.all(mask).as_py() is not False


def check_contract(tables: dict[str, pa.Table]) -> list[str]:
    """Every docs/data.md rule the simulator promises; returns the violations."""
    bad: list[str] = []
    for name, spec in TABLES.items():
        t = tables[name]
        if tuple(t.column_names) != spec.column_names:
            bad.append(f"{name}: columns {t.column_names}")
            continue
        for col in spec.columns:
            a = t[col.name]
            if col.required and a.null_count:
                bad.append(f"{name}.{col.name}: nulls in a required column")
            if col.kind in ("string", "enum") and not (pa.types.is_string(a.type) or pa.types.is_dictionary(a.type)):
                bad.append(f"{name}.{col.name}: type {a.type}")
            if col.kind == "timestamp" and a.type != pa.timestamp("us"):
                bad.append(f"{name}.{col.name}: type {a.type}")
            if col.kind == "money" and a.type != pa.decimal128(18, 2):
                bad.append(f"{name}.{col.name}: type {a.type}")
            if col.enum:
                vals = set(pc.unique(pc.cast(a, pa.string()).drop_null()).to_pylist())
                if vals - set(col.enum):
                    bad.append(f"{name}.{col.name}: values {vals - set(col.enum)}")
            if col.min is not None and pc.min(a).as_py() is not None and float(pc.min(a).as_py()) < col.min:
                bad.append(f"{name}.{col.name}: below {col.min}")
            if col.max is not None and pc.max(a).as_py() is not None and float(pc.max(a).as_py()) > col.max:
                bad.append(f"{name}.{col.name}: above {col.max}")
        keys = pa.table({k: pc.cast(t[k], pa.string()) if not pa.types.is_timestamp(t[k].type) else t[k]
                         for k in spec.key})
        if keys.group_by(list(spec.key)).aggregate([]).num_rows != t.num_rows:
            bad.append(f"{name}: key {spec.key} not unique")
    o, items, ev = tables["orders"], tables["order_items"], tables["events"]
    if pc.any(pc.greater(o["refund_amount"], o["amount"])).as_py():
        bad.append("orders: refund_amount > amount")
    sums = items.group_by("order_id").aggregate([("amount", "sum")])
    joined = o.select(["order_id", "amount"]).join(sums, "order_id", join_type="full outer")
    if joined["amount_sum"].null_count or joined["amount"].null_count or \
            not _all(pc.equal(joined["amount"], pc.cast(joined["amount_sum"], o["amount"].type))):
        bad.append("order_items: line amounts do not sum to orders.amount (or orphan/empty orders)")
    if not _all(pc.is_in(items["order_id"], o["order_id"])):
        bad.append("order_items: order_id not in orders")
    is_review = pc.equal(pc.cast(ev["type"], pa.string()), "review")
    if not _all(pc.equal(pc.is_valid(ev["rating"]), is_review)):
        bad.append("events: rating present exactly on reviews")
    is_search = pc.equal(pc.cast(ev["type"], pa.string()), "search")
    if pc.any(pc.and_(pc.is_valid(ev["keyword_type"]), pc.invert(is_search))).as_py():
        bad.append("events: keyword_type outside search")
    for name, lo, hi in (("follows", "followed_at", "unfollowed_at"), ("memberships", "joined_at", "left_at")):
        t = tables[name]
        if pc.any(pc.less(t[hi], t[lo])).as_py():
            bad.append(f"{name}: {hi} < {lo}")
    for name in ("orders", "events", "follows", "memberships", "reach_log", "consents"):
        if not _all(pc.is_in(tables[name]["user_id"], tables["users"]["user_id"])):
            bad.append(f"{name}: user_id not in users")
    emails = tables["users"]["email"].drop_null()
    if pc.count_distinct(emails).as_py() != len(emails):
        bad.append("users: an email address belongs to two users")
    reg = tables["users"].select(["user_id", "registered_at"])
    c = tables["consents"].select(["user_id", "ts"]).join(reg, "user_id")
    if pc.any(pc.less(c["ts"], c["registered_at"])).as_py():
        bad.append("consents: a record before the user's registered_at")
    for name in ("order_items", "events"):
        s = tables[name]["sku"].drop_null()
        if not _all(pc.is_in(s, tables["products"]["sku"])):
            bad.append(f"{name}: sku not in products")
    return bad


def _window_orders(tables, start=dt.datetime(2024, 1, 1)):
    """Orders of the exported window (the simulator also exports a year of order history before it)."""
    o = tables["orders"]
    return o.filter(pc.greater_equal(o["paid_at"], pa.scalar(start, pa.timestamp("us"))))


def _purchases(tables):
    o = _window_orders(tables)
    return o.filter(pc.less(o["refund_amount"], o["amount"]))


def test_order_history_before_the_window_has_orders_but_no_events(default):
    tables, truth = default
    o = tables["orders"]
    start = pa.scalar(dt.datetime(2024, 1, 1), pa.timestamp("us"))
    before = pc.sum(pc.less(o["paid_at"], start)).as_py()
    assert before > 0.3 * o.num_rows and before == truth["realised"]["orders_history"]
    assert pc.min(o["paid_at"]).as_py() >= dt.datetime(2023, 1, 1)
    assert pc.min(tables["events"]["ts"]).as_py() >= dt.datetime(2024, 1, 1)


def _band_figures(tables) -> dict[str, float]:
    """docs/gain.md §Reference figures from the tables alone (snapshot T = last day of the window)."""
    p = _purchases(tables)
    u, day, us = _users(p["user_id"]), _days(p["paid_at"]), _us(p["paid_at"])
    net = _np(p["amount"]) - _np(p["refund_amount"])
    buyers, inv = np.unique(u, return_inverse=True)
    spend = np.bincount(inv, weights=net)
    n_days = np.bincount(np.unique(inv * 100_000 + day) // 100_000)
    t_us = np.full(len(buyers), _us(pa.array([T], pa.timestamp("us")))[0])
    member = _active(tables["memberships"], "joined_at", "left_at", buyers, t_us)
    first_day = np.full(len(buyers), np.iinfo(np.int64).max)
    np.minimum.at(first_day, inv, day)
    rel = (_active(tables["follows"], "followed_at", "unfollowed_at", u, us)
           | _active(tables["memberships"], "joined_at", "left_at", u, us) | (first_day[inv] < day))
    kdj = net.sum() / len(buyers)
    return {"member_ratio": spend[member].mean() / kdj, "repeat_share": (n_days >= 2).mean(),
            "relationship_share": net[rel].sum() / net.sum(), "buyers": len(buyers)}


# --------------------------------------------------------------------------------------------------
# interface and configuration
def test_public_interface_is_sorted_and_complete():
    assert sim.__all__ == sorted(sim.__all__)
    assert {"SCENARIOS", "SimulationConfig", "generate_store", "simulate_store", "write_store"} <= set(sim.__all__)
    for name in sim.__all__:
        assert getattr(sim, name) is not None


def test_config_is_strict_and_documented():
    with pytest.raises(ValueError):
        SimulationConfig(userz=10)
    for name, field in SimulationConfig.model_fields.items():
        assert field.description, f"{name} has no description"
    assert {"default", "weak_membership"} <= set(SCENARIOS)
    for name, overrides in SCENARIOS.items():
        assert set(overrides) <= set(SimulationConfig.model_fields)
        assert SimulationConfig.from_scenario(name).scenario == name
    with pytest.raises(KeyError):
        SimulationConfig.from_scenario("nope")


def test_same_seed_same_tables_other_seed_other_tables():
    cfg = SimulationConfig(users=3000, days=120, prehistory_days=60)
    a, ta = simulate_store(cfg)
    b, tb = simulate_store(cfg)
    c, _ = simulate_store(cfg.model_copy(update={"seed": 8}))
    for name in a:
        assert a[name].equals(b[name]), name
    assert json.dumps(ta["realised"], sort_keys=True) == json.dumps(tb["realised"], sort_keys=True)
    assert not a["orders"].equals(c["orders"]) and not a["events"].equals(c["events"])


def test_generate_store_draws_from_the_generator_it_is_given():
    cfg = SimulationConfig(users=800, days=60, prehistory_days=30)
    ref, ref_truth = simulate_store(cfg)  # the adapter: default_rng(config.seed)
    g = np.random.default_rng(cfg.seed)
    state = g.bit_generator.state
    a, ta = sim.generate_store(cfg, g)
    for name in ref:
        assert a[name].equals(ref[name]), name
    assert json.dumps(ta["realised"], sort_keys=True) == json.dumps(ref_truth["realised"], sort_keys=True)
    g2 = np.random.default_rng()
    g2.bit_generator.state = state  # the same state, another object
    b, _ = sim.generate_store(cfg, g2)
    assert all(a[name].equals(b[name]) for name in a)
    # another generator (or the same one, advanced by the first call) gives another store
    c, _ = sim.generate_store(cfg, np.random.default_rng(cfg.seed + 1))
    d, _ = sim.generate_store(cfg, g)
    for other in (c, d):
        assert not other["orders"].equals(a["orders"]) and not other["events"].equals(a["events"])


@pytest.mark.parametrize("bad", [7, np.int64(7), None, np.random.RandomState(7), np.random.SeedSequence(7)],
                         ids=lambda b: type(b).__name__)
def test_generate_store_rejects_anything_but_a_generator(bad):
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        sim.generate_store(SimulationConfig(users=100, days=30, prehistory_days=0), bad)


def test_progress_is_reported():
    seen = []
    simulate_store(SimulationConfig(users=500, days=60, prehistory_days=0), progress=lambda s, f: seen.append((s, f)))
    fracs = [f for _, f in seen]
    assert fracs == sorted(fracs) and fracs[-1] == 1.0 and len(seen) >= 5


# --------------------------------------------------------------------------------------------------
# the data contract
@pytest.mark.parametrize("scenario", ["default", "weak"])
def test_tables_respect_the_contract(scenario, default, weak):
    tables, _ = default if scenario == "default" else weak
    assert set(tables) == set(TABLES)
    assert check_contract(tables) == []


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenario_respects_the_contract(name):
    tables, truth = simulate_store(SimulationConfig.from_scenario(name, users=3000, days=120, prehistory_days=60))
    assert check_contract(tables) == []
    assert truth["scenario"] == name and truth["rows"] == {k: t.num_rows for k, t in tables.items()}


def test_edge_configs_still_respect_the_contract():
    """No members, fans or messages at all; and a tiny store with a tiny catalogue."""
    none = SimulationConfig(users=1000, days=60, member_join_checkout=0, member_join_other=0, follow_buyer=0,
                            follow_prospect=0)
    tables, _ = simulate_store(none)
    assert tables["memberships"].num_rows == tables["follows"].num_rows == tables["reach_log"].num_rows == 0
    assert check_contract(tables) == []
    tiny = SimulationConfig(users=100, days=30, prehistory_days=0, skus=20, new_launches_per_quarter=0)
    tables, _ = simulate_store(tiny)
    assert tables["products"].num_rows == 20 and check_contract(tables) == []


def test_contract_checker_catches_a_broken_table(default):
    tables = dict(default[0])
    o = tables["orders"]
    too_much = pc.add(o["amount"], pa.scalar(1, o["amount"].type)).cast(o["amount"].type)
    tables["orders"] = o.set_column(4, "refund_amount", too_much)
    assert any("refund_amount > amount" in v for v in check_contract(tables))


def test_ids_and_phones_look_real(default):
    tables, _ = default
    assert tables["users"]["user_id"][0].as_py() == "u0000001"
    phones = tables["users"]["phone"].drop_null()
    assert pc.all(pc.match_substring_regex(phones, r"^1[3-9]\d{9}$")).as_py()
    assert 0 < tables["users"]["phone"].null_count < tables["users"].num_rows * 0.3
    assert pc.all(pc.match_substring_regex(tables["products"]["sku"], r"^sku\d{4}$")).as_py()
    emails = tables["users"]["email"]
    assert 0.25 < emails.null_count / tables["users"].num_rows < 0.35  # about 70 % have an address
    assert pc.all(pc.match_substring_regex(emails.drop_null(), r"^[a-z]*\d+@[a-z0-9.]*example\.(com|net)$")).as_py()


# --------------------------------------------------------------------------------------------------
# realism
def test_domain_sanity_bands(default):
    """docs/gain.md §Reference figures: member 客单价 2–3x overall, repeat share in (10 %, 45 %], relationship GMV ≥ 50 %."""
    f = _band_figures(default[0])
    assert 2.0 <= f["member_ratio"] <= 3.0, f
    assert 0.10 < f["repeat_share"] <= 0.45, f
    assert f["relationship_share"] >= 0.5, f


def test_event_volume_and_prospects(default):
    tables, _ = default
    per_user_year = tables["events"].num_rows / tables["users"].num_rows
    assert 15 <= per_user_year <= 40
    with_events = set(pc.unique(tables["events"]["user_id"]).to_pylist())
    buyers = set(pc.unique(tables["orders"]["user_id"]).to_pylist())
    assert len(with_events - buyers) > 0.3 * len(with_events)  # prospects who never buy
    types = set(pc.unique(pc.cast(tables["events"]["type"], pa.string())).to_pylist())
    assert types == set(EVENT_TYPES)
    kw = set(pc.unique(pc.cast(tables["events"]["keyword_type"], pa.string())).drop_null().to_pylist())
    assert kw == set(KEYWORD_TYPES)


def test_double11_and_618_peaks(default):
    p = _purchases(default[0])
    day = _days(p["paid_at"])
    gmv = np.bincount(day - day.min(), weights=_np(p["amount"]) - _np(p["refund_amount"]))
    d0 = dt.date(2024, 1, 1)
    base = (np.datetime64(d0) - np.datetime64("1970-01-01")).astype(int)
    nov11 = (np.datetime64("2024-11-11") - np.datetime64("1970-01-01")).astype(int) - base
    jun18 = (np.datetime64("2024-06-18") - np.datetime64("1970-01-01")).astype(int) - base
    med = np.median(gmv)
    assert gmv[nov11] > 4 * med and gmv[nov11] == gmv.max()
    assert gmv[jun18] > 2 * med
    ev = default[0]["events"]
    visits = ev.filter(pc.equal(pc.cast(ev["type"], pa.string()), "visit"))
    v = np.bincount(_days(visits["ts"]) - base)
    assert v[nov11] > 2 * np.median(v)


def test_diurnal_shape(default):
    hours = np.bincount(pc.hour(default[0]["orders"]["paid_at"]).to_numpy(), minlength=24)
    ev_hours = np.bincount(pc.hour(default[0]["events"]["ts"]).to_numpy(), minlength=24)
    for h in (hours, ev_hours):
        night = h[2:6].mean()
        assert night < 0.15 * h[20:23].mean()
        assert night < 0.2 * h[10:12].mean()
        assert h[20:23].mean() > h[14:17].mean()


def test_purchases_are_preceded_by_a_same_day_session(default):
    tables, _ = default
    o, ev = _window_orders(tables), tables["events"]
    visits = ev.filter(pc.equal(pc.cast(ev["type"], pa.string()), "visit"))
    u = np.r_[_users(visits["user_id"]), _users(o["user_id"])]
    t = np.r_[_us(visits["ts"]), _us(o["paid_at"])]
    kind = np.r_[np.zeros(visits.num_rows, int), np.ones(o.num_rows, int)]  # a visit sorts before a tied order
    srt = np.lexsort((kind, t, u))
    u, t, kind = u[srt], t[srt], kind[srt]
    last_visit = np.maximum.accumulate(np.where(kind == 0, np.arange(len(u)), -1))[kind == 1]
    assert (last_visit >= 0).all()
    same_day = (u[last_visit] == u[kind == 1]) & (t[last_visit] // 86_400_000_000 == t[kind == 1] // 86_400_000_000)
    assert same_day.mean() == 1.0
    carts = ev.filter(pc.equal(pc.cast(ev["type"], pa.string()), "add_cart")).num_rows
    assert carts > 0.6 * tables["order_items"].num_rows
    assert pc.all(pc.greater_equal(visits["duration_s"], 0)).as_py() and visits["duration_s"].null_count == 0


def test_orders_split_refund_and_items(default):
    tables, _ = default
    o = tables["orders"]
    full = pc.sum(pc.equal(o["refund_amount"], o["amount"])).as_py()
    part = pc.sum(pc.and_(pc.greater(o["refund_amount"], 0), pc.less(o["refund_amount"], o["amount"]))).as_py()
    assert full > 0.01 * o.num_rows and part > 0.01 * o.num_rows
    u, d = _users(o["user_id"]), _days(o["paid_at"])
    assert len(np.unique(u * 100_000 + d)) < o.num_rows  # several orders on one day now and then
    n_items = tables["order_items"].group_by("order_id").aggregate([("sku", "count")])
    assert 1 <= pc.max(n_items["sku_count"]).as_py() <= 3
    assert pc.min(tables["order_items"]["qty"]).as_py() >= 1


def test_relationship_tables(default):
    tables, _ = default
    f, m = tables["follows"], tables["memberships"]
    per_user = f.group_by("user_id").aggregate([("followed_at", "count")])
    assert pc.max(per_user["followed_at_count"]).as_py() == 2  # unfollow and re-follow
    assert 0 < f["unfollowed_at"].null_count < f.num_rows
    assert 0 < m["left_at"].null_count < m.num_rows
    channels = set(m["join_channel"].to_pylist())
    assert {"checkout", "follow_discount", "live", "offline_store", "xhs"} <= channels


def test_tiers_follow_spend_during_the_spell(default):
    tables, truth = default
    m = tables["memberships"]
    start = _us(pa.array([dt.datetime(2024, 1, 1)], pa.timestamp("us")))[0]
    inside = _us(m["joined_at"]) >= start  # spells fully inside the exported window
    p = tables["orders"]  # a fully refunded order nets to 0
    pu, pt = _users(p["user_id"]), _us(p["paid_at"])
    net = _np(p["amount"]) - _np(p["refund_amount"])
    o = np.lexsort((pt, pu))
    pu, pt, cum = pu[o], pt[o], np.r_[0, np.cumsum(net[o])]
    mu, lo, hi = _users(m["user_id"]), _us(m["joined_at"]), _us(m["left_at"])
    hi = np.where(hi == np.iinfo(np.int64).min, _us(pa.array([END], pa.timestamp("us")))[0], hi)
    key = _key(pu, pt)
    spend = cum[np.searchsorted(key, _key(mu, hi))] - cum[np.searchsorted(key, _key(mu, lo))]
    th = truth["membership"]["tier_thresholds_cny"]
    want = np.where(spend >= th["V3"] - 1e-6, "V3", np.where(spend >= th["V2"] - 1e-6, "V2", "V1"))
    got = np.array(m["tier"].to_pylist())
    assert (got[inside] == want[inside]).mean() > 0.995
    assert {"V1", "V2", "V3"} <= set(got)


def test_reviews_and_vip(default):
    tables, _ = default
    ev = tables["events"]
    ratings = ev["rating"].drop_null().to_numpy()
    assert ratings.min() >= 1 and ratings.max() <= 5 and (ratings >= 4).mean() > 0.7
    p = _purchases(tables)
    u = tables["users"].select(["user_id", "is_88vip"])
    j = p.select(["user_id", "amount"]).join(u, "user_id")
    g = j.group_by(["user_id", "is_88vip"]).aggregate([("amount", "sum")])
    vip = pc.cast(g["amount_sum"], pa.float64()).to_numpy()[g["is_88vip"].to_numpy(zero_copy_only=False)]
    non = pc.cast(g["amount_sum"], pa.float64()).to_numpy()[~g["is_88vip"].to_numpy(zero_copy_only=False)]
    assert vip.mean() > 1.5 * non.mean()
    assert 0.05 < pc.mean(tables["users"]["is_88vip"].cast(pa.float64())).as_py() < 0.2


def test_members_buy_new_products_more(default):
    tables, _ = default
    it = tables["order_items"].join(tables["orders"].select(["order_id", "user_id", "paid_at"]), "order_id")
    it = it.join(tables["products"].select(["sku", "launch_date"]), "sku")
    age = _days(it["paid_at"]) - pc.cast(it["launch_date"], pa.int32()).to_numpy()
    new = (age >= 0) & (age < 180)
    member = _active(tables["memberships"], "joined_at", "left_at", _users(it["user_id"]), _us(it["paid_at"]))
    assert new.mean() > 0.05
    assert new[member].mean() > 1.3 * new[~member].mean()
    launches = pc.sum(pc.greater_equal(tables["products"]["launch_date"], pa.scalar(dt.date(2024, 1, 1)))).as_py()
    assert launches >= 12  # a steady flow of launches in the window


def test_weak_membership_lowers_member_engagement(default, weak):
    """GAIN I2 (member activity) and I3 (member reach) over W30 at T, and N1, drop in weak_membership."""
    def gain_i(tables):
        m = tables["memberships"]
        users = np.unique(_users(m["user_id"]))
        t_us = np.full(len(users), _us(pa.array([T], pa.timestamp("us")))[0])
        members = users[_active(m, "joined_at", "left_at", users, t_us)]
        lo = T - dt.timedelta(days=30)
        ev = tables["events"]
        kinds = pa.array(["add_cart", "favorite", "benefit_claim"])
        ev = ev.filter(pc.and_(pc.greater(ev["ts"], lo), pc.is_in(pc.cast(ev["type"], pa.string()), kinds)))
        p = _purchases(tables)
        p = p.filter(pc.greater(p["paid_at"], lo))
        active = np.isin(members, np.r_[_users(ev["user_id"]), _users(p["user_id"])])
        r = tables["reach_log"]
        r = r.filter(pc.and_(pc.greater(r["ts"], lo),
                             pc.is_in(pc.cast(r["status"], pa.string()), pa.array(["delivered", "opened", "clicked"]))))
        reached = np.isin(members, _users(r["user_id"]))
        p = _purchases(tables)
        pu, pd = _users(p["user_id"]), _days(p["paid_at"])
        buyers, n = np.unique(np.unique(pu * 100_000 + pd) // 100_000, return_counts=True)
        mb = np.isin(buyers, members)
        return active.mean(), reached.mean(), (n[mb] >= 2).mean()

    i2_d, i3_d, n1_d = gain_i(default[0])
    i2_w, i3_w, n1_w = gain_i(weak[0])
    assert i2_w < 0.6 * i2_d
    assert i3_w < 0.5 * i3_d
    assert n1_w < n1_d
    assert default[1]["realised"]["member_kedanjia_ratio"] > weak[1]["realised"]["member_kedanjia_ratio"]


def test_campaign_holdouts_and_message_effect(default):
    tables, truth = default
    asg = truth["extra_tables"]["truth_campaigns"]
    r = tables["reach_log"]
    key_r = pc.binary_join_element_wise(pc.cast(r["campaign_id"], pa.string()), r["user_id"], "|")
    key_a = pc.binary_join_element_wise(asg["campaign_id"], asg["user_id"], "|")
    hold = pc.equal(asg["group"], "holdout")
    assert not pc.any(pc.is_in(key_a.filter(hold), key_r)).as_py()  # holdout never messaged
    assert pc.all(pc.is_in(key_a.filter(pc.invert(hold)), key_r)).as_py()
    assert pc.count_distinct(key_r).as_py() == r.num_rows
    share = pc.mean(pc.cast(hold, pa.float64())).as_py()
    assert abs(share - truth["config"]["holdout_share"]) < 0.02
    # the extra purchases are Binomial(n eligible, message_effect): within 4 standard errors
    elig = pc.and_(pc.and_(asg["delivered"], asg["alive"]), pc.invert(hold))
    n = pc.sum(elig).as_py()
    k = pc.sum(asg["extra_purchase"]).as_py()
    eff = truth["effects"]["message_effect"]
    assert abs(k - n * eff) < 4 * np.sqrt(n * eff * (1 - eff))
    assert set(pc.unique(pc.cast(r["channel"], pa.string())).to_pylist()) <= set(REACH_CHANNELS)
    assert set(pc.unique(pc.cast(r["status"], pa.string())).to_pylist()) <= set(REACH_STATUSES)


# --------------------------------------------------------------------------------------------------
# BTYD truth
def test_bgnbd_expected_repeats_match_closed_form(btyd):
    """Mean repeat purchases within t days of the first purchase vs E[X(t)] (Fader, Hardie & Lee 2005, eq. 9).

    The cohort averages are means of i.i.d. counts, so the tolerance is 4 standard errors of the
    mean estimated from the sample itself (false-alarm rate about 6e-5 per check).
    """
    from scipy.special import hyp2f1

    cfg, tables, _ = btyd
    o = tables["orders"]
    u, t = _users(o["user_id"]), _us(o["paid_at"]) / 86_400e6
    srt = np.lexsort((t, u))
    u, t = u[srt], t[srt]
    users, first = np.unique(u, return_index=True)
    t_first = t[first]
    end = _us(pa.array([END], pa.timestamp("us")))[0] / 86_400e6
    r, alpha, a, b = cfg.r, cfg.alpha, cfg.a, cfg.b
    for horizon in (30, 90, 180):
        expected = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + horizon)) ** r
                                             * hyp2f1(r, b, a + b - 1, horizon / (alpha + horizon)))
        cohort = t_first <= end - horizon
        count = np.searchsorted(u * 1e4 + t, users * 1e4 + t_first + horizon, side="right") - first - 1
        x = count[cohort]
        se = x.std(ddof=1) / np.sqrt(len(x))
        assert len(x) > 20_000
        assert abs(x.mean() - expected) < 4 * se, (horizon, x.mean(), expected, se)


def test_gamma_gamma_mean_spend(btyd):
    """Average spend per order (per customer, then over customers) vs p*gamma/(q-1) (Fader, Hardie & Lee 2005)."""
    cfg, tables, truth = btyd
    o = tables["orders"]
    users, inv = np.unique(_users(o["user_id"]), return_inverse=True)
    per_user = np.bincount(inv, weights=_np(o["amount"])) / np.bincount(inv)
    se = per_user.std(ddof=1) / np.sqrt(len(per_user))
    assert abs(per_user.mean() - cfg.p * cfg.gamma / (cfg.q - 1)) < 4 * se
    assert truth["gamma_gamma"]["mean_spend"] == pytest.approx(cfg.p * cfg.gamma / (cfg.q - 1))
    tu = truth["extra_tables"]["truth_users"]
    assert tu.num_rows == cfg.users and pc.all(tu["is_buyer"]).as_py()
    lam = tu["lambda_per_day"].to_numpy()
    assert abs(lam.mean() - cfg.r / cfg.alpha) < 4 * lam.std() / np.sqrt(len(lam))


# --------------------------------------------------------------------------------------------------
# writing
@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_write_store_round_trip(tmp_path, fmt):
    import pyarrow.csv as pcsv
    import pyarrow.json as pjson
    import pyarrow.parquet as pq

    tables, truth = simulate_store(SimulationConfig(users=1500, days=90, prehistory_days=30))
    paths = write_store(tmp_path, tables, truth, fmt=fmt)
    doc = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    assert doc["rows"] == {k: t.num_rows for k, t in tables.items()}
    assert doc["btyd"]["r"] == truth["btyd"]["r"]
    for name in ("truth_users", "truth_orders", "truth_campaigns"):
        assert pq.read_table(paths[name]).num_rows == truth["extra_tables"][name].num_rows
    reader = {"parquet": pq.read_table, "csv": pcsv.read_csv, "jsonl": pjson.read_json}[fmt]
    duckdb = pytest.importorskip("duckdb")
    fn = {"parquet": "read_parquet", "csv": "read_csv_auto", "jsonl": "read_json_auto"}[fmt]
    for name, table in tables.items():
        path = paths[name]
        assert path.name == f"{name}.{fmt}"
        back = reader(path)
        assert back.num_rows == table.num_rows, name
        assert back.column_names == table.column_names, name
        n = duckdb.connect().execute(f"select count(*) from {fn}('{path.as_posix()}')").fetchall()[0][0]
        assert n == table.num_rows, name
    # atomic writes (siyu.engine.io): no temporary file is left beside the outputs
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths.values())


# --------------------------------------------------------------------------------------------------
@pytest.mark.benchmark
def test_one_million_users_within_minutes():
    import time

    t0 = time.perf_counter()
    tables, _ = simulate_store(SimulationConfig(users=1_000_000))
    assert time.perf_counter() - t0 < 300
    assert 15 <= tables["events"].num_rows / 1_000_000 <= 40
