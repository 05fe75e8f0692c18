"""Per-user outputs agree exactly with an independent implementation of the rules of docs/customer-assets.md.

The reference (tests/reference/assets_pandas.py) was written from the rules of docs/customer-assets.md alone,
without reading the SQL. Both run here on simulated stores whose seeds no other test uses, at several snapshots,
under default and switched options.
"""

from __future__ import annotations

from siyu import assets

import datetime as dt

import pytest
from reference import assets_pandas as ref

from siyu import SiyuConfig, Workspace
from siyu.config import ModelConfig
from siyu.contract import TABLES
from siyu.simulate import SCENARIOS, SimulationConfig, simulate_store, write_store


@pytest.fixture(scope="module", params=[("default", 90211), ("weak_membership", 90212)], ids=lambda p: p[0])
def store(request, tmp_path_factory):
    scenario, seed = request.param
    root = tmp_path_factory.mktemp(f"ref-{scenario}")
    cfg = SimulationConfig(**{**SCENARIOS[scenario], "users": 4000, "days": 365, "seed": seed})
    tables, truth = simulate_store(cfg)
    files = write_store(root / "d", tables, truth)
    ws = Workspace.init(root / "ws")
    for name in TABLES:
        ws.ingest(name, files[name])
    frames = ref.load_tables(ws)
    yield ws, frames
    ws.close()


def _dict(table, key, cols):
    d = table.to_pydict() if hasattr(table, "to_pydict") else {c: list(table[c]) for c in [key, *cols]}
    return {u: tuple(None if v != v else v for v in vals) for u, *vals in zip(d[key], *(d[c] for c in cols))}


def _snapshots(ws):
    last = ws.last_date()
    return [last, last - dt.timedelta(days=45), dt.date(last.year, 6, 18)]


def test_aipl_pools_ucmv_rfm_agree_user_by_user(store):
    ws, frames = store
    for t in _snapshots(ws):
        ours = assets.customer_assets(ws, t)
        assert _dict(ours["aipl"], "user_id", ["stage"]) == _dict(ref.aipl(frames, t), "user_id", ["stage"]), t
        cols = ["fan_pool", "member_pool", "customer_pool", "high_intent"]
        assert _dict(ours["pools"], "user_id", cols) == _dict(ref.pools(frames, t), "user_id", cols), t
        assert _dict(ours["ucmv"], "user_id", ["stage"]) == _dict(ref.ucmv(frames, t), "user_id", ["stage"]), t
        cols = ["recency", "frequency", "r", "f", "m", "group"]
        assert _dict(ours["rfm"], "user_id", cols) == _dict(ref.rfm(frames, t), "user_id", cols), t


def test_options_agree_too(store, monkeypatch):
    ws, frames = store
    opts = dict(ad_click_stage="I", l_include_positive_review=True, l_min_purchase_days=3, i_days=7)
    monkeypatch.setattr(ws, "config", SiyuConfig(model=ModelConfig(**opts, vip_rule=("top_spend",))))
    t = ws.last_date()
    assert _dict(assets.aipl(ws, t), "user_id", ["stage"]) == _dict(ref.aipl(frames, t, **opts), "user_id", ["stage"])
    ours = _dict(assets.ucmv(ws, t), "user_id", ["stage"])
    assert ours == _dict(ref.ucmv(frames, t, vip_rule=("top_spend",)), "user_id", ["stage"])


def test_fast_and_transitions_agree(store):
    ws, frames = store
    t = ws.last_date()
    ours = assets.fast(ws, t)["current"]
    theirs = ref.fast(frames, t)
    for k in ("F", "A", "A_could_deepen", "ai_to_p_rate", "S", "T"):
        assert ours[k] == pytest.approx(theirs[k]), k
    t0 = t - dt.timedelta(days=60)
    matrix = assets.aipl_transitions(ws, t0, t)["matrix"]
    expected = ref.aipl_transitions(frames, t0, t)
    for a in ("none", "A", "I", "P", "L"):
        for b in ("none", "A", "I", "P", "L"):
            assert matrix[a][b] == int(expected.loc[a, b]), (a, b)
