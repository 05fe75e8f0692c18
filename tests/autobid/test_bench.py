"""The scoreboard and the frontier (siyu.autobid.bench), and `siyu autobid bench`."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli

from autobid._html import shows
from siyu import ConfigError
from siyu.autobid.bench import (
    dominance_table,
    dominates,
    frontier,
    frontier_chart,
    scoreboard,
)
from siyu.autobid.bidders import BIDDERS

SMALL = dict(profiles=["normal/mid/roi", "hot/high/budget"], seeds=2, impressions_per_day=3_000)


def test_scoreboard_is_deterministic_and_the_same_in_parallel():
    a = scoreboard(**SMALL, processes=1)
    b = scoreboard(**SMALL, processes=2)
    assert a["runs"] == b["runs"]
    assert a["overall"] == b["overall"] and a["profiles"] == b["profiles"]
    assert {r["bidder"] for r in a["overall"]} == set(BIDDERS)
    assert len(a["runs"]) == len(BIDDERS) * 2 * 2
    row = a["overall"][0]
    for key in ("efficiency_lp", "efficiency_ceiling", "efficiency_realized", "p_below_r", "p_below_0.9r_ci",
                "p_below_0.8r_300", "budget_use", "hours_to_50", "time_to_90", "compensation_share"):
        assert key in row, key


def test_every_bidder_plays_the_same_runs():
    board = scoreboard(**SMALL, processes=1)
    by_run: dict = {}
    for r in board["runs"]:
        by_run.setdefault((r["profile"], r["seed"]), set()).add((r["lp_gmv"], r["ceiling_gmv"], r["impressions"]))
    assert all(len(v) == 1 for v in by_run.values())


@pytest.mark.skipif("oracle" not in BIDDERS, reason="the oracle bidder is not registered")
def test_the_oracle_reaches_the_lp_on_stationary_traffic():
    board = scoreboard(["oracle"], ["normal/mid/roi", "hot/low/roi"], seeds=2, impressions_per_day=5_000,
                       scenario="stationary", processes=1)
    assert board["overall"][0]["efficiency_lp"] == pytest.approx(1.0, abs=0.02)


def test_scoreboard_margins_reach_the_bidders():
    low = scoreboard(["fixed"], ["normal/mid/roi"], seeds=1, impressions_per_day=3_000, margins=0.0, processes=1)
    high = scoreboard(["fixed"], ["normal/mid/roi"], seeds=1, impressions_per_day=3_000, margins={"fixed": 0.3},
                      processes=1)
    assert high["runs"][0]["spend"] < low["runs"][0]["spend"]


def test_bad_arguments_are_config_errors():
    with pytest.raises(ConfigError):
        scoreboard(["no-such-bidder"], seeds=1, impressions_per_day=1_000)
    with pytest.raises(ConfigError):
        scoreboard(["fixed"], ["normal/mid/roi"], seeds=1, impressions_per_day=1_000, scenario="stormy")
    with pytest.raises(ConfigError):
        scoreboard(["fixed"], ["normal/mid"], seeds=1, impressions_per_day=1_000, processes=1)
    with pytest.raises(ConfigError):
        frontier(["fixed"], ["normal/mid/roi"], seeds=1, margins=[])


def test_dominance_on_hand_made_points():
    a = [(0.95, 0.10), (0.90, 0.05), (0.80, 0.01)]
    b = [(0.94, 0.12), (0.85, 0.05)]
    c = [(0.97, 0.20)]
    assert dominates(a, b)
    assert not dominates(b, a)
    assert not dominates(a, c)  # nothing in a reaches efficiency 0.97
    assert dominates(a, a)  # weak dominance is reflexive
    assert dominates(a, [])
    assert not dominates([], b)
    assert dominates([(0.939, 0.12), (0.85, 0.05)], b, tol=0.002) and not dominates([(0.939, 0.12)], b)
    table = dominance_table([{"bidder": "x", "efficiency": e, "violation": v} for e, v in a]
                            + [{"bidder": "y", "efficiency": e, "violation": v} for e, v in b])
    assert {(d["bidder"], d["other"]): d["dominates"] for d in table} == {("x", "y"): True, ("y", "x"): False}


def test_frontier_points_and_chart(tmp_path):
    fr = frontier(["fixed"], ["normal/mid/roi"], seeds=2, margins=[0.0, 0.2], impressions_per_day=3_000,
                  processes=1)
    pts = sorted(fr["points"], key=lambda p: p["margin"])
    assert [p["margin"] for p in pts] == [0.0, 0.2]
    assert pts[1]["efficiency"] < pts[0]["efficiency"]  # a margin costs GMV
    assert pts[1]["violation"] <= pts[0]["violation"]
    out = tmp_path / "frontier.html"
    html = frontier_chart(fr, out)
    text = out.read_text(encoding="utf-8")
    assert text == html
    assert "Plotly.newPlot" in text and '"type":"scatter"' in text.replace(": ", ":")
    assert shows(text, "GMV–违约前沿 GMV–violation frontier")


def test_cli_bench_json_and_table(tmp_path):
    args = ["autobid", "bench", "--seeds", "1", "--impressions", "5000", "--profiles", "normal/mid/roi",
            "--processes", "1"]
    res = run_cli(*args, "--format", "json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert {"config", "overall", "profiles"} <= set(out)
    assert {r["bidder"] for r in out["overall"]} == set(BIDDERS)
    for key in ("efficiency_lp", "efficiency_ceiling", "p_below_r", "p_below_r_ci", "budget_use",
                "compensation_share"):
        assert key in out["overall"][0]
    chart = tmp_path / "f.html"
    res = run_cli(*args, "--bidders", "fixed", "--margins", "0,0.1", "--chart", str(chart), "--format", "table")
    assert res.returncode == 0, res.stderr
    for header in ("排行榜 Scoreboard", "出价器 Bidder", "效率/LP Eff/LP", "分画像 By profile",
                   "GMV–违约前沿 GMV–violation frontier"):
        assert header in res.stdout, header
    assert "Plotly.newPlot" in chart.read_text(encoding="utf-8")


def test_frontier_sweeps_further_knobs(tmp_path):
    fr = frontier(["siyu", "fixed"], ["normal/high/roi"], seeds=1, margins=[0.0], impressions_per_day=5_000,
                  knobs={"siyu": {"miss_price": [0.1, 30.0]}, "pid": {"kp": [1.0]}}, processes=1)
    knobs = sorted((p["bidder"], p["knob"]) for p in fr["points"])
    assert knobs == [("fixed", "margin=0"), ("siyu", "margin=0"), ("siyu", "miss_price=0.1"),
                     ("siyu", "miss_price=30")]  # pid is not on this frontier: its knob is not swept
    by = {p["knob"]: p for p in fr["points"] if p["bidder"] == "siyu"}
    assert by["miss_price=0.1"]["efficiency"] > by["miss_price=30"]["efficiency"]  # a cheap miss buys GMV
    assert fr["config"]["knobs"] == {"siyu": {"miss_price": [0.1, 30.0]}}
    html = frontier_chart(fr, tmp_path / "f.html")
    assert "siyu (miss_price)" in html and "siyu (margin)" in html  # one trace per knob of a bidder
    with pytest.raises(ConfigError, match="no_such_option"):
        frontier(["fixed"], ["normal/high/roi"], seeds=1, margins=[0.0], impressions_per_day=3_000,
                 knobs={"fixed": {"no_such_option": [1.0]}}, processes=1)
