"""Every setting of siyu.toml changes what it says it changes (the registry meta-test requires a test per setting).

Each test runs the real model twice on one simulated store, with the default and with a changed setting.
"""

from __future__ import annotations

import datetime as dt

import pytest

from siyu import InsufficientDataError, Workspace


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from siyu.contract import TABLES
    from siyu.simulate import SimulationConfig, simulate_store, write_store

    root = tmp_path_factory.mktemp("settings")
    tables, truth = simulate_store(SimulationConfig(users=4000, days=365, seed=31))
    files = write_store(root / "data", tables, truth)
    ws = Workspace.init(root / "ws")
    for name in TABLES:
        ws.ingest(name, files[name])
    yield ws
    ws.close()


def _with(ws: Workspace, section: str, **values):
    """A view of ``ws`` whose ``[section]`` has ``values`` changed (the stored siyu.toml is untouched)."""
    view = Workspace(ws.path)
    view.engine = ws.engine
    part = getattr(ws.config, section).model_copy(update=values)
    view.config = ws.config.model_copy(update={section: part})
    return view


def test_fast_period_days_sets_the_pop_comparison_date(store):
    from siyu.assets import fast

    t = store.last_date()
    assert fast(store, t)["previous"]["as_of"] == t - dt.timedelta(days=30)
    assert fast(_with(store, "model", fast_period_days=7), t)["previous"]["as_of"] == t - dt.timedelta(days=7)


def test_pool_transition_step_days_sets_the_evaluation_grid(store):
    from siyu.assets import pool_transitions

    t = store.last_date()
    start = t - dt.timedelta(days=28)
    weekly = set(pool_transitions(store, start, t, store=False).column("date").to_pylist())
    fortnightly = set(pool_transitions(_with(store, "model", pool_transition_step_days=14), start, t,
                                       store=False).column("date").to_pylist())
    assert weekly and fortnightly
    assert all((d - start).days % 7 == 0 for d in weekly)
    assert all((d - start).days % 14 == 0 for d in fortnightly)
    assert any((d - start).days % 14 for d in weekly)


@pytest.mark.parametrize("key, value, message", [("clv_min_repeat_buyers", 10**7, "repeat buyers"),
                                                 ("clv_min_history_days", 10**5, "history")])
def test_clv_sufficiency_settings_refuse_a_fit(store, key, value, message):
    from siyu.clv.runs import predict

    predict(store, horizon_days=365, calibration_end=store.last_date(), store=False)  # fits with the defaults
    with pytest.raises(InsufficientDataError, match=message):
        predict(_with(store, "model", **{key: value}), horizon_days=365, calibration_end=store.last_date(),
                store=False)


def test_clv_margin_and_discount_rate_scale_the_money(store):
    from siyu.clv.runs import predict

    def total(ws):
        table = predict(ws, horizon_days=365, calibration_end=store.last_date(), store=False)["table"]
        return float(sum(table.column("predicted_clv").to_pylist()))

    base = total(store)
    assert base > 0
    assert total(_with(store, "model", clv_margin=0.6)) == pytest.approx(2 * base, rel=1e-9)
    assert total(_with(store, "model", clv_discount_rate=0.5)) < base


def test_gain_score_mode_weak_score_and_baseline_months(store):
    from siyu.health.gain import diagnose, gain

    t = store.last_date()
    g = gain(store, t)
    assert g["mode"] == store.config.gain.score_mode
    other = "target" if g["mode"] == "baseline" else "baseline"
    assert gain(_with(store, "gain", score_mode=other), t)["mode"] == other
    assert diagnose(_with(store, "gain", weak_score=0.0), g) == []
    scored = [k for k, v in g["indicators"].items() if v.get("score") is not None and v["score"] < 100]
    assert len(diagnose(_with(store, "gain", weak_score=100.0), g)) >= min(1, len(scored))
    assert len(gain(_with(store, "gain", baseline_months=4), t)["trend"]) == 5  # 4 month ends and T


def test_platform_crowds_select_the_a1_to_a3_audiences(store):
    from siyu.health.gain import indicators_at

    t = store.last_date()
    nobody = {"A1": "no-such-crowd-1", "A2": "no-such-crowd-2", "A3": "no-such-crowd-3"}
    tags = [x for row in store.query("SELECT tags FROM users WHERE tags IS NOT NULL AND tags <> ''")
             .column("tags").to_pylist() for x in row.split(";")]
    assert tags, "the simulated store tags its users"
    crowds = {"A1": tags[0], "A2": "no-such-crowd-2", "A3": "no-such-crowd-3"}
    platform = indicators_at(_with(store, "gain", audience_mode="platform", platform_crowds=crowds), t)
    empty = indicators_at(_with(store, "gain", audience_mode="platform", platform_crowds=nobody), t)
    assert empty["A1"]["denominator"] in (0, None)
    assert platform["A1"]["denominator"] != empty["A1"]["denominator"]


def test_gain_weights_weigh_the_dimensions(store):
    from siyu.health.gain import gain

    t = store.last_date()
    g = gain(_with(store, "model", gain_weights=(1.0, 0.0, 0.0, 0.0)), t)
    assert g["dimensions"]["G"] is not None
    assert g["score"] == pytest.approx(g["dimensions"]["G"])
