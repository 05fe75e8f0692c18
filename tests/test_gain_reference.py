"""The 12 GAIN indicators agree (numerator, denominator, value) with an independent implementation of docs/gain.md §The 12 indicators.

The reference (tests/reference/gain_pandas.py) was written from the rules alone (now in docs/gain.md), without reading the SQL.
Stores are simulated with seeds no other test uses; snapshots and options vary.
"""

from __future__ import annotations

import datetime as dt

import pytest

from reference import assets_pandas as ref_assets
from reference import gain_pandas as ref
from siyu import SiyuConfig, Workspace
from siyu.engine.duckdb import run
from siyu.config import GainConfig, ModelConfig
from siyu.contract import TABLES
from siyu.health.gain import INDICATORS, g3_by_channel, indicators_at
from siyu.simulate import SCENARIOS, SimulationConfig, simulate_store, write_store


@pytest.fixture(scope="module", params=[("default", 77001), ("weak_membership", 77002)], ids=lambda p: p[0])
def store(request, tmp_path_factory):
    scenario, seed = request.param
    root = tmp_path_factory.mktemp(f"gainref-{scenario}")
    cfg = SimulationConfig(**{**SCENARIOS[scenario], "users": 4000, "seed": seed})
    tables, truth = simulate_store(cfg)
    files = write_store(root / "d", tables, truth)
    ws = Workspace.init(root / "ws")
    for name in TABLES:
        ws.ingest(name, files[name])
    # platform crowds as imported tags on a deterministic subset of users
    with ws.session() as c:
        run(c, "UPDATE users SET tags = concat_ws(';', tags, CASE hash(user_id) % 3 WHEN 0 THEN '高价值人群' "
               "WHEN 1 THEN '主力人群' ELSE '潜力人群' END) WHERE hash(user_id) % 5 = 0")
    yield ws, ref_assets.load_tables(ws)
    ws.close()


def _check(ours, theirs):
    for k in INDICATORS:
        assert (ours[k]["numerator"], ours[k]["denominator"]) == (theirs[k]["numerator"], theirs[k]["denominator"]), k
        if theirs[k]["value"] is None:
            assert ours[k]["value"] is None, k
        else:
            assert ours[k]["value"] == pytest.approx(theirs[k]["value"], rel=1e-12), k
            assert ours[k]["value"] == pytest.approx(ours[k]["numerator"] / ours[k]["denominator"] - (k == "G3"))


def test_indicators_agree_at_several_snapshots(store):
    ws, frames = store
    last = ws.last_date()
    for t in (last, last - dt.timedelta(days=40), dt.date(last.year, 6, 30)):
        _check(indicators_at(ws, t), ref.gain_indicators(frames, t))


def test_indicators_agree_under_switched_options(store, monkeypatch):
    ws, frames = store
    t = ws.last_date()
    monkeypatch.setattr(ws, "config", SiyuConfig(
        model=ModelConfig(category_level="l1", crossbuy_dimension="brand", new_product_days=90,
                          high_value_pct=0.7, mid_value_pct=(0.3, 0.7)),
        gain=GainConfig(audience_mode="platform")))
    theirs = ref.gain_indicators(frames, t, audience_mode="platform", category_level="l1", crossbuy_dimension="brand",
                                 new_product_days=90, high_value_pct=0.7, mid_value_pct=(0.3, 0.7))
    _check(indicators_at(ws, t), theirs)
    assert theirs["A1"]["denominator"] > 0  # the platform crowds were really used


def test_g3_by_channel_agrees(store):
    ws, frames = store
    t = ws.last_date()
    ours = g3_by_channel(ws, t)
    theirs = ref.g3_by_channel(frames, t)
    for row in ours["channels"]:
        th = theirs[row["channel"]]
        assert (row["new_buyers"], row["new_buyers_last_year"]) == (th["numerator"], th["denominator"]), row
    assert ours["breadth"] == pytest.approx(theirs["_breadth"], rel=1e-12)
