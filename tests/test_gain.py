"""GAIN and LINK+ from the outside: JSON shape, scores, the weak-membership store, the bands of docs/gain.md §Reference figures."""

from __future__ import annotations

import json

import pytest

from siyu import Workspace
from siyu.contract import TABLES
from siyu.health.gain import INDICATORS, indicator_score
from siyu.simulate import SCENARIOS, SimulationConfig, simulate_store, write_store

from conftest import run_cli


def _store(root, scenario, seed=4242, users=8000):
    tables, truth = simulate_store(SimulationConfig(**{**SCENARIOS[scenario], "users": users, "seed": seed}))
    files = write_store(root / "d", tables, truth)
    with Workspace.init(root / "ws") as ws:
        for name in TABLES:
            ws.ingest(name, files[name])
    return str(root / "ws")


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    return {sc: _store(tmp_path_factory.mktemp(sc), sc) for sc in ("default", "weak_membership")}


def test_gain_json_shape_and_arithmetic(stores):
    res = run_cli("-w", stores["default"], "gain", "--format", "json")
    assert res.returncode == 0, res.stderr
    g = json.loads(res.stdout)
    assert set(g) >= {"as_of", "score", "dimensions", "indicators"}
    assert set(g["dimensions"]) == {"G", "A", "I", "N"}
    assert list(g["indicators"]) == list(INDICATORS)
    for k, ind in g["indicators"].items():
        assert set(ind) >= {"name_zh", "name_en", "value", "numerator", "denominator", "score"}
        assert ind["value"] == pytest.approx(ind["numerator"] / ind["denominator"] - (k == "G3")), k
        assert 0 <= ind["score"] <= 100
    dims = {d: [v["score"] for v in g["indicators"].values() if v["dimension"] == d] for d in "GAIN"}
    for d, scores in dims.items():
        assert g["dimensions"][d] == pytest.approx(sum(scores) / 3)
    assert g["score"] == pytest.approx(sum(g["dimensions"].values()) / 4)  # equal weights by default
    assert g["weakest_dimension"] == min(g["dimensions"], key=g["dimensions"].get)
    assert len(g["trend"]) == 13  # 12 month ends and the snapshot


def test_gain_csv_and_baseline_mode(stores):
    res = run_cli("-w", stores["default"], "gain", "--format", "csv", "--mode", "baseline")
    lines = res.stdout.splitlines()
    assert lines[0] == "id,dimension,name_zh,name_en,value,numerator,denominator,score,baseline_score"
    assert len(lines) == 13
    for line in lines[1:]:
        cells = line.split(",")
        assert cells[7] == cells[8]  # in baseline mode the score is the baseline score


def test_weak_membership_store_scores_lower_on_I_and_gets_the_reach_plan(stores):
    default = json.loads(run_cli("-w", stores["default"], "gain", "--format", "json").stdout)
    weak = json.loads(run_cli("-w", stores["weak_membership"], "gain", "--format", "json").stdout)
    assert weak["dimensions"]["I"] < default["dimensions"]["I"] - 20
    assert weak["weakest_dimension"] == "I"
    for k in ("I2", "I3"):
        assert weak["indicators"][k]["value"] < default["indicators"][k]["value"]
    actions = {d["indicator"]: d for d in weak["diagnosis"]}
    assert "I3" in actions and "group chat" in actions["I3"]["action_en"] and "群聊" in actions["I3"]["action_zh"]
    assert actions["I3"]["opportunity_users"] > 0 and actions["I3"]["opportunity_gmv"] > 0
    assert "I3" not in {d["indicator"] for d in default["diagnosis"]}


def test_domain_sanity_bands_on_the_default_store(stores):
    s = json.loads(run_cli("-w", stores["default"], "summary", "--format", "json").stdout)["kpis"]
    assert 2.0 <= s["member_kedanjia_ratio"] <= 3.0          # docs/gain.md §Reference figures #4: member 客单价 ≈ 2–3× overall
    assert 0.10 <= s["repeat_buyer_share"] <= 0.50           # §Reference figures #6, #9: repeat buyers ≤ 40–50 %
    link = json.loads(run_cli("-w", stores["default"], "link", "--format", "json").stdout)
    assert link["relationship_gmv_share"]["value"] >= 0.5    # §Reference figures #1: relationship users > half of GMV (FMCG)
    for k in ("revisit", "kedanjia", "repeat_rate"):
        assert link["multiples"][k]["value"] > 1.0, k       # relationship users beat the 大盘


def test_link_json_ratios_check_out(stores):
    link = json.loads(run_cli("-w", stores["default"], "link", "--format", "json").stdout)
    assert set(link["steps"]) == {"L", "I", "N", "K"}
    for group in ("relationship", "all"):
        for step in ("N", "K"):
            for k, v in link["steps"][step][group].items():
                if isinstance(v, dict) and v["denominator"]:
                    assert v["value"] == pytest.approx(v["numerator"] / v["denominator"]), (step, group, k)


@pytest.mark.parametrize("value, history, mode, target, expected", [
    (0.5, [0.1, 0.2, 0.3, 0.4, 0.6, 0.7], "baseline", None, 100 * 4 / 6),
    (0.3, [0.3, 0.3, 0.1, 0.5], "baseline", None, 100 * (1 + 0.5 * 2) / 4),
    (0.3, [0.1, 0.2], "baseline", None, None),              # fewer than 3 months: no baseline
    (0.35, [], "target", (0.2, 0.5), 50.0),
    (0.9, [], "target", (0.2, 0.5), 100.0),                  # clipped
    (0.1, [], "target", (0.2, 0.5), 0.0),
    (0.3, [], "target", None, None),
    (None, [0.1, 0.2, 0.3], "baseline", None, None),
])
def test_indicator_score(value, history, mode, target, expected):
    got = indicator_score(value, history, mode=mode, target=target)
    assert got == (pytest.approx(expected) if expected is not None else None)
